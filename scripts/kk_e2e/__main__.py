"""`python -m kk_e2e`: see scripts/kk_e2e/cli.py."""

from __future__ import annotations

import sys

from kk_e2e.cli import main

sys.exit(main())
