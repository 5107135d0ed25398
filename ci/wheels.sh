#!/usr/bin/env bash
# The main job in one command on a fresh machine: install the pinned nox, then build and verify
# the wheels of platform-matrix.toml (all targets, or the given keys) and the sdist into dist/.
#
#   bash ci/wheels.sh [TARGET...]        = python3 -m nox -s wheels [-- TARGET...]
#
# Needs Python >= 3.11 as python3 (nox's own floor); the session finds or installs the rest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -m pip install -q -r ci/requirements-nox.txt
if [ "$#" -gt 0 ]; then
    exec python3 -m nox -s wheels -- "$@"
fi
exec python3 -m nox -s wheels
