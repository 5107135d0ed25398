"""No kimi-cli prose in our tree: kagent reads kimi-cli's texts from the installed kimi-cli at
run time (the profile, host/_profile.py), so no tracked file under kagent/, python/ or
scripts/ may carry a line of them.

The lines checked are every line of 50 or more characters (stripped) of the installed
kimi-cli's prompt files (agents/**/*.md, prompts/*.md, tools/**/*.md, skills/**/SKILL.md) and of
the tool descriptions the exporter renders. A failure names our file, its line and kimi-cli's
file. By hand, against another checkout: `python tests/runtime/test_no_copied_prose.py TREE`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MIN_CHARS = 50
CHECKED_DIRS = ("kagent", "python", "scripts")
PROSE_GLOBS = ("agents/**/*.md", "prompts/*.md", "tools/**/*.md", "skills/**/SKILL.md")
REPO = Path(__file__).resolve().parents[2]


def kimi_cli_prose() -> dict[str, str]:
    """Each long line of kimi-cli's prose -> where it comes from."""
    import kimi_cli
    from kimi_kernel.host._profile import build_profile

    root = Path(kimi_cli.__file__).parent
    lines: dict[str, str] = {}
    for pattern in PROSE_GLOBS:
        for path in sorted(root.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if len(line.strip()) >= MIN_CHARS:
                    lines.setdefault(line.strip(), f"kimi_cli/{path.relative_to(root)}")
    for import_path, tool in build_profile()["tools"].items():
        for line in tool["description"].splitlines():
            if len(line.strip()) >= MIN_CHARS:
                lines.setdefault(line.strip(), f"the description of {import_path}")
    return lines


def tracked_files(tree: Path) -> list[Path]:
    listed = subprocess.run(
        ["git", "-C", str(tree), "ls-files", "-z", "--", *CHECKED_DIRS],
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [tree / name for name in listed.split("\0") if name]


def copies(tree: Path, prose: dict[str, str]) -> list[str]:
    """`file:line: ... (from <kimi-cli source>)` for every line of `prose` found in `tree`."""
    found: list[str] = []
    for path in tracked_files(tree):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # binary or gone from the work tree: no prose to find
        hits = [line for line in prose if line in text]
        for line in hits:
            number = next(
                (i for i, ours in enumerate(text.splitlines(), 1) if line in ours), 0
            )
            found.append(
                f"{path.relative_to(tree)}:{number}: {line[:80]!r} (from {prose[line]})"
            )
    return found


def test_no_tracked_file_carries_kimi_cli_prose() -> None:
    prose = kimi_cli_prose()
    assert len(prose) > 300, len(prose)  # the check has something to look for
    found = copies(REPO, prose)
    assert not found, f"{len(found)} lines of kimi-cli's prose are in the repo:\n" + "\n".join(found)


def test_the_guard_finds_a_copied_line(tmp_path: Path) -> None:
    """The check can fail: one of kimi-cli's lines in a tracked file is named with its line."""
    prose = kimi_cli_prose()
    line, source = next(iter(prose.items()))
    (tmp_path / "kagent").mkdir()
    (tmp_path / "kagent" / "notes.rs").write_text(f"// ours\nconst X: &str = \"{line}\";\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "kagent/notes.rs"], check=True)
    assert copies(tmp_path, prose) == [f"kagent/notes.rs:2: {line[:80]!r} (from {source})"]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO
    problems = copies(target, kimi_cli_prose())
    print("\n".join(problems) or f"no kimi-cli prose under {', '.join(CHECKED_DIRS)} of {target}")
    raise SystemExit(1 if problems else 0)
