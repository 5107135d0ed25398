"""PE (Windows) checks: machine and an allow-list of system DLL imports."""

from __future__ import annotations

from kk_common import binfmt
from kk_common.arch import known, normalise

from kk_build.verify import CheckFailed

# DLLs shipped with every Windows 10 and later (and the API-set contracts they resolve).
SYSTEM_DLLS = frozenset(
    {
        "kernel32.dll",
        "kernelbase.dll",
        "ntdll.dll",
        "advapi32.dll",
        "bcrypt.dll",
        "bcryptprimitives.dll",
        "crypt32.dll",
        "iphlpapi.dll",
        "msvcrt.dll",
        "ole32.dll",
        "oleaut32.dll",
        "secur32.dll",
        "shell32.dll",
        "user32.dll",
        "userenv.dll",
        "ws2_32.dll",
        "mswsock.dll",
        "ncrypt.dll",
        "synchronization.dll",
        "ucrtbase.dll",
        "dbghelp.dll",
        "psapi.dll",
        "powrprof.dll",
        "rpcrt4.dll",
        "shlwapi.dll",
        "version.dll",
        "winmm.dll",
    }
)
API_SET_PREFIXES = ("api-ms-win-", "ext-ms-win-")


def is_system_dll(name: str) -> bool:
    lower = name.lower()
    return lower in SYSTEM_DLLS or lower.startswith(API_SET_PREFIXES)


def check_binary(data: bytes, arch: str) -> dict[str, str]:
    try:
        raw = binfmt.machine_names(data, "pe")[0]
        dlls = binfmt.pe_imports(data)
    except binfmt.BinaryFormatError as exc:
        raise CheckFailed("pe-parse", str(exc)) from None
    got = known(raw) or raw
    if got != normalise(arch):
        raise CheckFailed("pe-machine", f"PE machine {raw}, target wants {arch}")
    foreign = [d for d in dlls if not is_system_dll(d)]
    if foreign:
        raise CheckFailed(
            "pe-imports",
            f"imports DLLs that are not on every Windows 10+: {foreign} "
            "(if one is a real system DLL, add it to SYSTEM_DLLS in kk_build/verify/pe.py)",
        )
    return {"machine": got, "imports": ",".join(dlls)}
