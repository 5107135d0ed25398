"""A distribution's version from the `.dist-info` directory installed beside its package.

importlib.metadata finds a version by scanning every sys.path entry and parsing the METADATA
file as an e-mail message (importing the email package): on a loaded machine that is a good
part of the Wire exec's start. The installers write `<name>-<version>.dist-info` next to the
package they install, so one directory listing gives the version of the copy that is
imported. Callers fall back to importlib.metadata when this finds nothing (or more than one)."""

from __future__ import annotations

import os


def version_beside(package_dir: str | os.PathLike[str], dist_name: str) -> str | None:
    """The version in the one `<dist_name>-<version>.dist-info` next to `package_dir`
    (`dist_name` with `-` as `_`), or None."""
    prefix = dist_name.replace("-", "_").lower() + "-"
    suffix = ".dist-info"
    try:
        with os.scandir(os.path.dirname(os.fspath(package_dir))) as entries:
            found = [
                e.name[len(prefix) : -len(suffix)]
                for e in entries
                if e.name.lower().startswith(prefix) and e.name.endswith(suffix) and e.is_dir()
            ]
    except OSError:
        return None
    return found[0] if len(found) == 1 and found[0] else None
