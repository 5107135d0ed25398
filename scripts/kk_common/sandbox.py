"""The scripted-echo sandbox: an isolated directory tree for kernel runs (share dir, work dir,
HOME, config, scripts), for the differential and provider suites and the bench.

Its config selects kimi-cli's `_scripted_echo` provider, which plays the steps of the JSON list
named by KIMI_SCRIPTED_ECHO_SCRIPTS, one per LLM call: no network, the same replies every run.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPTS_ENV = "KIMI_SCRIPTED_ECHO_SCRIPTS"
# Environment variables that may leak a developer's real setup into a run.
_DROP_PREFIXES = ("KIMI_", "MOONSHOT_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "KAGENT_")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # inside a list: an inline table (e.g. `hooks`)
        inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise TypeError(f"unsupported TOML value {value!r}")


def render_toml(data: dict[str, Any]) -> str:
    """Render a nested dict (tables of scalars/lists) as TOML."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")

    def emit(prefix: str, table: dict[str, Any]) -> None:
        lines.append("")
        lines.append(f"[{prefix}]")
        nested: list[tuple[str, dict[str, Any]]] = []
        for key, value in table.items():
            if isinstance(value, dict):
                nested.append((f"{prefix}.{key}", value))
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        for name, sub in nested:
            emit(name, sub)

    for name, table in tables:
        emit(name, table)
    return "\n".join(lines) + "\n"


def scripted_config(scripts_path: Path | str, **overrides: Any) -> dict[str, Any]:
    """The default config: one `_scripted_echo` model reading `scripts_path` (as the kernel sees it)."""
    config: dict[str, Any] = {
        "default_model": "echo",
        "telemetry": False,
        "models": {
            "echo": {
                "provider": "scripted",
                "model": "echo",
                "max_context_size": 100000,
            },
        },
        "providers": {
            "scripted": {
                "type": "_scripted_echo",
                "base_url": "",
                "api_key": "",
                "env": {SCRIPTS_ENV: str(scripts_path)},
            },
        },
    }
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


@dataclass
class Sandbox:
    root: Path
    config: dict[str, Any] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

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

    def write_scripts(self, scripts: list[str]) -> None:
        self.scripts_path.write_text(
            json.dumps(scripts, ensure_ascii=False), encoding="utf-8"
        )

    def write_config(self, config: dict[str, Any] | str) -> None:
        text = config if isinstance(config, str) else render_toml(config)
        self.config_path.write_text(text, encoding="utf-8")

    def write(self, scripts: list[str]) -> None:
        """The scripted steps the echo model plays, and the default config that reads them."""
        self.write_scripts(scripts)
        self.write_config(scripted_config(self.scripts_path))

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
        env.update(self.extra_env)
        env.update(extra or {})
        return env

    def session_dirs(self) -> list[Path]:
        base = self.share / "sessions"
        if not base.is_dir():
            return []
        return sorted(p for p in base.glob("*/*") if p.is_dir())

    def only_session_id(self) -> str:
        dirs = self.session_dirs()
        if len(dirs) != 1:
            raise AssertionError(f"expected exactly one session, found {dirs}")
        return dirs[0].name
