#!/usr/bin/env bash
# README's test command; `.ci/run` and .github/workflows/ci.yml both call it.
#
#   1. nox -s tests  cargo fmt/clippy/test; the host wheel, built and verified into dist/;
#                    pytest tests/ against it (incl. the workflow linters actionlint + zizmor);
#                    a second host build from a copy of the checkout at another path must be
#                    byte-identical (reproducibility).
#   2. nox -s e2e    builds the wheels dist/ lacks, i.e. every other platform-matrix.toml target
#                    (the host wheel of step 1 is reused, not rebuilt), then proves each wheel
#                    here as its `e2e` field says: native, under qemu, under wine, inspect-only.
#                    As root on Debian it apt-installs what that needs (qemu-user-static,
#                    libc6-<arch>-cross, wine64; rustc-web cargo-web rust-web-src for the cross
#                    builds when rustup has no std for them).
#
# Both steps run even if the first fails; the exit status is non-zero if either failed.
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
stage "nox -s tests" python3 -m nox -s tests -- "$@"
stage "nox -s e2e" python3 -m nox -s e2e
echo "ci: finished in $(( $(date +%s) - start ))s (load average now: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a))"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "ci: FAILED: ${failed[*]}" >&2
    exit 1
fi
