"""The part of kimi-kernel that adapts kimi-cli: wrapping KimiCLI.create (`_hook`), start-up
checks (`_startup`), the soul whose turns run on kagent (`_soul`, split by job into
`_turn`, `_requests`, `_plan`, `_status`, `_lifecycle`), the web UI's workers (`_web`,
`_web_worker`), the profile kagent reads (`_profile`) and kimi-cli's wording of a broken agent
spec for kagent (`_spec_check`).

Every private kimi-cli name is reached through `kimi_private`, which `verify()`s them all
against the installed kimi-cli at start-up."""
