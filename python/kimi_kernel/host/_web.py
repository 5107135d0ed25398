"""Make the workers of kimi-cli's web UI (`kimi-kernel web`, or /web from the shell) run with
kimi-kernel's kernel selection.

kimi-cli's web runner (kimi_cli.web.runner.process) starts each session's worker with
`asyncio.create_subprocess_exec(sys.executable, "-m", "kimi_cli.web.runner.worker", id)`.
That module is imported only when the web UI starts, so an import hook patches it then:
its `asyncio` name is given a stand-in whose create_subprocess_exec runs
`kimi_kernel.host._web_worker` instead of kimi-cli's worker (same interpreter, same arguments)."""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import Any

from kimi_kernel.host import kimi_private

RUNNER = "kimi_cli.web.runner.process"
KIMI_WORKER = kimi_private.WEB_WORKER_MODULE
KERNEL_WORKER = "kimi_kernel.host._web_worker"


def worker_command(argv: Sequence[Any]) -> list[Any]:
    """kimi-cli's `<python> -m kimi_cli.web.runner.worker <id>` with our worker module;
    any other command unchanged."""
    args = list(argv)
    for i in range(len(args) - 1):
        if args[i] == "-m" and args[i + 1] == KIMI_WORKER:
            args[i + 1] = KERNEL_WORKER
            break
    return args


class _RunnerAsyncio(types.ModuleType):
    """asyncio as the web runner sees it: the same module but for the worker command."""

    def __init__(self) -> None:
        super().__init__("asyncio")

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def create_subprocess_exec(
        program: Any, *args: Any, **kwargs: Any
    ) -> asyncio.subprocess.Process:
        argv = worker_command([program, *args])
        return await asyncio.create_subprocess_exec(*argv, **kwargs)


def patch_runner(module: types.ModuleType) -> None:
    kimi_private.patch_web_runner(module, _RunnerAsyncio())


class _PatchOnImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds RUNNER with the other finders, then patches it once it has executed."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != RUNNER:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                self._loader = spec.loader
                spec.loader = self
                return spec
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        patch_runner(module)


def install_web_patch() -> None:
    """Idempotent; patches at once when the runner is already imported."""
    if RUNNER in sys.modules:
        patch_runner(sys.modules[RUNNER])
        return
    if not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
