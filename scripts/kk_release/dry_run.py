"""Release dry run: the release workflow's commands, in its job order, on this machine.

GitHub (its runners, OIDC, attestations) and PyPI are out of reach here, so the release
pipeline's logic would otherwise first run on a real tag. This runs what each job of
.github/workflows/release.yml runs, in the order its `needs:` give, and stops at the first
failing job, as the workflow would:

  tools           a venv with the pinned requirement files the jobs install from
  check-version   check_version.py for the tag this checkout would be released as (and a wrong
                  tag must fail); workflows --check
  build           by default reuses dist/ (CI built every wheel earlier in the same run): every
                  matrix target has a wheel of the release version, the sdist is there, `nox -s
                  verify` re-verifies each wheel, manifest.json matches the files; with --build
                  it runs `nox -s wheels` as the job does
  SHA256SUMS      dist/SHA256SUMS lists every distribution with its hash (reusing CI's dist/, the
                  host wheel of `nox -s tests` is unlisted: it is added to the dry run's copy)
  test-wheel      the host's wheel natively (`kk_e2e --native`); with --e2e-report, a report of
                  this CI run's `nox -s e2e` that proved these very bytes (same sha256, all checks
                  passed, natively) stands for that run instead of repeating it; the other
                  targets' runners are out of reach (`nox -s e2e` proved their wheels under qemu /
                  wine / inspection)
  parity          with --parity: the host's wheel built from the sdist by pip + maturin with the
                  native toolchain (no zig), then compare_wheels; skipped by default (a full
                  cargo release build, over the CI budget), saying so
  publish         `uv publish` of the distributions to an upload endpoint on 127.0.0.1 (token
                  login instead of trusted publishing)
  attest          skipped: needs GitHub's OIDC token and attestation API
  github-release  the distributions and SHA256SUMS served as a release download base
  verify          verify_release.py against the loopback index (what was uploaded) and the
                  release base; control: one served file altered must fail

    PYTHONPATH=scripts python -m kk_release.dry_run [--build] [--parity] [--dist DIR]
                                                    [--e2e-report FILE]

Standard library only: it runs with any Python >= 3.11 and makes its own venv for the tools.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kk_build import pyfind
from kk_common.matrix import MATRIX_PATH, Target, load_matrix
from kk_e2e.wheel import find_wheel

from kk_release.check_version import VersionError, cargo_version, to_pep440
from kk_release.loopback_index import LoopbackIndex, normalize, sha256_of
from kk_release.workflows import host_target

REPO_ROOT = Path(__file__).resolve().parents[2]
RELEASE_SCRIPTS = Path(__file__).resolve().parent
REQUIREMENTS = [
    REPO_ROOT / "ci" / "requirements-nox.txt",
    REPO_ROOT / "ci" / "requirements-e2e.txt",
    RELEASE_SCRIPTS / "requirements-release.txt",
]


class DryRunError(RuntimeError):
    """A job of the dry run failed; the message says which check and how to reproduce it."""


@dataclass
class JobResult:
    job: str
    outcome: str  # "ok" | "skipped" | "FAILED"
    detail: str
    seconds: float


def say(job: str, text: str) -> None:
    print(f"[dry-run] {job}: {text}", flush=True)


def release_version(root: Path = REPO_ROOT) -> str:
    """kagent/Cargo.toml's version: the one version source (check_version.py maps it to PEP 440)."""
    try:
        return cargo_version(root)
    except VersionError as exc:
        raise DryRunError(str(exc)) from exc


def project_name(root: Path = REPO_ROOT) -> str:
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["name"])


