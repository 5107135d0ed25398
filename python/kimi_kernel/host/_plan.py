"""Plan mode kept the same on both sides: kimi-cli's UIs switch it on the soul (kagent must
hear of it), kagent switches it inside its turns (the soul must take it over)."""

from __future__ import annotations

from typing import Any

from kimi_cli import logger

from kimi_kernel.core._client import KagentClient, KagentError
from kimi_kernel.host import kimi_private


async def push_plan_mode(client: KagentClient, enabled: bool) -> None:
    """Tell kagent the plan mode the Python side has.

    `silent`: kimi-cli's side already reported the change to its client and recorded it in
    wire.jsonl (and saved state.json); kagent only adopts it, so nothing is doubled."""
    try:
        await client.request(
            "set_plan_mode", {"enabled": enabled, "silent": True}, timeout=30
        )
    except (KagentError, TimeoutError) as e:
        logger.warning("kimi-kernel: set_plan_mode on kagent failed: {e}", e=e)


def adopt_saved_plan(soul: Any) -> bool:
    """kagent's EnterPlanMode / ExitPlanMode and its `/plan` switch plan mode inside a turn
    and save it to state.json: take it over, so that a later toggle from the UI starts from
    kagent's mode and plan file (not a stale one). True when something changed."""
    from kimi_cli.session_state import load_session_state

    session = soul.runtime.session
    try:
        saved = load_session_state(session.dir)
    except Exception:  # noqa: BLE001 - keep the old view rather than fail the turn
        logger.exception("kimi-kernel: could not read the state kagent saved")
        return False
    state = session.state
    if (saved.plan_mode, saved.plan_session_id, saved.plan_slug) == (
        soul.plan_mode,
        state.plan_session_id,
        state.plan_slug,
    ):
        return False
    state.plan_mode = saved.plan_mode
    state.plan_session_id = saved.plan_session_id
    state.plan_slug = saved.plan_slug
    kimi_private.adopt_plan_state(
        soul, plan_mode=saved.plan_mode, plan_session_id=saved.plan_session_id
    )
    if saved.plan_session_id is not None and saved.plan_slug is not None:
        from kimi_cli.tools.plan.heroes import seed_slug_cache

        seed_slug_cache(saved.plan_session_id, saved.plan_slug)
    return True
