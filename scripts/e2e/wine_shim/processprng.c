/*
 * Test-harness shim for running Rust >= 1.78 Windows binaries under Wine 8 (Debian bookworm).
 *
 * Rust's std imports ProcessPrng from bcryptprimitives.dll; Wine 8.0 does not export it, so the
 * exe dies at load time with status c0000135. This DLL, named bcryptprimitives.dll and placed
 * beside the exe in a temporary directory, provides ProcessPrng on top of RtlGenRandom
 * (advapi32!SystemFunction036). Real Windows ships the DLL: this file never enters a wheel.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000u ? 0x40000000u : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
