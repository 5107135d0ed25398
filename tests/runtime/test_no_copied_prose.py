"""No kimi-cli prose in our tree: kagent reads kimi-cli's texts from the installed kimi-cli at
run time (the profile, host/_profile.py), so no tracked file under kagent/, python/ or
scripts/ may carry a line of them.

The lines checked are every line of 50 or more characters (stripped) of the installed
kimi-cli's prompt files (agents/**/*.md, prompts/*.md, tools/**/*.md, skills/**/SKILL.md) and of
the tool descriptions the exporter renders; and, short strings too, every piece of 20 or more
characters (a line, cut at the placeholders) of the texts and messages the exporter renders
and of every string literal of the kimi-cli functions it reads messages from (not only the
literals it exports: a function's other texts are kimi-cli's words as well), except pieces
without a space: those are names (a JSON key of a service's API, a field, a class) that
kagent must spell as kimi-cli does, not prose. A failure names
our file, its line and kimi-cli's source. By hand, against another checkout:
`python tests/runtime/test_no_copied_prose.py TREE`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MIN_CHARS = 50
MIN_SHORT_CHARS = 20
CHECKED_DIRS = ("kagent", "python", "scripts")
PROSE_GLOBS = ("agents/**/*.md", "prompts/*.md", "tools/**/*.md", "skills/**/SKILL.md")
REPO = Path(__file__).resolve().parents[2]


def kimi_cli_prose() -> dict[str, str]:
    """Each long line of kimi-cli's prose -> where it comes from."""
    import kimi_cli
    from kimi_kernel.host._profile import SOURCE_MESSAGES, build_profile
    from kimi_kernel.host.kimi_private import source_strings

    root = Path(kimi_cli.__file__).parent
    lines: dict[str, str] = {}
    for pattern in PROSE_GLOBS:
        for path in sorted(root.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if len(line.strip()) >= MIN_CHARS:
                    lines.setdefault(line.strip(), f"kimi_cli/{path.relative_to(root)}")
    profile = build_profile()
    for import_path, tool in profile["tools"].items():
        for line in tool["description"].splitlines():
            if len(line.strip()) >= MIN_CHARS:
                lines.setdefault(line.strip(), f"the description of {import_path}")
    for section in ("texts", "messages"):
        for key, text in profile[section].items():
            for piece in short_pieces(text):
                lines.setdefault(piece, f"the profile's {section}.{key}")
    for owner in sorted({owner for owner, _, _ in SOURCE_MESSAGES.values()}):
        for literal in source_strings(owner):
            for piece in short_pieces(literal.text):
                if any(c.isspace() for c in piece):  # else a name, not prose
                    lines.setdefault(piece, f"a string literal of {owner}")
    return lines


def short_pieces(text: str) -> list[str]:
    """The pieces of `text` of MIN_SHORT_CHARS or more: its lines, cut at `{...}` (a
    placeholder, or an expression an f-string formats), stripped."""
    return [
        piece.strip()
        for line in text.splitlines()
        for piece in re.split(r"\{[^{}\s]*\}", line)
        if len(piece.strip()) >= MIN_SHORT_CHARS
    ]


def tracked_files(tree: Path) -> list[Path]:
    listed = subprocess.run(
        ["git", "-C", str(tree), "ls-files", "-z", "--", *CHECKED_DIRS],
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [tree / name for name in listed.split("\0") if name]


_RUST_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "'": "'", "\\": "\\"}


def rust_unescaped(text: str) -> str:
    """`text` with Rust's string escapes read (`\\"`, `\\n`, `\\u{2014}`, a line continued
    with `\\` at its end), so a copy spelled with escapes is found too."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16))
        if m.group(2) is not None:
            return ""  # a continued line: the newline and the next line's indent go
        return _RUST_ESCAPES.get(m.group(3), m.group(0))

    return re.sub(r"\\(?:u\{([0-9a-fA-F]{1,6})\}|(\n\s*)|(.))", one, text)


def copies(tree: Path, prose: dict[str, str]) -> list[str]:
    """`file:line: ... (from <kimi-cli source>)` for every line of `prose` found in `tree`
    (in a Rust file also as its string escapes read)."""
    found: list[str] = []
    for path in tracked_files(tree):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # binary or gone from the work tree: no prose to find
        lines = text.splitlines()
        if path.suffix == ".rs":
            text = f"{text}\n{rust_unescaped(text)}"
            lines = [f"{ours}\n{rust_unescaped(ours)}" for ours in lines]
        hits = [line for line in prose if line in text]
        for line in hits:
            number = next((i for i, ours in enumerate(lines, 1) if line in ours), 0)
            found.append(
                f"{path.relative_to(tree)}:{number}: {line[:80]!r} (from {prose[line]})"
            )
    return found


def test_no_tracked_file_carries_kimi_cli_prose() -> None:
    prose = kimi_cli_prose()
    assert len(prose) > 300, len(prose)  # the check has something to look for
    found = copies(REPO, prose)
    assert not found, f"{len(found)} lines of kimi-cli's prose are in the repo:\n" + "\n".join(found)


def test_the_guard_finds_a_short_copied_string(tmp_path: Path) -> None:
    """Short strings count: one of kimi-cli's tool messages (under 50 characters) typed in a
    Rust string literal is found, with its line."""
    prose = kimi_cli_prose()
    short = next(p for p, source in prose.items() if len(p) < 40 and "messages." in source)
    (tmp_path / "kagent").mkdir()
    (tmp_path / "kagent" / "tool.rs").write_text(f'fn f() -> &str {{\n    "{short}"\n}}\n')
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "kagent/tool.rs"], check=True)
    assert copies(tmp_path, prose) == [f"kagent/tool.rs:2: {short[:80]!r} (from {prose[short]})"]


def test_names_in_kimi_clis_functions_are_not_prose() -> None:
    """A literal without a space (SearchWeb's request field `enable_page_crawling`) is a name
    kagent must send as kimi-cli does; the same function's sentences are still checked."""
    prose = kimi_cli_prose()
    assert "enable_page_crawling" not in prose
    owner = "kimi_cli.tools.web.search:SearchWeb.__call__"
    assert any(source == f"a string literal of {owner}" for source in prose.values())


def test_the_guard_reads_rust_escapes(tmp_path: Path) -> None:
    """A copy spelled with Rust escapes (a quote as `\\"`, a dash as `\\u{2014}`) is found."""
    prose = kimi_cli_prose()
    short = next(p for p, source in prose.items() if '"' in p and "messages." in source)
    escaped = short.replace("\\", "\\\\").replace('"', '\\"')
    (tmp_path / "kagent").mkdir()
    (tmp_path / "kagent" / "tool.rs").write_text(f'fn f() -> &str {{\n    "{escaped}"\n}}\n')
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "kagent/tool.rs"], check=True)
    assert copies(tmp_path, prose) == [f"kagent/tool.rs:2: {short[:80]!r} (from {prose[short]})"]
    assert rust_unescaped('a \\u{2014} b\\\n    c \\"d\\"') == 'a \u2014 bc "d"'


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
