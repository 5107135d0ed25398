from __future__ import annotations

from kimi_kernel.cli import main

raise SystemExit(main())