def read_sums(path: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            sha, _, name = line.strip().partition("  ")
            sums[name.lstrip("*")] = sha.lower()
    return sums


def distributions(dist: Path) -> list[Path]:
    """What the publish job uploads: the wheels and the sdist (its `cp dist/*.whl dist/*.tar.gz`)."""
    return sorted([*dist.glob("*.whl"), *dist.glob("*.tar.gz")])


def sums_problems(dist: Path, unlisted_ok: frozenset[str] = frozenset()) -> list[str]:
    """SHA256SUMS must list exactly the distributions (but `unlisted_ok`), each with its hash."""
    path = dist / "SHA256SUMS"
    if not path.is_file():
        return [f"{path} is missing: `nox -s wheels` writes it"]
    sums = read_sums(path)
    files = {p.name: p for p in distributions(dist)}
    problems = [
        f"{n} is in {dist} but not in SHA256SUMS" for n in sorted(set(files) - set(sums) - unlisted_ok)
    ]
    problems += [f"SHA256SUMS lists {n}, which {dist} lacks" for n in sorted(set(sums) - set(files))]
    problems += [
        f"{n}: sha256 {sha256_of(files[n])}, SHA256SUMS says {sums[n]}"
        for n in sorted(set(files) & set(sums))
        if sha256_of(files[n]) != sums[n]
    ]
    return problems


def complete_sums(dist: Path, into: Path) -> Path:
    """``into``/SHA256SUMS: dist's lines plus the distributions it lacks, in kk_build's format."""
    sums = read_sums(dist / "SHA256SUMS") if (dist / "SHA256SUMS").is_file() else {}
    for p in distributions(dist):
        sums.setdefault(p.name, sha256_of(p))
    into.mkdir(parents=True, exist_ok=True)
    path = into / "SHA256SUMS"
    path.write_text("".join(f"{sums[n]}  {n}\n" for n in sorted(sums)), encoding="utf-8")
    return path


def manifest_problems(dist: Path, unlisted_ok: frozenset[str] = frozenset()) -> list[str]:
    path = dist / "manifest.json"
    if not path.is_file():
        return [f"{path} is missing: `nox -s wheels` writes it (the build job uploads it)"]
    manifest = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    listed = {str(w["file"]): str(w["sha256"]) for w in manifest.get("wheels", [])}
    for wheel in sorted(dist.glob("*.whl")):
        if wheel.name not in listed:
            if wheel.name not in unlisted_ok:
                problems.append(f"manifest.json does not list {wheel.name}")
        elif listed[wheel.name] != sha256_of(wheel):
            problems.append(f"manifest.json's sha256 of {wheel.name} is not the file's")
    return problems


def inventory_problems(dist: Path, targets: Sequence[Target], version: str, project: str) -> list[str]:
    """One wheel per target, all of the release version, and one sdist of it."""
    problems = []
    stem = normalize(project).replace("-", "_")
    for target in targets:
        wheel = find_wheel(dist, target)
        if wheel is None:
            problems.append(f"no {target.name} wheel (tag {target.wheel_tag}) in {dist}")
        elif wheel.name.split("-")[1] != version:
            problems.append(f"{wheel.name} is not version {version}")
    sdists = sorted(dist.glob("*.tar.gz"))
    if [s.name for s in sdists] != [f"{stem}-{version}.tar.gz"]:
        problems.append(f"want one sdist {stem}-{version}.tar.gz in {dist}, found {[s.name for s in sdists]}")
    return problems


def native_proof(report: Path, target: str, wheel: Path) -> str:
    """What a `kk_e2e --json` report says for ``wheel`` of ``target``: a sentence when it proved
    these very bytes natively with every check passed, else "" (then the dry run tests it)."""
    if not report.is_file():
        return ""
    try:
        entries = json.loads(report.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DryRunError(f"{report} is not a `kk_e2e --json` report ({exc}): "
                          "delete it or pass the report this run's `nox -s e2e -- --json` wrote") from exc
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise DryRunError(f"{report} is not a `kk_e2e --json` report (want a list of target objects): "
                          "delete it or pass the report this run's `nox -s e2e -- --json` wrote")
    digest = sha256_of(wheel)
    for entry in entries:
        if (entry.get("target") == target and entry.get("mode") == "native" and entry.get("ok")
                and entry.get("wheel") == wheel.name and entry.get("wheel_sha256") == digest):
            passed = sum(1 for c in entry.get("checks", []) if c.get("ok"))
            return f"{report} proved {wheel.name} (sha256 {digest[:12]}...) natively: {passed} checks passed"
    return ""


class DryRun:
    def __init__(
        self, dist: Path, work: Path, *, build: bool, parity: bool, e2e_report: Path | None = None
    ) -> None:
        self.dist = dist.resolve()
        self.e2e_report = e2e_report
        self.work = work.resolve()
        self.build = build
        self.parity = parity
        self.targets = load_matrix(MATRIX_PATH)
        self.host = host_target(self.targets)
        self.cargo_version = release_version()
        self.project = project_name()
        self.venv = self.work / "venv"
        self.sums = self.dist / "SHA256SUMS"  # the sums verify checks against (see sha256sums)
        self.results: list[JobResult] = []

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def python(self) -> str:
        sub = "Scripts" if os.name == "nt" else "bin"
        return str(self.venv / sub / ("python.exe" if os.name == "nt" else "python"))

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        scripts = str(REPO_ROOT / "scripts")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (scripts, env.get("PYTHONPATH", "")) if p)
        env["PATH"] = os.pathsep.join([str(Path(self.python).parent), env.get("PATH", "")])
        env.pop("VIRTUAL_ENV", None)
        return env

    def run(self, job: str, argv: Sequence[str], *, expect: int = 0, timeout: float = 1800) -> str:
        """Run one command of a job from the repository root; its output streams through."""
        say(job, "$ " + " ".join(argv))
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        with subprocess.Popen(
            list(argv), cwd=REPO_ROOT, env=self.env(), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
                lines.append(line)
                if time.monotonic() > deadline:
                    proc.kill()
                    raise DryRunError(f"`{' '.join(argv)}` took over {timeout:.0f}s")
            code = proc.wait()
        sys.stdout.flush()
        if code != expect:
            raise DryRunError(f"`{' '.join(argv)}` exited {code}, want {expect}")
        return "".join(lines)

    def job(self, name: str, body: Callable[[], str]) -> None:
        t0 = time.monotonic()
        say(name, "...")
        try:
            detail = body()
        except (DryRunError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            self.results.append(JobResult(name, "FAILED", str(exc), time.monotonic() - t0))
            raise
        outcome = "skipped" if detail.startswith("skipped") else "ok"
        self.results.append(JobResult(name, outcome, detail, time.monotonic() - t0))
        say(name, f"{outcome} ({time.monotonic() - t0:.1f}s): {detail}")

    # -- the jobs --------------------------------------------------------------------------------

    def tools(self) -> str:
        stamp = self.venv / "requirements.sha256"
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in REQUIREMENTS)).hexdigest()
        if stamp.is_file() and stamp.read_text().strip() == digest and Path(self.python).is_file():
            return f"reused {self.venv} (same requirement files)"
        shutil.rmtree(self.venv, ignore_errors=True)
        self.run("tools", [sys.executable, "-m", "venv", str(self.venv)])
        reqs = [arg for p in REQUIREMENTS for arg in ("-r", str(p.relative_to(REPO_ROOT)))]
        self.run("tools", [self.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *reqs])
        stamp.write_text(digest + "\n")
        return f"{self.venv} from {', '.join(str(p.relative_to(REPO_ROOT)) for p in REQUIREMENTS)}"

    def check_version(self) -> str:
        tag = f"v{self.cargo_version}"
        self.run("check-version", [self.python, "scripts/kk_release/check_version.py", "--tag", tag])
        major, minor, patch = self.cargo_version.split("-")[0].split(".")
        wrong = f"v{major}.{minor}.{int(patch) + 1}"
        out = self.run(
            "check-version", [self.python, "scripts/kk_release/check_version.py", "--tag", wrong], expect=1
        )
        if "tag" not in out or wrong not in out:
            raise DryRunError(f"check_version.py failed {wrong} without naming the tag: {out.strip()}")
        self.run("check-version", [self.python, "-m", "kk_release.workflows", "--check"])
        return f"tag {tag} == Cargo == pyproject (a tag {wrong} is refused); workflows match the matrix"

    def build_job(self) -> str:
        if self.build:
            self.run("build", [self.python, "-m", "nox", "-s", "wheels"], timeout=7200)
        problems = inventory_problems(self.dist, self.targets, to_pep440(self.cargo_version), self.project)
        if problems:
            raise DryRunError(
                "; ".join(problems) + ": build them with `nox -s wheels` (or run with --build)"
            )
        wheels = [str(w) for w in sorted(self.dist.glob("*.whl"))]
        self.run("build", [self.python, "-m", "nox", "-s", "verify", "--", *wheels], timeout=1800)
        problems = manifest_problems(self.dist, self.unlisted_ok())
        if problems:
            raise DryRunError("; ".join(problems))
        how = "built by `nox -s wheels`" if self.build else "reused from this run's dist/ (no rebuild)"
        return f"{len(self.targets)} wheels + sdist {how}, each re-verified by `nox -s verify`"

    def test_wheel(self) -> str:
        wheel = find_wheel(self.dist, self.host)
        proved = None
        if self.e2e_report is not None and wheel is not None:
            proved = native_proof(self.e2e_report, self.host.name, wheel)
            say("test-wheel", proved or f"{self.e2e_report} does not vouch for {wheel.name}: running it")
        if not proved:
            self.run(
                "test-wheel",
                [self.python, "-m", "kk_e2e", "--native", "--dist", str(self.dist), self.host.name],
                timeout=1800,
            )
        others = [f"{t.name} ({t.gh_runner})" for t in self.targets if t is not self.host]
        say("test-wheel", f"not run here, their runners are out of reach: {', '.join(others)}; "
                          "`nox -s e2e` proves their wheels under qemu / wine / inspection instead")
        how = "natively, by this run's nox -s e2e" if proved else "natively"
        return f"{self.host.name} {how} (as on {self.host.gh_runner}); {len(others)} on GitHub only"

    def parity_job(self) -> str:
        if not self.parity:
            return (
                "skipped: the parity wheel is a native (non-zig) cargo release build from the sdist, "
                "minutes of CPU beyond this dry run's CI budget; run with --parity to include it"
            )
        sdist = next(iter(sorted(self.dist.glob("*.tar.gz"))))
        src = self.work / "sdist-src"
        wheelhouse = self.work / "wheelhouse"
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(wheelhouse, ignore_errors=True)
        src.mkdir(parents=True)
        with tarfile.open(sdist) as tar:
            tar.extractall(src, filter="data")
        (top,) = list(src.iterdir())
        env_target = self.work / "target-parity"
        os.environ["CARGO_TARGET_DIR"] = str(env_target)  # kept between local dry runs: warm
        # kimi-kernel requires Python >= 3.12 (kimi-cli 1.51 does); the tools venv may be older.
        builder = self.work / "parity-venv"
        builder_py = builder / ("Scripts" if os.name == "nt" else "bin") / "python"
        if not builder_py.is_file():
            try:
                python = pyfind.find()
            except RuntimeError as exc:  # names every interpreter tried and the fix
                raise DryRunError(str(exc)) from exc
            self.run("parity", [python, "-m", "venv", str(builder)])
        try:
            self.run(
                "parity",
                [str(builder_py), "-m", "pip", "wheel", "--no-deps", "-w", str(wheelhouse), str(top)],
                timeout=3600,
            )
        finally:
            os.environ.pop("CARGO_TARGET_DIR", None)
        self.run(
            "parity",
            [self.python, "-m", "kk_release.compare_wheels", "--target", self.host.name,
             str(self.dist), str(wheelhouse)],
        )
        return f"{self.host.name}: the native build from {sdist.name} holds the zig wheel's files"

    def publish_and_verify(self) -> None:
        staged = self.work / "pypi"
        uploaded = self.work / "uploaded"
        for d in (staged, uploaded):
            shutil.rmtree(d, ignore_errors=True)
        staged.mkdir(parents=True)
        for f in distributions(self.dist):  # the job's "Keep only the distributions"
            shutil.copy2(f, staged / f.name)
        release_files = {p.name: p for p in [*distributions(self.dist), self.sums]}
        tag = f"v{self.cargo_version}"
        sums = str(self.sums)
        verify = [self.python, "scripts/kk_release/verify_release.py", "--sums", sums]

        with LoopbackIndex(self.project, {}, tag=tag, uploads=uploaded) as pypi:

            def publish() -> str:
                self.run("publish", [
                    "uv", "publish", "--publish-url", f"{pypi.base}/legacy/", "--trusted-publishing",
                    "never", "--username", "dry-run", "--password", "dry-run",
                    *sorted(str(p) for p in staged.iterdir()),
                ])
                return f"uv publish uploaded {len(pypi.files)} files to {pypi.base}/legacy/ (not PyPI)"

            self.job("publish", publish)
            self.job("attest", lambda: "skipped: needs GitHub's OIDC token and attestation API")
            with LoopbackIndex(self.project, release_files, tag=tag) as release:
                served = f"{len(release_files)} files at {release.release_url} (no gh release create)"
                self.job("github-release", lambda: served)

                def verify_job() -> str:
                    self.run("verify", [*verify, "--index", pypi.index_url])
                    self.run("verify", [*verify, "--release", release.release_url])
                    return "the uploaded files and the release's == SHA256SUMS"

                self.job("verify", verify_job)
            victim = distributions(self.dist)[0].name  # a file verify_release downloads
            with LoopbackIndex(self.project, release_files, tag=tag, altered=victim) as bad:

                def control() -> str:
                    out = self.run("verify", [*verify, "--release", bad.release_url], expect=1)
                    if f"MISMATCH {victim}" not in out:
                        raise DryRunError(f"verify_release did not name the altered {victim}: {out}")
                    return f"verify_release fails on a served {victim} with one byte altered"

                self.job("verify (control)", control)

    def run_all(self) -> int:
        self.work.mkdir(parents=True, exist_ok=True)
        try:
            self.job("tools", self.tools)
            self.job("check-version", self.check_version)
            self.job("build", self.build_job)
            self.job("SHA256SUMS", self.sha256sums)
            self.job("test-wheel", self.test_wheel)
            self.job("parity", self.parity_job)
            self.publish_and_verify()
        except (DryRunError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            failed = self.results[-1].job if self.results else "setup"
            print(f"[dry-run] FAILED in job {failed}: {exc}", file=sys.stderr, flush=True)
            self.summary()
            return 1
        self.summary()
        return 0

    def unlisted_ok(self) -> frozenset[str]:
        """Reusing CI's dist/: the host wheel comes from `nox -s tests`, which writes no
        SHA256SUMS / manifest.json entry (`nox -s wheels -- --all-but-host` writes them)."""
        if self.build:
            return frozenset()
        host = find_wheel(self.dist, self.host)
        return frozenset({host.name}) if host is not None else frozenset()

    def sha256sums(self) -> str:
        problems = sums_problems(self.dist, self.unlisted_ok())
        if problems:
            raise DryRunError("; ".join(problems))
        self.sums = complete_sums(self.dist, self.work)
        listed = len(read_sums(self.dist / "SHA256SUMS"))
        total = len(distributions(self.dist))
        if listed == total:
            return f"{self.dist / 'SHA256SUMS'} lists exactly the {total} distributions, hashes right"
        return (
            f"{self.dist / 'SHA256SUMS'} lists {listed} of the {total} distributions, hashes right; "
            f"{', '.join(sorted(self.unlisted_ok()))} (built by `nox -s tests`, which writes no sums) "
            f"added in {self.sums}, which the release base serves and verify uses"
        )

    def summary(self) -> None:
        width = max([len("job"), *(len(r.job) for r in self.results)])
        print(f"\n[dry-run] {'job':{width}} result   seconds  detail")
        for r in self.results:
            print(f"[dry-run] {r.job:{width}} {r.outcome:8} {r.seconds:7.1f}  {r.detail}")
        total = sum(r.seconds for r in self.results)
        print(f"[dry-run] {len(self.results)} jobs in {total:.0f}s; not covered here: the native runners "
              "of the non-host targets, PyPI (trusted publishing) and the attestations", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dist", type=Path, default=REPO_ROOT / "dist", help="the wheels + sdist (default dist/)")
    p.add_argument("--work", type=Path, default=REPO_ROOT / "build" / "release-dry-run", help="scratch dir")
    p.add_argument("--build", action="store_true", help="run `nox -s wheels` instead of reusing dist/")
    p.add_argument("--parity", action="store_true", help="also build the host wheel from the sdist natively")
    p.add_argument("--e2e-report", type=Path, help="a `kk_e2e --json` report of this run (see test-wheel)")
    args = p.parse_args(argv)
    dry = DryRun(args.dist, args.work, build=args.build, parity=args.parity, e2e_report=args.e2e_report)
    return dry.run_all()


if __name__ == "__main__":
    sys.exit(main())
