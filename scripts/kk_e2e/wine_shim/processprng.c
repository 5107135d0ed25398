/*
 * Test-harness shim for running Rust >= 1.78 Windows binaries under Wine 8 (Debian bookworm).
 *
 * Rust's std imports ProcessPrng from bcryptprimitives.dll; Wine 8.0 does not export it, so the
 * exe dies at load time with status c0000135. This DLL, named bcryptprimitives.dll and placed
 * beside the exe in a temporary directory, provides ProcessPrng on top of RtlGenRandom
 * (advapi32!SystemFunction036). Real Windows ships the DLL: this file never enters a wheel.
 *
 * Freestanding (no windows.h, no C runtime): built with `zig cc -nostdlib` in well under a
 * second, importing nothing but ADVAPI32.dll.
 */
typedef unsigned char BOOLEAN;
typedef int BOOL;
typedef unsigned long ULONG;
typedef unsigned long DWORD;
typedef unsigned long long SIZE_T;
typedef unsigned char *PBYTE;

__declspec(dllimport) BOOLEAN __stdcall SystemFunction036(void *buffer, ULONG length);

__declspec(dllexport) BOOL __stdcall ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000u ? 0x40000000u : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return 0;
        }
        data += chunk;
        length -= chunk;
    }
    return 1;
}

BOOL __stdcall DllMainCRTStartup(void *instance, DWORD reason, void *reserved) {
    (void)instance;
    (void)reason;
    (void)reserved;
    return 1;
}
