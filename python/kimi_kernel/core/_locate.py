"""Find the kagent binary: KIMI_KERNEL_BIN, then the one shipped in this distribution, then PATH."""

from __future__ import annotations

import collections
import os
import stat
import sys
from collections.abc import Iterable, Mapping

from kimi_kernel.core._binfmt import incompatibility, read_format

# typing is not imported at run time: the Wire exec's start would pay for it, and more for
# a typing.NamedTuple (it compiles each string annotation); mypy reads TYPE_CHECKING by name
TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib import metadata  # imported only when the RECORD fast path fails
    from pathlib import Path  # imported where a Path is made: not on the Wire exec's path
    from typing import Literal, NamedTuple

    Source = Literal["env", "package", "path"]

    class _LookedFields(NamedTuple):
        source: Source
        path: str
        outcome: str  # "found", or why the candidate was not used

    class Located(NamedTuple):
        path: Path
        source: Source
        searched: tuple[Looked, ...] = ()
else:
    _LookedFields = collections.namedtuple("Looked", "source path outcome")
    Located = collections.namedtuple("Located", "path source searched", defaults=((),))

ENV_BIN = "KIMI_KERNEL_BIN"
DIST_NAME = "kimi-kernel"
BIN_STEM = "kagent"


class Looked(_LookedFields):
    """One place the locator looked, and what it found there."""

    __slots__ = ()

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "path": self.path, "outcome": self.outcome}

    def __str__(self) -> str:
        return f"[{self.source}] {self.path}: {self.outcome}"


class KagentNotFoundError(RuntimeError):
    """kagent could not be located, or the binary that was named cannot run here."""

    def __init__(self, message: str, searched: Iterable[Looked]) -> None:
        self.searched = tuple(searched)
        lines = [message]
        if self.searched:
            lines.append("Places looked:")
            lines.extend(f"  {looked}" for looked in self.searched)
        super().__init__("\n".join(lines))
        self.headline = message


def binary_name() -> str:
    return BIN_STEM + (".exe" if sys.platform == "win32" else "")


