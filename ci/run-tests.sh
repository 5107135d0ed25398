#!/usr/bin/env bash
# README's test command; `.ci/run` and .github/workflows/ci.yml both call it.
#
#   1. nox -s tests  cargo fmt/clippy/test; the host wheel, built and verified into dist/; ruff
#                    and mypy (pyproject.toml) from the test venv, where kimi-cli 1.51 is installed;
#                    pytest tests/ against it (incl. the workflow linters actionlint + zizmor).
#                    Here without its last step (KK_SKIP_REPRODUCIBLE=1): that is 1c.
#   1b. meanwhile, in the background: nox -s wheels -- --all-but-host, every other
#                    platform-matrix.toml target's wheel (and the sdist) into dist/, in its own
#                    cargo target dir (cargo locks a target dir per build), at nice 10: the
#                    foreground (cargo checks, host wheel, pytest's workers) goes first and these
#                    builds take the CPU it leaves (pytest's timers must not starve). As root on
#                    Debian it apt-installs rustc-web cargo-web rust-web-src when rustup has no
#                    std for a target.
#   1c. beside 1b, in the background too: nox -s reproducible -- --against-dist, a second host
#                    build from a copy of the checkout at another path, fresh target dir, must be
#                    byte-identical to the host wheel step 1 put in dist/ (it overlaps pytest
#                    instead of following it).
#   2. nox -s e2e    proves every wheel of dist/ here as its `e2e` field says: native, under qemu,
#                    under wine, inspect-only (the host wheel of step 1 is reused, not rebuilt;
#                    a wheel still missing would be built). As root on Debian it apt-installs
#                    qemu-user-static, libc6-<arch>-cross and wine64 when missing.
#
# Every step runs even if an earlier one fails; the exit status is non-zero if any failed.
# Arguments go to pytest (as with `nox -s tests -- ARGS`).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
python3 -m pip install -q -r ci/requirements-nox.txt || exit 1

# Every wheel that e2e proves is built by this run: drop wheels an earlier run left in dist/.
rm -f dist/*.whl

stage() {  # stage NAME CMD...: run, time, remember failures
    local name=$1 t0 rc
    shift
    t0=$(date +%s)
    echo "ci: ${name} ..."
    "$@"
    rc=$?
    echo "ci: ${name}: exit ${rc} after $(( $(date +%s) - t0 ))s"
    [ "$rc" -eq 0 ] || failed+=("$name")
}

failed=()
mkdir -p build/logs
cross_log=build/logs/ci-wheels-all-but-host.log
repro_log=build/logs/ci-reproducible.log
host_ready=build/logs/ci-host-wheel-ready
rm -f "$host_ready"
cross_t0=$(date +%s)
nice -n 10 python3 -m nox -s wheels -- --all-but-host --target-dir build/target-cross \
    > "$cross_log" 2>&1 < /dev/null &
cross_pid=$!
echo "ci: nox -s wheels -- --all-but-host started in the background (pid ${cross_pid}, log ${cross_log})"
# 1c. then, still in the background and at nice 10, the host wheel's reproducibility (one more
#     build from a copy of the checkout, compared with dist/'s): it waits for `nox -s tests` to
#     have built and verified the host wheel, then shares what CPU the foreground leaves with the
#     cross builds (their single-threaded LTO and link phases leave a core to each other).
(
    while [ ! -e "$host_ready" ]; do
        kill -0 "$$" 2>/dev/null || exit 1
        sleep 5
    done
    if [ "$(cat "$host_ready")" != "ok" ]; then
        echo "ci: no verified host wheel from nox -s tests; reproducibility not checked"
        exit 1
    fi
    exec nice -n 10 python3 -m nox -s reproducible -- --against-dist
) > "$repro_log" 2>&1 < /dev/null &
repro_pid=$!

stage "nox -s tests" env KK_SKIP_REPRODUCIBLE=1 KK_HOST_WHEEL_READY_FILE="$host_ready" \
    python3 -m nox -s tests -- "$@"
[ -e "$host_ready" ] || echo "failed" > "$host_ready"

echo "ci: waiting for the background wheel builds ..."
wait "$cross_pid"
cross_rc=$?
echo "ci: ---- ${cross_log} ----"
cat "$cross_log"
echo "ci: nox -s wheels -- --all-but-host: exit ${cross_rc} after $(( $(date +%s) - cross_t0 ))s (started with nox -s tests)"
[ "$cross_rc" -eq 0 ] || failed+=("nox -s wheels -- --all-but-host")
wait "$repro_pid"
repro_rc=$?
echo "ci: ---- ${repro_log} ----"
cat "$repro_log"
echo "ci: nox -s reproducible -- --against-dist: exit ${repro_rc} (finished $(( $(date +%s) - cross_t0 ))s after the start)"
[ "$repro_rc" -eq 0 ] || failed+=("nox -s reproducible -- --against-dist")

# e2e's report names each wheel it proved by sha256: the dry run's test-wheel job reuses the
# host's native proof instead of repeating it (README: Release).
e2e_report=build/logs/e2e-report.json
rm -f "$e2e_report"
stage "nox -s e2e" python3 -m nox -s e2e -- --json "$e2e_report"
stage "release dry run" env PYTHONPATH=scripts python3 -m kk_release.dry_run --parity --e2e-report "$e2e_report"
echo "ci: CPU time (user, system) of this script, then of everything it ran:"
times
echo "ci: finished in $(( $(date +%s) - start ))s (load average now: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a))"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "ci: FAILED: ${failed[*]}" >&2
    exit 1
fi
