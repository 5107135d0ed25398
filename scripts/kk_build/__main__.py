from __future__ import annotations

import sys

from kk_build.cli import main

sys.exit(main())
