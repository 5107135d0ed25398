"""Start-up of a kimi-kernel process: check the installed kimi-cli against what the kagent
adapter needs (kimi_private.verify, which imports every module it names: seconds; its clean
answer is remembered per kimi-cli installation and file state, verify_once), then install
the kernel selection into kimi-cli.

python: nothing is checked, kimi-cli runs untouched. rust: a mismatch is an error naming
each missing name and the kimi-cli version. auto: the Python kernel, with a one-line notice."""

from __future__ import annotations

from kimi_kernel.core._select import Selection
from kimi_kernel.host import kimi_private
from kimi_kernel.host._notice import notice


def checked_selection(selection: Selection) -> Selection:
    """The selection this process runs with. Raises kimi_private.KimiCliMismatchError
    under rust when the installed kimi-cli does not fit the adapter."""
    if selection.kernel == "python":
        return selection
    from kimi_kernel.core._cachedir import cache_dir

    problems = kimi_private.verify_once(cache_dir())
    if not problems:
        return selection
    error = kimi_private.KimiCliMismatchError(problems, kimi_private.kimi_cli_version())
    if selection.kernel == "rust":
        raise error
    notice(
        f"kimi-kernel: kagent unavailable (the installed kimi-cli {error.version} does not fit "
        f"kimi-kernel's adapter: {'; '.join(problems)}); using the Python kernel."
    )
    return selection._replace(kernel="python")


def start(selection: Selection) -> Selection:
    """Check, then make every KimiCLI.create honour the selection; returns the one in force.

    After an auto fallback nothing is installed: the mismatch may be in the very names the
    installation patches (KimiCLI.create, the web runner), and kimi-cli runs untouched."""
    from kimi_kernel.host._hook import install

    effective = checked_selection(selection)
    if effective.kernel == selection.kernel:
        install(effective)
    return effective


def mismatch_message(selection: Selection, error: kimi_private.KimiCliMismatchError) -> str:
    return f"kimi-kernel: error: the rust kernel was requested ({selection.detail}) but {error}"
