"""An isolated directory for kernel runs: share dir, work dir, HOME, a scripted-echo config.

Same layout and config as tests/differential/sandbox.py (the scripted echo provider
`_scripted_echo` reads its steps from the JSON list named by KIMI_SCRIPTED_ECHO_SCRIPTS), kept
separate so scripts/ does not import from tests/.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

SCRIPTS_ENV = "KIMI_SCRIPTED_ECHO_SCRIPTS"
# Environment variables that may leak a developer's real setup into a run.
_DROP_PREFIXES = ("KIMI_", "MOONSHOT_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "KAGENT_")

CONFIG_TEMPLATE = """\
default_model = "echo"
telemetry = false

[models.echo]
provider = "scripted"
model = "echo"
max_context_size = 100000

[providers.scripted]
type = "_scripted_echo"
base_url = ""
api_key = ""

[providers.scripted.env]
{scripts_env} = {scripts}
"""


@dataclass
class Sandbox:
    root: Path

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        for sub in (self.share, self.work, self.home):
            sub.mkdir(parents=True, exist_ok=True)

    @property
    def share(self) -> Path:
        return self.root / "share"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def scripts_path(self) -> Path:
        return self.root / "scripts.json"

    def write(self, scripts: list[str]) -> None:
        """The scripted steps the echo model plays, one per LLM call, and the config."""
        self.scripts_path.write_text(json.dumps(scripts), encoding="utf-8")
        self.config_path.write_text(
            CONFIG_TEMPLATE.format(scripts_env=SCRIPTS_ENV, scripts=json.dumps(str(self.scripts_path))),
            encoding="utf-8",
        )

    def reset_share(self, pristine: Path | None = None) -> None:
        """Empty the share dir (or make it a copy of ``pristine``): each run starts the same."""
        shutil.rmtree(self.share, ignore_errors=True)
        if pristine is None:
            self.share.mkdir(parents=True)
        else:
            shutil.copytree(pristine, self.share)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
        env["HOME"] = str(self.home)
        env["KIMI_SHARE_DIR"] = str(self.share)
        env["NO_COLOR"] = "1"
        env.update(extra or {})
        return env

    def session_dirs(self) -> list[Path]:
        base = self.share / "sessions"
        return sorted(p for p in base.glob("*/*") if p.is_dir()) if base.is_dir() else []
