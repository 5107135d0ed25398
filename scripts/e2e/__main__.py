"""`python -m scripts.e2e`: see scripts/e2e/cli.py."""

from __future__ import annotations

import sys

from scripts.e2e.cli import main

sys.exit(main())