def check_runnable(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be run as kagent on this machine, or None if it can."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not an executable file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if sys.platform != "win32" and not os.access(path, os.X_OK):
        return (
            f"not executable (mode {stat.S_IMODE(st.st_mode):04o}; fix with chmod +x)"
        )
    try:
        fmt = read_format(path)
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    return incompatibility(fmt)


def _this_package_file() -> Path:
    from pathlib import Path

    return Path(__file__).resolve()


def _record_next_to_this_package() -> tuple[str, list[str]] | None:
    """The site dir and RECORD lines of the kimi_kernel-*.dist-info installed beside this
    very package, read as plain text (the start of `kimi-kernel --wire` must not pay for
    importlib.metadata, nor for pathlib); None when there is none or it does not list this
    module."""
    site = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    me = "kimi_kernel/core/" + os.path.basename(__file__)
    try:
        with os.scandir(site) as entries:
            infos = [
                e.path for e in entries
                if e.name.startswith("kimi_kernel-") and e.name.endswith(".dist-info")
            ]
    except OSError:
        return None
    for info in sorted(infos):
        try:
            with open(os.path.join(info, "RECORD"), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        if any(line.split(",", 1)[0] == me for line in lines):
            return site, lines
    return None


def packaged_kagent() -> str | None:
    """The absolute path of the kagent this distribution's RECORD lists, when it is there
    and runs here: the locator's first choice without KIMI_KERNEL_BIN, as a string."""
    found = _record_next_to_this_package()
    if found is None:
        return None
    site, lines = found
    for line in lines:
        name = line.split(",", 1)[0]
        if name.rsplit("/", 1)[-1] == binary_name() and not name.startswith('"'):
            cand = os.path.abspath(os.path.join(site, name))
            if check_runnable(cand) is None:
                return cand
    return None


def _packaged_fast(searched: list[Looked]) -> Located | None:
    """The kagent this distribution's RECORD lists, when it is found and runs here."""
    from pathlib import Path

    found = packaged_kagent()
    if found is None:
        return None
    searched.append(Looked("package", found, "found"))
    return Located(Path(found), "package", tuple(searched))


def _owning_distribution() -> metadata.Distribution | None:
    """The installed kimi-kernel distribution whose files include this very module.

    Several copies may be importable (a user install and a venv, a --target dir...);
    importlib.metadata.distribution() would return the first on sys.path, which is
    not necessarily the one we were imported from.
    """
    from importlib import metadata
    from pathlib import Path

    me = _this_package_file()
    fallback: metadata.Distribution | None = None
    for dist in metadata.distributions(name=DIST_NAME):
        fallback = fallback or dist
        for f in dist.files or ():
            if tuple(f.parts[-3:]) == ("kimi_kernel", "core", Path(__file__).name):
                try:
                    if Path(str(dist.locate_file(f))).resolve() == me:
                        return dist
                except OSError:
                    continue
    return fallback


def packaged_candidates(dist: metadata.Distribution) -> list[Path]:
    """Files named kagent(.exe) that this distribution's RECORD lists."""
    from pathlib import Path

    name = binary_name()
    found: list[Path] = []
    for f in dist.files or ():
        if f.name == name:
            found.append(Path(os.path.abspath(str(dist.locate_file(f)))))
    return found


def _site_dir(dist: metadata.Distribution) -> Path | None:
    """The directory holding this distribution's .dist-info (its site-packages or --target dir)."""
    from pathlib import Path

    for f in dist.files or ():
        if f.parts and f.parts[0].endswith(".dist-info"):
            return Path(os.path.abspath(str(dist.locate_file(f)))).parents[
                len(f.parts) - 1
            ]
    return None


def scheme_script_dirs(site_dir: Path) -> list[Path]:
    """Script directories that belong with `site_dir`, for installers that leave the
    binary out of RECORD (pip --target does): the sysconfig scheme whose purelib or
    platlib is `site_dir`, then pip's --target layout (<target>/bin or Scripts)."""
    import sysconfig
    from pathlib import Path

    out: list[Path] = []
    site = os.path.normcase(os.path.realpath(site_dir))
    for scheme in sysconfig.get_scheme_names():
        try:
            paths = sysconfig.get_paths(scheme)
        except (KeyError, ValueError):
            continue
        libs = {paths.get("purelib", ""), paths.get("platlib", "")}
        if any(lib and os.path.normcase(os.path.realpath(lib)) == site for lib in libs):
            scripts = Path(paths["scripts"])
            if scripts not in out:
                out.append(scripts)
    target_bin = site_dir / ("Scripts" if sys.platform == "win32" else "bin")
    if target_bin not in out:
        out.append(target_bin)
    return out


def path_candidates(env: Mapping[str, str]) -> list[Path]:
    """kagent on PATH, skipping empty and relative entries (i.e. never the current directory)."""
    from pathlib import Path

    raw = env.get("PATH", "")
    names = [binary_name()]
    if sys.platform == "win32":
        exts = [
            e.lower() for e in env.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";") if e
        ]
        names = [BIN_STEM + ext for ext in exts if ext == ".exe"] or [binary_name()]
    out: list[Path] = []
    for entry in raw.split(os.pathsep):
        entry = entry.strip().strip('"')
        if not entry or entry == "." or not os.path.isabs(entry):
            continue
        for n in names:
            out.append(Path(entry) / n)
    return out


def _is_bare_name(value: str) -> bool:
    """A command name without any directory part (`kagent`, not `./kagent` or `~/kagent`)."""
    seps = {os.sep, os.altsep or os.sep, "/"}
    return not any(sep in value for sep in seps) and not value.startswith("~")


def _locate_bare_name(name: str, env: Mapping[str, str], searched: list[Looked]) -> Located:
    """KIMI_KERNEL_BIN=<bare name>: looked up on PATH's absolute entries, never in the current
    directory (where an untrusted repository's `./kagent` would otherwise run)."""
    from pathlib import Path

    problems: list[str] = []
    for entry in env.get("PATH", "").split(os.pathsep):
        entry = entry.strip().strip('"')
        if not entry or not os.path.isabs(entry):
            continue
        candidate = Path(entry) / name
        problem = check_runnable(candidate)
        if problem is None:
            searched.append(Looked("env", str(candidate), "found"))
            return Located(candidate, "env", tuple(searched))
        if problem != "no such file":
            problems.append(f"{candidate}: {problem}")
        searched.append(Looked("env", str(candidate), problem))
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise KagentNotFoundError(
        f"{ENV_BIN}={name} is a bare name and no absolute PATH entry holds a usable executable "
        f"of that name{detail}; it is never looked up in the current directory. Set {ENV_BIN} "
        "to the absolute path of a kagent executable, or unset it.",
        searched,
    )


def locate(env: Mapping[str, str] | None = None) -> Located:
    """Find kagent. Raises KagentNotFoundError with every place looked when there is none."""
    env = os.environ if env is None else env
    searched: list[Looked] = []

    explicit = env.get(ENV_BIN)
    if explicit is not None:
        if not explicit.strip():
            raise KagentNotFoundError(
                f"{ENV_BIN} is set but empty; unset it or set it to the path of a kagent executable.",
                searched,
            )
        if _is_bare_name(explicit):
            return _locate_bare_name(explicit, env, searched)
        from pathlib import Path

        path = Path(explicit).expanduser()
        problem = check_runnable(path)
        if problem is not None:
            searched.append(Looked("env", str(path), problem))
            raise KagentNotFoundError(
                f"{ENV_BIN}={explicit}: {problem}. "
                f"Point {ENV_BIN} at a kagent executable built for this machine, or unset it.",
                searched,
            )
        searched.append(Looked("env", str(path), "found"))
        return Located(path.absolute(), "env", tuple(searched))
    searched.append(Looked("env", f"${ENV_BIN}", "not set"))

    if (fast := _packaged_fast(searched)) is not None:
        return fast
    dist = _owning_distribution()
    if dist is None:
        searched.append(
            Looked(
                "package",
                f"distribution {DIST_NAME}",
                "not installed (no metadata found)",
            )
        )
    else:
        cands = packaged_candidates(dist)
        site_dir = _site_dir(dist)
        if not cands:
            searched.append(
                Looked(
                    "package",
                    f"{site_dir}",
                    f"RECORD of {DIST_NAME} lists no {binary_name()}; "
                    "trying the script dirs of its install location",
                )
            )
            if site_dir is not None:
                cands = [d / binary_name() for d in scheme_script_dirs(site_dir)]
        for cand in cands:
            problem = check_runnable(cand)
            if problem is None:
                searched.append(Looked("package", str(cand), "found"))
                return Located(cand, "package", tuple(searched))
            searched.append(Looked("package", str(cand), problem))

    for cand in path_candidates(env):
        problem = check_runnable(cand)
        if problem is None:
            searched.append(Looked("path", str(cand), "found"))
            return Located(cand, "path", tuple(searched))
        if problem != "no such file":
            searched.append(Looked("path", str(cand), problem))
    if not any(s.source == "path" for s in searched):
        searched.append(
            Looked("path", "$PATH", f"no usable {binary_name()} in any absolute entry")
        )

    raise KagentNotFoundError(
        f"kagent executable not found. Reinstall the {DIST_NAME} wheel for this platform, "
        f"or set {ENV_BIN} to a kagent executable.",
        searched,
    )
