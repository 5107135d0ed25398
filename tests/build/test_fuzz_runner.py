"""scripts/kk_fuzz without cargo-fuzz: the libFuzzer command line, reading its output, and the
targets agreeing with kagent/fuzz (binaries, entry table, regression folders)."""

from __future__ import annotations

import re
from pathlib import Path

from kk_fuzz import libfuzzer, runner

FUZZ_DIR = Path(__file__).resolve().parents[2] / "kagent" / "fuzz"

CRASH_LOG = """\
INFO: Seed: 1234
#2\tINITED cov: 40 ft: 41 corp: 1/1b exec/s: 0 rss: 30Mb
#51234\tNEW    cov: 99 ft: 120 corp: 9/88b lim: 4 exec/s: 25617 rss: 31Mb L: 3/4 MS: 1 ChangeBit-
thread '<unnamed>' panicked at base/src/py/frontmatter.rs:210:23:
byte index 4 is out of bounds of `"d"`
==1== ERROR: libFuzzer: deadly signal
MS: 1 ChangeByte-; base unit: 0000
artifact_prefix='/k/fuzz/artifacts/skill_md/'; Test unit written to /k/fuzz/artifacts/skill_md/crash-ab12
"""

CLEAN_LOG = """\
#9000000\tDONE   cov: 900 ft: 4000 corp: 1000/300Kb lim: 20000 exec/s: 15000 rss: 40Mb
Done 9000000 runs in 601 second(s)
stat::number_of_executed_units: 9000000
stat::average_exec_per_sec:     15000
"""


def test_output_is_read_for_runs_and_crashes() -> None:
    crashed = libfuzzer.parse_output(CRASH_LOG)
    assert (crashed.executed, crashed.crashes) == (51234, 1)
    assert crashed.artifacts == ("/k/fuzz/artifacts/skill_md/crash-ab12",)
    clean = libfuzzer.parse_output(CLEAN_LOG)
    assert (clean.executed, clean.crashes) == (9000000, 0)


def test_run_command_bounds_time_length_and_memory(tmp_path: Path) -> None:
    cmd = libfuzzer.run_command(
        tmp_path / "pyloads", 600, tmp_path / "corpus", [tmp_path / "seeds"], tmp_path / "art"
    )
    assert cmd[0] == str(tmp_path / "pyloads")
    assert "-max_total_time=600" in cmd and f"-max_len={libfuzzer.MAX_LEN}" in cmd
    assert f"-artifact_prefix={tmp_path / 'art'}/" in cmd
    assert cmd[-2:] == [str(tmp_path / "corpus"), str(tmp_path / "seeds")]
    assert libfuzzer.build_env({})["RUSTC_BOOTSTRAP"] == "1"
    assert libfuzzer.build_command([]) == ["cargo", "fuzz", "build", "--sanitizer", "none"]


def test_targets_entries_and_regression_folders_agree() -> None:
    targets = runner.list_targets(FUZZ_DIR)
    entries = (FUZZ_DIR / "src" / "entries.rs").read_text(encoding="utf-8")
    table = re.findall(r'^\s+\("(\w+)", \w+\),$', entries, re.M)
    manifest = re.findall(r'^name = "(\w+)"$', (FUZZ_DIR / "Cargo.toml").read_text(), re.M)
    assert len(targets) == 13
    assert sorted(table) == targets
    assert sorted(manifest[1:]) == targets  # the first is the [lib] name (kagent_fuzz)
    assert all((FUZZ_DIR / "regressions" / t).is_dir() for t in targets)


def test_a_report_line_names_runs_and_crashes(tmp_path: Path) -> None:
    report = runner.TargetReport(
        "yaml", 600.4, libfuzzer.Outcome(12345, ()), saved=(), log=tmp_path / "yaml.log"
    )
    assert report.line() == "yaml: runs 12345, crashes 0, 600 s"
