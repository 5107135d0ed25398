"""The kimi-cli profile: what the installed kimi-cli would say, written down for kagent.

kagent ships none of kimi-cli's prose. When it runs under kimi-kernel it is given a profile
file (`kagent --profile PATH`) holding the installed kimi-cli's agents and skills
directories, its tool definitions exactly as kimi-cli sends them to the model, its injected
texts (the /init and compaction prompts, the plan-mode, afk and Ralph-loop texts), the fixed
texts of its tools and slash commands (`messages`) and the plan-slug word list. Everything
is rendered here by kimi-cli's own code (its tool classes, its reminder builders, its
constants) or read from its source (string literals), never re-typed.

Building the profile imports kimi-cli's whole tool stack, so it is cached and written
atomically; a start-up with a cached profile reads only that file. Its content depends on the
installation only (<key> hashes what it depends on), not on the share dir, so it lives in the
user's cache dir (`profiles/kimi-cli-<version>-<key>.json` under core._cachedir.cache_dir(),
e.g. ~/.cache/kimi-kernel): a fresh share dir (a new KIMI_SHARE_DIR, a sandbox) does not pay the build again.
The file format is docs/profile.md's (written with kagent's reader).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys

from kimi_kernel.core import _hostos
from kimi_kernel.core._cachedir import CACHE_DIR_ENV, cache_root

# typing is not imported at run time: the Wire exec's start would pay for it (mypy reads
# `TYPE_CHECKING` by name)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # imported where a Path is made: the Wire exec needs none
    from typing import Any

PROFILE_FORMAT = 1

# The placeholders kagent substitutes in texts kimi-cli builds with run-time values.
PLAN_FILE = "{plan_file}"
RALPH_PROMPT = "{prompt}"
REPEAT_TOOL, REPEAT_TIMES, REPEAT_ARGS = "{tool}", "{times}", "{args}"
COMPACT_CUSTOM = "{custom}"
DMAIL_MESSAGE = "{message}"
TASK_OUTPUT_PATH = "{output_path}"
# an absolute path that resolve() keeps as it is, replaced by the placeholder
_OUTPUT_PATH_STANDIN = "/kimi-kernel-output-path"
AGENT_TYPES = "{builtin_agent_types}"
AGENT_TYPE_FIELDS = ("{name}", "{description}", "{tools}", "{model}")
AGENT_WHEN_TO_USE = "{when_to_use}"
AGENT_PATH = "kimi_cli.tools.agent:Agent"

# The `texts` keys every profile carries: docs/profile.md's required keys, and more.
TEXT_KEYS: tuple[str, ...] = (
    "init",
    "compact",
    "compaction_system",
    "compaction_output_prefix",
    "plan_mode.full_new",
    "plan_mode.full_exists",
    "plan_mode.sparse",
    "plan_mode.reentry",
    "afk_mode",
    "afk_disabled",
    "repeat.same_call",
    "repeat.many_times",
    "repeat.stop",
    "ralph.decision",
    "background.started",
    "background.output_hint",
    "background.no_output_hint",
    "ralph.decision_prompt",
    "compaction_custom",
    "dmail.injection",
    "agent.type_line",
    "agent.type_line_plain",
    "agent.summary_continuation",
)

# The `messages` keys: kimi-cli's fixed texts of tools and slash commands (docs/profile.md).
# Each is a string literal of kimi-cli's source, found by the function it is in and its
# position among that function's string literals (kimi_private.source_strings), with the
# expressions an f-string formats mapped to kagent's placeholders. A loguru template's
# positional `{}` fields are mapped by position (an int key: 0 the first `{}`, 1 the next);
# a key ending in `*` names the one formatted expression starting with what precedes it.
# The exporter checks that a literal formats exactly those expressions and has exactly those
# positional fields, so a kimi-cli that moved a text is caught.
# A literal's fields: f-string expression (str) or positional `{}` index (int) -> placeholder.
Fields = dict[str | int, str]
_EXIT = "kimi_cli.tools.plan:ExitPlanMode.__call__"
_ENTER = "kimi_cli.tools.plan.enter:EnterPlanMode.__call__"
_PLAN_EDIT = "kimi_cli.tools.file.plan_mode:inspect_plan_edit_target"
_ASK = "kimi_cli.tools.ask_user:AskUserQuestion.__call__"
_DMAIL = "kimi_cli.tools.dmail:SendDMail.__call__"
_DENWA = "kimi_cli.soul.denwarenji:DenwaRenji.send_dmail"
_INIT = "kimi_cli.soul.slash:init"
_EXPORT = "kimi_cli.utils.export"
_IMPORT = f"{_EXPORT}:resolve_import_source"
_MB: Fields = {"limit_mb": "{limit_mb}"}
_WRITE = "kimi_cli.tools.file.write:WriteFile"
_REPLACE = "kimi_cli.tools.file.replace:StrReplaceFile"
_SLASH = "kimi_cli.soul.slash"
_READ = "kimi_cli.tools.file.read:ReadFile"
_MEDIA = "kimi_cli.tools.file.read_media:ReadMediaFile"
_P: Fields = {"params.path": "{path}"}
_DIR: Fields = {"path": "{path}"}
_GLOB = "kimi_cli.tools.file.glob:Glob"
_SHELL = "kimi_cli.tools.shell:Shell"
_GREP = "kimi_cli.tools.file.grep_local:Grep.__call__"
_FETCH = "kimi_cli.tools.web.fetch:FetchURL"
_SEARCH = "kimi_cli.tools.web.search:SearchWeb.__call__"
_BG = "kimi_cli.tools.background"
_BG_MANAGER = "kimi_cli.background.manager:BackgroundTaskManager"
_BG_NOTIFY = f"{_BG_MANAGER}.publish_terminal_notifications"
_BG_WORKER = "kimi_cli.background.worker:run_background_task_worker"
_DESCRIPTION: Fields = {"view.spec.description": "{description}"}
_AGENT = "kimi_cli.tools.agent:AgentTool"
_RUNNER = "kimi_cli.subagents.runner"
_AGENT_BG = f"{_AGENT}._run_in_background"
_CHECKED = f"{_RUNNER}:run_soul_checked"
_SOUL = "kimi_cli.soul.kimisoul:KimiSoul"
_FLOW = "kimi_cli.soul.kimisoul:FlowRunner"
_TOOL_MESSAGE = "kimi_cli.soul.message:tool_result_to_message"
_LOAD_PROMPT = "kimi_cli.soul.agent:_load_system_prompt"
_CONFIG = "kimi_cli.config:load_config"
_CONFIG_FILE: Fields = {"config_file": "{path}", "e": "{error}"}
_SPEC = "kimi_cli.agentspec:_load_agent_spec"
_SCRIPTED = "kimi_cli.llm:_load_scripted_echo_scripts"
_SHELL_PARAMS = "kimi_cli.tools.shell:Params._validate_background_fields"
_HOOKS = "kimi_cli.hooks.engine:HookEngine"
_WIRE = "kimi_cli.wire.server:WireServer"
_TOOLSET = "kimi_cli.soul.toolset"
_GIT_CONTEXT = "kimi_cli.subagents.git_context:collect_git_context"
_MCP_LOAD = f"{_TOOLSET}:KimiToolset.load_mcp_tools"
_MCP_CALL = f"{_TOOLSET}:MCPTool.__call__"
_MCP_RESULT = f"{_TOOLSET}:convert_mcp_tool_result"
_DISCOVER = "kimi_cli.skill:discover_skills"
# kosong (kimi-cli's LLM layer) words the Anthropic provider's errors kagent mirrors
_ANTHROPIC_IMAGE = "kosong.contrib.chat_provider.anthropic:_image_url_part_to_anthropic"
_PATH: Fields = {"plan_path": "{plan_path}"}
# a `{}` that is text (an empty JSON object), not a positional field: it stays as it is
_EMPTY_JSON_OBJECT: Fields = {0: "{}"}
_PLAN: Fields = {"plan_path": "{plan_path}", "plan_content": "{plan_content}"}
SOURCE_MESSAGES: dict[str, tuple[str, int, Fields]] = {
    "plan.exit.not_in_plan_mode": (_EXIT, 0, {}),
    "plan.exit.reserved_label": (
        "kimi_cli.tools.plan:PlanOption", 7, {"v": "{label}", "reserved": "{reserved}"}
    ),
    "plan.exit.duplicate_labels": ("kimi_cli.tools.plan:Params", 2, {}),
    "plan.exit.no_plan_file": (_EXIT, 5, _PATH),
    "plan.exit.auto_approved": (_EXIT, 9, _PLAN),
    "plan.exit.auto_approved.brief": (_EXIT, 10, {}),
    "plan.exit.no_wire": (_EXIT, 12, {}),
    "plan.exit.reject.description": (_EXIT, 17, {}),
    "plan.exit.reject_and_exit.description": (_EXIT, 19, {}),
    "plan.exit.approve.description": (_EXIT, 21, {}),
    "plan.exit.revise.description": (_EXIT, 26, {}),
    "plan.unsupported": (_EXIT, 27, {}),
    "plan.exit.dismissed": (_EXIT, 34, {}),
    "plan.exit.rejected_and_exited": (_EXIT, 40, {}),
    "plan.exit.rejected_and_exited.brief": (_EXIT, 41, {}),
    "plan.exit.rejected": (_EXIT, 45, {}),
    "plan.exit.approved_option": (
        _EXIT, 49, {"chosen_option": "{option}", **_PLAN}
    ),
    "plan.exit.approved_option.brief": (_EXIT, 50, {"chosen_option": "{option}"}),
    "plan.exit.approved": (_EXIT, 55, _PLAN),
    "plan.exit.revise_with_feedback": (_EXIT, 64, {"feedback": "{feedback}"}),
    "plan.exit.revise": (_EXIT, 65, {}),
    "plan.exit.revise.brief": (_EXIT, 66, {}),
    "plan.enter.already": (_ENTER, 0, {}),
    "plan.enter.already.brief": (_ENTER, 1, {}),
    "plan.enter.auto_approved": (_ENTER, 6, _PATH),
    "plan.enter.yes.description": (_ENTER, 16, {}),
    "plan.enter.no.description": (_ENTER, 18, {}),
    "plan.enter.dismissed": (_ENTER, 26, {}),
    "plan.enter.activated": (_ENTER, 32, _PATH),
    "plan.enter.declined": (_ENTER, 37, {}),
    "plan.edit.unavailable": (_PLAN_EDIT, 1, {}),
    "plan.edit.unavailable.brief": (_PLAN_EDIT, 2, {}),
    "plan.edit.restricted": (_PLAN_EDIT, 3, {"canonical_plan_path": "{plan_path}"}),
    "plan.edit.restricted.brief": (_PLAN_EDIT, 4, {}),
    "ask.afk.output": (_ASK, 0, _EMPTY_JSON_OBJECT),
    "ask.afk.message": (_ASK, 1, {}),
    "ask.afk.brief": (_ASK, 2, {}),
    "ask.unsupported": (_ASK, 7, {}),
    "ask.dismissed.output": (_ASK, 12, _EMPTY_JSON_OBJECT),
    "ask.dismissed.message": (_ASK, 13, {}),
    "ask.answered.message": (_ASK, 16, {}),
    "dmail.failed": (_DMAIL, 1, {"str(e)": "{error}"}),
    "dmail.failed.brief": (_DMAIL, 2, {}),
    "dmail.not_sent": (_DMAIL, 4, {}),
    "dmail.busy": (_DENWA, 1, {}),
    "dmail.negative_checkpoint": (_DENWA, 2, {}),
    "dmail.no_checkpoint": (_DENWA, 3, {}),
    "init.done": (_INIT, 2, {"agents_md": "{agents_md}"}),
    "export.thinking": (f"{_EXPORT}:_format_content_part_md", 2, {"think": "{think}"}),
    "export.topic_empty": (f"{_EXPORT}:_build_overview", 6, {}),
    "export.title": (f"{_EXPORT}:build_export_markdown", 9, {}),
    "export.empty": (f"{_EXPORT}:perform_export", 1, {}),
    "export.write_failed": (f"{_EXPORT}:perform_export", 7, {"e": "{error}"}),
    "export.done": (
        "kimi_cli.soul.slash:export", 1, {"count": "{count}", "display": "{path}"}
    ),
    "export.sensitive_note": ("kimi_cli.soul.slash:export", 2, {}),
    "import.usage": ("kimi_cli.soul.slash:import_context", 2, {}),
    "import.directory": (_IMPORT, 1, {}),
    "import.unsupported_type": (_IMPORT, 2, {"target_path.suffix": "{suffix}"}),
    "import.read_failed": (_IMPORT, 3, {"e": "{error}"}),
    "import.file_too_large": (
        _IMPORT, 4, {"file_size / 1024 / 1024": "{size_mb}", **_MB}
    ),
    "import.not_utf8": (_IMPORT, 6, {"target_path.name": "{name}"}),
    "import.file_empty": (_IMPORT, 8, {}),
    "import.same_session": (_IMPORT, 10, {}),
    "import.not_found": (_IMPORT, 11, {"target": "{target}"}),
    "import.session_empty": (_IMPORT, 13, {}),
    "import.session_too_large": (_IMPORT, 15, {"actual_mb": "{size_mb}", **_MB}),
    "import.context_note": (
        f"{_EXPORT}:build_import_message", 3, {"source_desc": "{source}"}
    ),
    "import.over_budget": (
        f"{_EXPORT}:_validate_import_token_budget",
        1,
        {
            "estimated_tokens": "{import_tokens}",
            "current_token_count": "{current_tokens}",
            "total_after_import": "{total_tokens}",
            "max_context_size": "{limit_tokens}",
        },
    ),
    "import.done": (
        "kimi_cli.soul.slash:import_context",
        3,
        {"source_desc": "{source}", "content_len": "{chars}"},
    ),
    "import.secrets_warning": ("kimi_cli.soul.slash:import_context", 5, {}),
    "file.path_empty": (f"{_WRITE}.__call__", 0, {}),
    "file.action.edit_outside": ("kimi_cli.tools.file:FileActions", 2, {}),
    "write.not_absolute": (f"{_WRITE}._validate_path", 1, {"path": "{path}"}),
    "write.parent_missing": (f"{_WRITE}.__call__", 2, {"params.path": "{path}"}),
    "write.parent_missing.brief": (f"{_WRITE}.__call__", 3, {}),
    "write.failed": (
        f"{_WRITE}.__call__", 21, {"params.path": "{path}", "e": "{error}"}
    ),
    "write.failed.brief": (f"{_WRITE}.__call__", 22, {}),
    "write.done": (
        f"{_WRITE}.__call__", 19, {"action": "{action}", "file_size": "{size}"}
    ),
    "replace.not_absolute": (f"{_REPLACE}._validate_path", 1, {"path": "{path}"}),
    "replace.plan_missing": (f"{_REPLACE}.__call__", 2, {}),
    "replace.plan_missing.brief": (f"{_REPLACE}.__call__", 3, {}),
    "replace.no_match": (f"{_REPLACE}.__call__", 9, {}),
    "replace.no_match.brief": (f"{_REPLACE}.__call__", 10, {}),
    "replace.done": (
        f"{_REPLACE}.__call__",
        14,
        {"len(edits)": "{edits}", "total_replacements": "{total}"},
    ),
    "replace.failed": (f"{_REPLACE}.__call__", 16, {"e": "{error}"}),
    "command.unknown": (
        "kimi_cli.soul.kimisoul:KimiSoul.run", 10, {"command_call.name": "{name}"}
    ),
    "hooks.prompt_blocked": ("kimi_cli.soul.kimisoul:KimiSoul.run", 4, {}),
    "command.clear.done": (f"{_SLASH}:clear", 3, {}),
    "command.yolo.on": (f"{_SLASH}:yolo", 5, {}),
    "command.yolo.off": (f"{_SLASH}:yolo", 3, {}),
    "command.yolo.off_afk_on": (f"{_SLASH}:yolo", 2, {}),
    "command.afk.off": (f"{_SLASH}:afk", 4, {}),
    "command.afk.off_yolo_on": (f"{_SLASH}:afk", 3, {}),
    "command.afk.on": (f"{_SLASH}:afk", 6, {}),
    "command.compact.empty": (f"{_SLASH}:compact", 1, {}),
    "command.compact.done": (f"{_SLASH}:compact", 3, {}),
    "command.plan.on": (f"{_SLASH}:plan", 2, {"plan_path": "{plan_path}"}),
    "command.plan.off": (f"{_SLASH}:plan", 4, {}),
    "command.plan.no_file": (f"{_SLASH}:plan", 6, {}),
    "command.plan.cleared": (f"{_SLASH}:plan", 8, {}),
    "command.plan.toggled_on": (f"{_SLASH}:plan", 9, {"plan_path": "{plan_path}"}),
    "tool.output_truncated": ("kimi_cli.tools.utils:ToolResultBuilder.ok", 6, {}),
    "tool.sensitive_skipped": (
        "kimi_cli.utils.sensitive:sensitive_file_warning",
        3,
        {"len(paths)": "{count}", "file_list": "{files}"},
    ),
    "file.unsupported_type.brief": (f"{_READ}.__call__", 11, {}),
    "read.not_absolute": (f"{_READ}._validate_path", 1, {"path": "{path}"}),
    "read.sensitive": (f"{_READ}.__call__", 2, _P),
    "read.offset_zero": ("kimi_cli.tools.file.read:Params._validate_line_offset", 2, {}),
    "read.offset_too_negative": (
        "kimi_cli.tools.file.read:Params._validate_line_offset",
        3,
        {"MAX_LINES": "{max_lines}"},
    ),
    "read.media_file": (f"{_READ}.__call__", 10, {**_P, "file_type.kind": "{kind}"}),
    "read.not_readable": (f"{_READ}.__call__", 13, _P),
    "read.no_lines": (f"{_READ}._read_forward", 5, {}),
    "read.lines_read": (
        f"{_READ}._read_forward", 4, {"len(lines)": "{count}", "start_line": "{start}"}
    ),
    "read.total_lines": (f"{_READ}._read_forward", 6, {"total_lines": "{total}"}),
    "read.max_lines": (f"{_READ}._read_forward", 7, {"MAX_LINES": "{max_lines}"}),
    "read.max_bytes": (f"{_READ}._read_forward", 8, {"MAX_BYTES": "{max_bytes}"}),
    "read.eof": (f"{_READ}._read_forward", 9, {}),
    "read.truncated_lines": (
        f"{_READ}._read_forward", 10, {"truncated_line_numbers": "{lines}"}
    ),
    "media.text_file": (f"{_MEDIA}.__call__", 7, _P),
    "media.not_readable": (f"{_MEDIA}.__call__", 10, _P),
    "media.no_image_input": (f"{_MEDIA}.__call__", 14, {}),
    "media.no_video_input": (f"{_MEDIA}.__call__", 18, {}),
    "media.unsupported.brief": (f"{_MEDIA}.__call__", 15, {}),
    "media.too_large": (
        f"{_MEDIA}._read_media",
        4,
        {"path": "{path}", "size": "{size}", "MAX_MEDIA_MEGABYTES": "{max_mb}"},
    ),
    "media.loaded": (
        f"{_MEDIA}._read_media",
        17,
        {
            "file_type.kind": "{kind}",
            "path": "{path}",
            "file_type.mime_type": "{mime}",
            "size": "{size}",
            "size_hint": "{size_hint}",
            "note": "{note}",
        },
    ),
    "media.coordinates_note": (f"{_MEDIA}._read_media", 16, {}),
    "add_dir.none": (f"{_SLASH}:add_dir", 2, {}),
    "add_dir.list_header": (f"{_SLASH}:add_dir", 3, {}),
    "add_dir.missing": (f"{_SLASH}:add_dir", 6, _DIR),
    "add_dir.not_a_dir": (f"{_SLASH}:add_dir", 7, _DIR),
    "add_dir.already_added": (f"{_SLASH}:add_dir", 8, _DIR),
    "add_dir.in_work_dir": (f"{_SLASH}:add_dir", 9, _DIR),
    "add_dir.in_added_dir": (f"{_SLASH}:add_dir", 10, {"existing": "{existing}", **_DIR}),
    "add_dir.unreadable": (f"{_SLASH}:add_dir", 11, {"e": "{error}", **_DIR}),
    "add_dir.context_note": (f"{_SLASH}:add_dir", 12, {"ls_output": "{listing}", **_DIR}),
    "add_dir.done": (f"{_SLASH}:add_dir", 14, _DIR),
    "add_dir.done.log": (f"{_SLASH}:add_dir", 15, {}),
    "add_dir.pruned.log": ("kimi_cli.soul.agent:Runtime.create", 1, {}),
    "add_dir.listing_unreadable": ("kimi_cli.soul.agent:Runtime.create", 4, {}),
    "glob.unsafe_pattern": (f"{_GLOB}._validate_pattern", 2, {"pattern": "{pattern}"}),
    "glob.not_absolute": (f"{_GLOB}.__call__", 0, {"params.directory": "{dir}"}),
    "glob.missing": (f"{_GLOB}.__call__", 2, {"params.directory": "{dir}"}),
    "glob.not_a_dir": (f"{_GLOB}.__call__", 4, {"params.directory": "{dir}"}),
    "glob.outside_workspace": (
        f"{_GLOB}._validate_directory", 1, {"directory": "{dir}"}
    ),
    "glob.outside_workspace.brief": (f"{_GLOB}._validate_directory", 2, {}),
    "glob.failed": (
        f"{_GLOB}.__call__", 11, {"params.pattern": "{pattern}", "e": "{error}"}
    ),
    "glob.no_matches": (f"{_GLOB}.__call__", 7, {"params.pattern": "{pattern}"}),
    "glob.found": (
        f"{_GLOB}.__call__",
        6,
        {"len(matches)": "{count}", "params.pattern": "{pattern}"},
    ),
    "glob.capped": (f"{_GLOB}.__call__", 8, {"MAX_MATCHES": "{max_matches}"}),
    "approval.rejected": ("kimi_cli.tools.utils:ToolRejectedError.__init__", 1, {}),
    "approval.rejected_with_feedback": (
        "kimi_cli.soul.approval:ApprovalResult.rejection_error",
        0,
        {"self.feedback": "{feedback}"},
    ),
    "shell.description_required": (_SHELL_PARAMS, 1, {}),
    "shell.timeout_too_long": (
        _SHELL_PARAMS,
        2,
        {
            "MAX_FOREGROUND_TIMEOUT": "{max_foreground}",
            "MAX_BACKGROUND_TIMEOUT": "{max_background}",
        },
    ),
    "shell.empty": (f"{_SHELL}.__call__", 0, {}),
    "shell.approval": (f"{_SHELL}.__call__", 3, {"command": "{command}"}),
    "shell.action.background": (f"{_SHELL}._run_in_background", 2, {}),
    "shell.approval.background": (
        f"{_SHELL}._run_in_background", 3, {"command": "{command}"}
    ),
    "shell.background_failed.log": (f"{_SHELL}._run_in_background", 6, {}),
    "shell.background_failed": (f"{_SHELL}._run_in_background", 7, {"exc": "{error}"}),
    "shell.background_started": (f"{_SHELL}._background_ok", 6, {}),
    "shell.exec_failed.log": (f"{_SHELL}.__call__", 15, {}),
    "shell.exec_failed": (f"{_SHELL}.__call__", 16, {"e": "{error}"}),
    "shell.timeout": (f"{_SHELL}.__call__", 13, {"params.timeout": "{timeout}"}),
    "shell.timeout.brief": (f"{_SHELL}.__call__", 14, {"params.timeout": "{timeout}"}),
    "shell.ok": (f"{_SHELL}.__call__", 9, {}),
    "shell.failed": (f"{_SHELL}.__call__", 12, {"exitcode": "{code}"}),
    "shell.failed.brief": (f"{_SHELL}.__call__", 10, {"exitcode": "{code}"}),
    "grep.failed": (_GREP, 14, {"stderr_str": "{error}"}),
    "grep.count_summary": (
        _GREP, 32, {"total_matches": "{total}", "total_files": "{files}"}
    ),
    "grep.truncated": (
        _GREP,
        35,
        {
            "effective_limit": "{limit}",
            "total": "{total}",
            "params.offset + effective_limit": "{next_offset}",
        },
    ),
    "fetch.user_agent": (f"{_FETCH}.fetch_with_http_get", 1, {}),
    "fetch.service_failed.log": (f"{_FETCH}.__call__", 0, {}),
    "fetch.http_error.log": (f"{_FETCH}.fetch_with_http_get", 2, {}),
    "fetch.http_error": (f"{_FETCH}.fetch_with_http_get", 3, {"response.status": "{status}"}),
    "fetch.full_page": (f"{_FETCH}.fetch_with_http_get", 8, {}),
    "fetch.timeout.log": (f"{_FETCH}.fetch_with_http_get", 9, {}),
    "fetch.timeout": (f"{_FETCH}.fetch_with_http_get", 10, {}),
    "fetch.network_error.log": (f"{_FETCH}.fetch_with_http_get", 12, {}),
    "fetch.network_error": (f"{_FETCH}.fetch_with_http_get", 13, {"e": "{error}"}),
    "fetch.empty_body": (f"{_FETCH}.fetch_with_http_get", 15, {}),
    "fetch.no_content": (f"{_FETCH}.fetch_with_http_get", 18, {}),
    "fetch.no_content.brief": (f"{_FETCH}.fetch_with_http_get", 19, {}),
    "fetch.extracted": (f"{_FETCH}.fetch_with_http_get", 20, {}),
    "fetch.service.unconfigured": (f"{_FETCH}._fetch_with_service", 1, {}),
    "fetch.service.unconfigured.brief": (f"{_FETCH}._fetch_with_service", 2, {}),
    "fetch.service.http_error.log": (f"{_FETCH}._fetch_with_service", 10, {}),
    "fetch.service.http_error": (f"{_FETCH}._fetch_with_service", 11, {"response.status": "{status}"}),
    "fetch.service.http_error.brief": (f"{_FETCH}._fetch_with_service", 12, {}),
    "fetch.service.extracted": (f"{_FETCH}._fetch_with_service", 13, {}),
    "fetch.service.timeout": (f"{_FETCH}._fetch_with_service", 15, {}),
    "fetch.service.timeout.brief": (f"{_FETCH}._fetch_with_service", 16, {}),
    "fetch.service.network_error": (f"{_FETCH}._fetch_with_service", 18, {"e": "{error}"}),
    "fetch.service.network_error.brief": (f"{_FETCH}._fetch_with_service", 19, {}),
    "search.unconfigured": (_SEARCH, 0, {}),
    "search.unconfigured.brief": (_SEARCH, 1, {}),
    "search.http_error.log": (_SEARCH, 11, {}),
    "search.http_error": (_SEARCH, 12, {"response.status": "{status}"}),
    "search.parse_error.log": (_SEARCH, 14, {}),
    "search.parse_error": (_SEARCH, 15, {"e": "{error}"}),
    "search.parse_error.brief": (_SEARCH, 16, {}),
    "search.timeout.log": (_SEARCH, 17, {}),
    "search.timeout": (_SEARCH, 18, {}),
    "search.timeout.brief": (_SEARCH, 19, {}),
    "search.failed": (_SEARCH, 21, {"e": "{error}"}),
    "search.failed.brief": (_SEARCH, 22, {}),
    "web.oauth_fallback.log": ("kimi_cli.auth.oauth:OAuthManager.resolve_api_key", 0, {}),
    "task.list_retrieved": (f"{_BG}:TaskList.__call__", 0, {}),
    "task.output.tool_line": (f"{_BG}:_format_task_output", 26, {}),
    "task.output.none": (f"{_BG}:_format_task_output", 27, {}),
    "task.output.truncated": (
        f"{_BG}:_format_task_output",
        28,
        {"output_path_str": "{path}", "rendered_output": "{output}"},
    ),
    "task.snapshot_retrieved": (f"{_BG}:TaskOutput.__call__", 16, {}),
    "task.output_retrieved": (f"{_BG}:TaskOutput.__call__", 18, {}),
    "task.stop.plan_mode": (f"{_BG}:TaskStop.__call__", 0, {}),
    "task.stop.plan_mode.brief": (f"{_BG}:TaskStop.__call__", 1, {}),
    "task.stop.action": (f"{_BG}:TaskStop.__call__", 4, {}),
    "task.stop.approval": (f"{_BG}:TaskStop.__call__", 5, {"params.task_id": "{id}"}),
    "task.stop.requested": (f"{_BG}:TaskStop.__call__", 7, {}),
    "task.too_many": (f"{_BG_MANAGER}.create_bash_task", 0, {}),
    "task.timed_out_reason": (_BG_WORKER, 20, {"spec.timeout_s": "{timeout}"}),
    "task.failed_reason": (_BG_WORKER, 28, {"returncode": "{code}"}),
    "task.recover.agent_gone": (f"{_BG_MANAGER}.recover", 2, {}),
    "task.recover.killed": (f"{_BG_MANAGER}.recover", 7, {}),
    "task.recover.never_heartbeat": (f"{_BG_MANAGER}.recover", 9, {}),
    "task.recover.heartbeat_expired": (f"{_BG_MANAGER}.recover", 10, {}),
    "task.notify.completed": (_BG_NOTIFY, 3, _DESCRIPTION),
    "task.notify.timed_out": (_BG_NOTIFY, 6, _DESCRIPTION),
    "task.notify.failed": (_BG_NOTIFY, 9, _DESCRIPTION),
    "task.notify.stopped": (_BG_NOTIFY, 12, _DESCRIPTION),
    "task.notify.lost": (_BG_NOTIFY, 15, _DESCRIPTION),
    "task.notify.updated": (_BG_NOTIFY, 17, _DESCRIPTION),
    "subagent.nested": (f"{_AGENT}.__call__", 1, {}),
    "subagent.unknown_model": (f"{_AGENT}.__call__", 3, {"params.model": "{model}"}),
    "subagent.background_failed.brief": (f"{_AGENT}._run_in_background", 27, {}),
    "subagent.background.busy": (
        _AGENT_BG, 5, {"record.agent_id": "{id}", "record.status": "{status}"}
    ),
    "subagent.background.busy.brief": (_AGENT_BG, 6, {}),
    "subagent.background.unknown_model": (_AGENT_BG, 7, {"effective": "{model}"}),
    "subagent.background.notified": (_AGENT_BG, 18, {}),
    "subagent.background.next_notified": (_AGENT_BG, 19, {}),
    "subagent.background.next_output": (_AGENT_BG, 20, {}),
    "subagent.background.resume_hint": (_AGENT_BG, 21, {"agent_id": "{agent_id}"}),
    "subagent.background.started": (_AGENT_BG, 23, {}),
    "subagent.background.not_found.brief": (_AGENT_BG, 24, {}),
    "subagent.background.bad_type.brief": (_AGENT_BG, 25, {}),
    "subagent.background.timed_out": (
        "kimi_cli.background.agent_runner:BackgroundAgentRunner.run",
        3,
        {"self._timeout_s": "{timeout}"},
    ),
    "task.too_many_agents": (f"{_BG_MANAGER}.create_agent_task", 1, {}),
    "subagent.timeout": (f"{_AGENT}.__call__", 7, {"timeout": "{timeout}"}),
    "subagent.timeout.brief": (f"{_AGENT}.__call__", 8, {"timeout": "{timeout}"}),
    "subagent.failed": (f"{_AGENT}.__call__", 10, {"exc": "{error}"}),
    "subagent.type_not_found": (
        "kimi_cli.subagents.registry:LaborMarket.require_builtin_type", 0, {"name": "{name}"}
    ),
    "subagent.instance_not_found": (
        "kimi_cli.subagents.store:SubagentStore.require_instance", 0, {"agent_id": "{id}"}
    ),
    "subagent.busy": (
        f"{_RUNNER}:ForegroundSubagentRunner._prepare_instance",
        2,
        {"record.agent_id": "{id}", "record.status": "{status}"},
    ),
    "subagent.phase.summary": (f"{_RUNNER}:run_with_summary_continuation", 3, {}),
    "subagent.max_steps": (
        _CHECKED, 2, {"exc.n_steps": "{steps}", "phase": "{phase}"}
    ),
    "subagent.api_error": (
        _CHECKED,
        5,
        {"exc.status_code": "{status}", "phase": "{phase}", "exc": "{error}"},
    ),
    "subagent.provider_error": (_CHECKED, 8, {"phase": "{phase}", "exc": "{error}"}),
    "subagent.unexpected": (_CHECKED, 11, {"phase": "{phase}", "exc": "{error}"}),
    "subagent.invalid_result": (_CHECKED, 14, {}),
    "subagent.invalid_result.brief": (_CHECKED, 15, {}),
    "import.wrapper": (
        f"{_EXPORT}:build_import_message",
        1,
        {"source_desc": "{source}", "content": "{content}"},
    ),
    "soul.max_steps": ("kimi_cli.soul:MaxStepsReached.__init__", 0, {"n_steps": "{steps}"}),
    "soul.llm_not_supported": (
        "kimi_cli.soul:LLMNotSupported.__init__",
        2,
        {
            "llm.model_name": "{model}",
            "capabilities_str": "{what}",
            "', '.join(capabilities)": "{capabilities}",
        },
    ),
    "soul.compacting.log": (f"{_SOUL}._agent_loop", 3, {}),
    "soul.recovered.log": (f"{_SOUL}._run_with_connection_recovery", 5, {}),
    "soul.tool_error.runtime_note": (_TOOL_MESSAGE, 2, {}),
    "soul.tool_output.empty": (_TOOL_MESSAGE, 4, {}),
    "soul.tool_output.non_text": (_TOOL_MESSAGE, 5, {}),
    "soul.skill_load_failed": (
        f"{_SOUL}._make_skill_runner",
        1,
        {"SKILL_COMMAND_PREFIX": "{prefix}", "_skill.name": "{name}"},
    ),
    "flow.no_flow.log": (f"{_SOUL}._build_slash_commands", 6, {}),
    "flow.name_taken.log": (f"{_SOUL}._build_slash_commands", 8, {}),
    "flow.ignored_args.log": (f"{_FLOW}.run", 2, {}),
    "flow.end.log": (f"{_FLOW}.run", 5, {}),
    "flow.begin_no_edges.log": (f"{_FLOW}.run", 7, {}),
    "flow.node_no_edges.log": (f"{_FLOW}._execute_flow_node", 0, {}),
    "flow.rejected.log": (f"{_FLOW}._execute_flow_node", 2, {}),
    "flow.invalid_choice.log": (f"{_FLOW}._execute_flow_node", 7, {}),
    "system_prompt.loading.log": (_LOAD_PROMPT, 0, {}),
    "system_prompt.missing_arg": (_LOAD_PROMPT, 5, {"path": "{path}", "exc": "{error}"}),
    "system_prompt.invalid_template": (
        _LOAD_PROMPT, 6, {"path": "{path}", "exc": "{error}"}
    ),
    "agents_md.truncated.log": ("kimi_cli.soul.agent:load_agents_md", 10, {}),
    "hooks.tool_blocked": ("kimi_cli.soul.toolset:KimiToolset.handle", 26, {}),
    "hooks.bad_matcher.log": (f"{_HOOKS}._match_regex", 0, {0: "{pattern}"}),
    "hooks.engine_error.log": (f"{_HOOKS}.trigger", 2, {0: "{event}"}),
    "config.invalid_json": (_CONFIG, 5, _CONFIG_FILE),
    "config.invalid_toml": (_CONFIG, 6, _CONFIG_FILE),
    "config.invalid_file": (_CONFIG, 7, _CONFIG_FILE),
    "config.empty_text": ("kimi_cli.config:load_config_from_string", 1, {}),
    "config.invalid_text": ("kimi_cli.config:load_config_from_string", 3, {"e": "{error}"}),
    "config.unknown_default_model": (
        "kimi_cli.config:Config.validate_model", 1, {"self.default_model": "{model}"}
    ),
    "config.unknown_provider": (
        "kimi_cli.config:Config.validate_model", 2, {"model.provider": "{provider}"}
    ),
    "agentspec.no_name": ("kimi_cli.agentspec:load_agent_spec", 2, {}),
    "agentspec.no_system_prompt": ("kimi_cli.agentspec:load_agent_spec", 3, {}),
    "agentspec.not_found": (_SPEC, 0, {"agent_file": "{path}"}),
    "agentspec.not_a_file": (_SPEC, 1, {"agent_file": "{path}"}),
    "agentspec.invalid_yaml": (_SPEC, 3, {"e": "{error}"}),
    "agentspec.bad_version": (_SPEC, 5, {"version": "{version}"}),
    "skills.read_failed.log": ("kimi_cli.skill:read_skill_text", 2, {}),
    "llm.missing_base_url_or_model.log": ("kimi_cli.llm:create_llm", 2, {}),
    "scripted_echo.no_scripts": (_SCRIPTED, 1, {}),
    "scripted_echo.not_found": (_SCRIPTED, 2, {"path": "{path}"}),
    "scripted_echo.bad_format": (_SCRIPTED, 5, {}),
    "scripted_echo.not_strings": (_SCRIPTED, 6, {}),
    "subagent.bad_metadata.log": ("kimi_cli.subagents.store:_load_instance_record", 1, {}),
    "hooks.timeout.log": (
        "kimi_cli.hooks.runner:run_hook", 1, {0: "{timeout}", 1: "{command}"}
    ),
    "hooks.wire_timeout.log": (
        f"{_HOOKS}._dispatch_wire_hook", 2, {0: "{event}", 1: "{target}"}
    ),
    "wire.starting.log": (f"{_WIRE}.serve", 0, {}),
    "wire.stdin_closed.log": (f"{_WIRE}._read_loop", 0, {}),
    "wire.unexpected_method": (f"{_WIRE}._read_loop", 11, {"generic_msg.method": "{method}"}),
    "wire.invalid_params": (f"{_WIRE}._read_loop", 13, {"generic_msg.method": "{method}"}),
    "wire.turn_in_progress": (f"{_WIRE}._handle_prompt", 0, {}),
    "wire.no_turn": (f"{_WIRE}._handle_cancel", 0, {}),
    "wire.prompt_error.log": (f"{_WIRE}._handle_prompt", 7, {}),
    "wire.tool_conflicts": (f"{_WIRE}._handle_initialize", 3, {}),
    "wire.hook_unknown_event.log": (f"{_WIRE}._handle_initialize", 10, {0: "{event}"}),
    "wire.hook_subscriptions.log": (f"{_WIRE}._handle_initialize", 11, {0: "{count}"}),
    "wire.no_pending_request.log": (f"{_WIRE}._handle_response", 0, {}),
    "wire.tool_result_invalid": (f"{_WIRE}._handle_response", 9, {}),
    "wire.hook_response_invalid.log": (f"{_WIRE}._handle_response", 15, {}),
    "wire.hook_response_mismatch.log": (f"{_WIRE}._handle_response", 17, {}),
    "wire.closed_before_tool_result": (f"{_WIRE}._shutdown", 3, {}),
    "tool.no_description": (f"{_TOOLSET}:WireExternalTool.__init__", 0, {}),
    "tool.execution_failed.log": (f"{_TOOLSET}:KimiToolset.handle", 33, {}),
    "mcp.unauthorized.log": (_MCP_LOAD, 4, {}),
    "mcp.connected.log": (_MCP_LOAD, 9, {}),
    # fastmcp's server union (kimi-cli validates MCP configs with it): the reason its
    # tool-transforming members give for a plain server, in kimi-cli's config errors
    "mcp.transform_required": (
        "fastmcp.mcp_config:_TransformingMCPServerMixin._require_at_least_one_transform_field",
        5,
        {},
    ),
    "mcp.connect_failed.log": (_MCP_LOAD, 10, {}),
    "mcp.connect_failed_all": (_MCP_LOAD, 16, {"failed_servers": "{failed}"}),
    "mcp.tool_description": (
        f"{_TOOLSET}:MCPTool.__init__",
        0,
        {
            "server_name": "{server}",
            # its default is tool.no_description's literal (not spelled here)
            "mcp_tool.description or *": "{description}",
        },
    ),
    "mcp.returned_error.log": (_MCP_CALL, 1, {}),
    "mcp.call_timeout.log": (_MCP_CALL, 4, {}),
    "mcp.call_timeout": (_MCP_CALL, 5, {"self._mcp_tool.name": "{tool_name}"}),
    "mcp.call_failed.log": (_MCP_CALL, 7, {}),
    "mcp.unsupported_part.log": (_MCP_RESULT, 1, {}),
    "mcp.unsupported_part": (_MCP_RESULT, 2, {"exc": "{error}"}),
    "mcp.output_truncated": (_MCP_RESULT, 3, {"MCP_MAX_OUTPUT_CHARS": "{limit}"}),
    "mcp.tool_error": (_MCP_RESULT, 4, {}),
    "skills.no_description": ("kimi_cli.skill:parse_skill_text", 3, {}),
    "skills.flow_invalid.log": ("kimi_cli.skill:parse_skill_text", 10, {}),
    "skills.invalid.log": (_DISCOVER, 5, {0: "{path}", 1: "{error}"}),
    "skills.invalid_flat.log": (_DISCOVER, 11, {0: "{path}", 1: "{error}"}),
    "skills.iterate_failed.log": (_DISCOVER, 6, {}),
    "skills.iterate_failed_flat.log": (_DISCOVER, 13, {}),
    "frontmatter.not_mapping": ("kimi_cli.utils.frontmatter:parse_frontmatter", 5, {}),
    "compaction.active_tasks": (f"{_SOUL}.compact_context", 20, {}),
    "tasks.snapshot_open": ("kimi_cli.background.summary:build_active_task_snapshot", 1, {}),
    "tasks.snapshot_close": ("kimi_cli.background.summary:build_active_task_snapshot", 2, {}),
    "git_context.work_dir": (_GIT_CONTEXT, 14, {"cwd": "{work_dir}"}),
    "git_context.remote": (_GIT_CONTEXT, 15, {"safe_url": "{url}"}),
    "git_context.project": (_GIT_CONTEXT, 16, {"project": "{project}"}),
    "git_context.branch": (_GIT_CONTEXT, 17, {"branch": "{branch}"}),
    "git_context.dirty": (_GIT_CONTEXT, 18, {"total": "{count}"}),
    "git_context.dirty_more": (_GIT_CONTEXT, 21, {"total - _MAX_DIRTY_FILES": "{more}"}),
    "git_context.commits": (_GIT_CONTEXT, 25, {"body": "{lines}"}),
    "git_context.block": (_GIT_CONTEXT, 28, {"content": "{content}"}),
    "provider.anthropic.bad_image_url": (_ANTHROPIC_IMAGE, 2, {"url": "{url}"}),
    "provider.anthropic.bad_image_type": (
        _ANTHROPIC_IMAGE, 7, {"media_type": "{media_type}", "url": "{url}"}
    ),
}

# A loguru template's positional field, mapped by position in SOURCE_MESSAGES.
POSITIONAL = "{}"

# The `messages` keys rendered by running kimi-cli's code, and the slash commands kagent has.
FLOW_DECISION, FLOW_INVALID_CHOICE = "flow.decision", "flow.invalid_choice"
SLASH_COMMANDS = ("init", "compact", "clear", "yolo", "afk", "plan", "add-dir", "export", "import")
MESSAGE_KEYS: tuple[str, ...] = (
    *SOURCE_MESSAGES,
    FLOW_DECISION,
    FLOW_INVALID_CHOICE,
    *(f"slash.{name}" for name in SLASH_COMMANDS),
)

# Tools whose definition depends on the agent spec at run time: exported as a template.
_TEMPLATED_MODULES = ("kimi_cli.tools.agent",)

# The model capabilities ReadMediaFile's description depends on: one variant per set.
MEDIA_CAPABILITY_SETS: tuple[tuple[str, ...], ...] = (
    ("image_in", "video_in"),
    ("image_in",),
    ("video_in",),
)


class ProfileError(RuntimeError):
    """The profile cannot be written or read; the message names the file and the fix."""


# ---- where the profile lives ------------------------------------------------------------


@functools.cache
def _kimi_cli_version() -> str:
    """kimi-cli's version: from its .dist-info beside the package (core._distinfo), else from
    importlib.metadata (which scans sys.path); once per process."""
    from kimi_kernel.core._distinfo import version_beside

    found = version_beside(_kimi_cli_location(), "kimi-cli")
    if found is not None:
        return found
    from importlib import metadata

    return metadata.version("kimi-cli")


def _kimi_cli_location() -> str:
    spec = importlib.util.find_spec("kimi_cli")
    if spec is None or not spec.submodule_search_locations:
        raise ProfileError("kimi-cli is not installed: no profile can be built. Fix: pip install kimi-cli")
    return os.path.realpath(next(iter(spec.submodule_search_locations)))


def _shell_marker() -> str:
    """What kimi-cli's shell detection would find (the Shell tool's description names it),
    checked without running the detection."""
    if _hostos.system() == "Windows":
        return "git-bash:" + os.environ.get("KIMI_CLI_GIT_BASH_PATH", "")
    for candidate in ("/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"):
        if os.path.isfile(candidate):
            return candidate
    return "/bin/sh"


def _sha256_hex(data: bytes) -> str:
    # CPython's own sha256 (3.12+): hashlib would load OpenSSL first, a twentieth of the
    # Wire exec's start, which reads the cached profile by this key
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from hashlib import sha256
    return sha256(data).hexdigest()


def profile_key() -> str:
    """Hash of what a profile's content depends on (the interpreter: agent_spec_checker)."""
    from kimi_kernel import __version__

    with open(__file__, "rb") as f:
        exporter = f.read()
    parts = [
        f"format={PROFILE_FORMAT}",
        f"kimi-cli={_kimi_cli_version()}",
        f"at={_kimi_cli_location()}",
        f"kimi-kernel={__version__}",
        f"exporter={_sha256_hex(exporter)}",
        f"platform={_hostos.system()}/{_hostos.machine()}",
        f"shell={_shell_marker()}",
        f"python={sys.executable}",
    ]
    return _sha256_hex("\n".join(parts).encode())[:16]


def profile_file() -> str:
    """Where the profile of the installed kimi-cli is cached."""
    name = f"kimi-cli-{_kimi_cli_version()}-{profile_key()}.json"
    return os.path.join(cache_root(), "profiles", name)


def profile_path() -> Path:
    from pathlib import Path

    return Path(profile_file())


# ---- building ---------------------------------------------------------------------------


def build_profile() -> dict[str, Any]:
    """The profile of the installed kimi-cli, rendered by kimi-cli's own code (the names it
    uses are checked by kimi_private.verify() at start-up, and by `kimi-kernel profile`)."""
    from kimi_kernel.host import kimi_private

    return {
        "format": PROFILE_FORMAT,
        "source": f"kimi-cli {kimi_private.kimi_cli_version()}",
        "kimi_cli_version": kimi_private.kimi_cli_version(),
        "agents_dir": str(kimi_private.agents_dir()),
        "skills_dir": str(kimi_private.builtin_skills_dir()),
        "tools": _run_async(_tool_definitions()),
        "texts": texts(),
        "messages": messages(),
        "plan_slug_words": list(kimi_private.plan_slug_words()),
        "agent_spec_checker": agent_spec_checker(),
    }


SPEC_CHECK_MODULE = "kimi_kernel.host._spec_check"


def agent_spec_checker() -> list[str]:
    """The command kagent runs for kimi-cli's wording of an agent spec that does not load:
    this interpreter (the one with this kimi-cli), without the working directory on sys.path."""
    return [sys.executable, "-P", "-m", SPEC_CHECK_MODULE]


def texts() -> dict[str, str]:
    from kimi_kernel.host import kimi_private

    rendered = {
        "init": kimi_private.init_prompt(),
        "compact": kimi_private.compact_prompt(),
        "compaction_system": kimi_private.compaction_system_prompt(),
        "compaction_output_prefix": kimi_private.compaction_output_prefix(),
        "plan_mode.full_new": kimi_private.plan_full_reminder(PLAN_FILE, plan_exists=False),
        "plan_mode.full_exists": kimi_private.plan_full_reminder(PLAN_FILE, plan_exists=True),
        "plan_mode.sparse": kimi_private.plan_sparse_reminder(PLAN_FILE),
        "plan_mode.reentry": kimi_private.plan_reentry_reminder(PLAN_FILE),
        "afk_mode": kimi_private.afk_mode_reminder(),
        "afk_disabled": kimi_private.afk_disabled_reminder(),
        "repeat.same_call": kimi_private.repeat_reminder_same_call(),
        "repeat.many_times": kimi_private.repeat_reminder_many_times(
            REPEAT_TOOL, REPEAT_TIMES, REPEAT_ARGS
        ),
        "repeat.stop": kimi_private.repeat_reminder_stop(),
        "ralph.decision": kimi_private.ralph_decision_label(RALPH_PROMPT),
        "background.started": kimi_private.background_started_guidance(),
        "background.output_hint": kimi_private.task_output_hint(
            _OUTPUT_PATH_STANDIN, available=True
        ).replace(_OUTPUT_PATH_STANDIN, TASK_OUTPUT_PATH),
        "background.no_output_hint": kimi_private.task_output_hint(
            _OUTPUT_PATH_STANDIN, available=False
        ),
        # not required by kagent (docs/profile.md): the decision text with its branches
        "ralph.decision_prompt": kimi_private.ralph_decision_prompt(RALPH_PROMPT),
        # optional for kagent (docs/profile.md)
        "compaction_custom": kimi_private.compaction_custom_instruction(COMPACT_CUSTOM),
        "dmail.injection": kimi_private.dmail_injection(DMAIL_MESSAGE),
        "agent.type_line": kimi_private.agent_type_line(*AGENT_TYPE_FIELDS, AGENT_WHEN_TO_USE),
        "agent.type_line_plain": kimi_private.agent_type_line(*AGENT_TYPE_FIELDS, ""),
        "agent.summary_continuation": kimi_private.subagent_summary_continuation_prompt(),
    }
    assert tuple(rendered) == TEXT_KEYS, "TEXT_KEYS lists every text"
    return rendered


def _expression(key: str, formatted: tuple[str, ...]) -> str:
    """The expression of `formatted` a SOURCE_MESSAGES field key names: the key itself, or,
    for a key ending in `*`, the one expression starting with what comes before the `*`."""
    if not key.endswith("*"):
        return key
    matching = [expr for expr in formatted if expr.startswith(key[:-1])]
    return matching[0] if len(matching) == 1 else key


def messages() -> dict[str, str]:
    """kimi-cli's fixed texts of tools and slash commands (MESSAGE_KEYS), from its own source
    and code. `{...}` are kagent's placeholders."""
    from kimi_kernel.host import kimi_private

    found: dict[str, str] = {}
    problems: list[str] = []
    for key, (owner, index, fields) in SOURCE_MESSAGES.items():
        strings = kimi_private.source_strings(owner)
        literal = strings[index] if index < len(strings) else None
        named = {
            _expression(expr, literal.fields if literal else ()): fields[expr]
            for expr in fields
            if isinstance(expr, str)
        }
        positional = sorted(pos for pos in fields if isinstance(pos, int))
        if (
            literal is None
            or set(literal.fields) != set(named)
            or positional != list(range(literal.text.count(POSITIONAL)))
        ):
            also = f" and {len(positional)} positional {POSITIONAL}" if positional else ""
            problems.append(
                f"{owner} has no string literal #{index} formatting {sorted(named)}{also} ({key})"
            )
            continue
        text = literal.text
        for expr, placeholder in named.items():
            text = text.replace("{" + expr + "}", placeholder)
        pieces = text.split(POSITIONAL)
        text = pieces[0] + "".join(fields[i] + rest for i, rest in enumerate(pieces[1:]))
        found[key] = text
    found[FLOW_DECISION] = kimi_private.flow_decision_prompt("{label}", "{branch}")
    found[FLOW_INVALID_CHOICE] = _run_async(kimi_private.flow_invalid_choice_suffix())
    descriptions = kimi_private.slash_command_descriptions()
    for name in SLASH_COMMANDS:
        if name not in descriptions:
            problems.append(f"kimi_cli.soul.slash has no /{name} command")
            continue
        found[f"slash.{name}"] = descriptions[name]
    if problems:
        raise kimi_private.KimiCliMismatchError(problems, kimi_private.kimi_cli_version())
    assert tuple(found) == MESSAGE_KEYS, "MESSAGE_KEYS lists every message"
    return found


def tool_paths() -> list[str]:
    """Every `module:Class` an agent spec can name for a built-in tool: the ones the bundled
    agent specs name, and every tool class the modules under kimi_cli.tools expose."""
    from kimi_kernel.host import kimi_private

    paths = set(kimi_private.bundled_tool_paths())
    paths.update(kimi_private.exposed_tool_paths())
    return sorted(p for p in paths if not p.startswith(_TEMPLATED_MODULES))


async def _tool_definitions() -> dict[str, dict[str, Any]]:
    from kimi_kernel.host import kimi_private

    environment = await kimi_private.detect_environment()
    dependencies = {
        caps: kimi_private.tool_dependencies(environment, caps) for caps in MEDIA_CAPABILITY_SETS
    }
    definitions: dict[str, dict[str, Any]] = {}
    for path in tool_paths():
        definition = kimi_private.tool_definition(path, dependencies[MEDIA_CAPABILITY_SETS[0]])
        if definition is None:
            continue
        if path.endswith(":ReadMediaFile"):
            # its description says which media the model takes: kagent picks the variant
            definition["variants"] = {
                "+".join(caps): kimi_private.tool_definition(path, deps)
                for caps, deps in dependencies.items()
            }
        definitions[path] = definition
    # the subagent types are the running spec's: kagent renders them with the type lines
    definitions[AGENT_PATH] = kimi_private.agent_tool_definition(AGENT_TYPES)
    return definitions


def _run_async(coro: Any) -> Any:
    """Run `coro` to the end, also from inside a running event loop (KimiCLI.create)."""
    # imported here: a start-up with a cached profile (the Wire exec) must not pay for them
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# ---- the cache --------------------------------------------------------------------------


def problem_with(path: Path) -> str | None:
    """Why the profile file at `path` cannot be used, or None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return f"unreadable ({e})"
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("format") != PROFILE_FORMAT:
        return f"format {data.get('format')!r}, not {PROFILE_FORMAT}"
    if data.get("kimi_cli_version") != _kimi_cli_version():
        return f"made for kimi-cli {data.get('kimi_cli_version')!r}"
    for key in ("agents_dir", "skills_dir"):
        if not isinstance(data.get(key), str) or not os.path.isdir(data[key]):
            return f"{key} is not a directory"
    tools = data.get("tools")
    if not isinstance(tools, dict) or not tools:
        return "no tools"
    text = data.get("texts")
    if not isinstance(text, dict) or (missing := [k for k in TEXT_KEYS if k not in text]):
        return f"texts lack {', '.join(missing) if isinstance(text, dict) else 'everything'}"
    found = data.get("messages")
    if not isinstance(found, dict) or (missing := [k for k in MESSAGE_KEYS if k not in found]):
        return f"messages lack {', '.join(missing) if isinstance(found, dict) else 'everything'}"
    words = data.get("plan_slug_words")
    if not isinstance(words, list) or not words:
        return "no plan_slug_words"
    return None


def write_profile(path: Path, profile: dict[str, Any]) -> None:
    """Write atomically: a reader sees the old file or the whole new one, never a part."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(profile, f, ensure_ascii=False, indent=1)  # key order kept: schemas are sent as is
                f.write("\n")
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as e:
        raise ProfileError(
            f"cannot write the kimi-cli profile {path}: {e}. Fix: make {path.parent} writable "
            f"(or point {CACHE_DIR_ENV} elsewhere), then run `kimi-kernel profile --refresh`"
        ) from e


def _checked_stamp(path: str | Path) -> str:
    return os.fspath(path) + ".checked"


def _file_state(path: str | Path) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size} {st.st_mtime_ns}"


def _checked_before(path: str | Path) -> bool:
    """Whether `path` is the very file problem_with() last found usable: its size and mtime
    are those its `.checked` stamp recorded. Parsing the profile (110+ KB of JSON) to check it
    was a tenth of the Wire exec's start; kagent parses it anyway."""
    state = _file_state(path)
    try:
        with open(_checked_stamp(path), encoding="ascii") as f:
            return state is not None and f.read() == state
    except (OSError, UnicodeDecodeError):
        return False


def _remember_checked(path: str | Path) -> None:
    import contextlib  # not on the path of a start that finds the stamp

    if (state := _file_state(path)) is None:
        return
    with contextlib.suppress(OSError), open(_checked_stamp(path), "w", encoding="ascii") as f:
        f.write(state)  # without a stamp the next start checks the file again


def cached_profile() -> str | None:
    """The cached profile's path when it is the file last found usable (`_checked_before`),
    else None: what the Wire exec asks first (no pathlib, no JSON parsed)."""
    path = profile_file()
    return path if _checked_before(path) else None


def ensure_profile(*, refresh: bool = False) -> Path:
    """The path of a usable profile of the installed kimi-cli: the cached one, or one
    written now (first use, --refresh, or a cached file that is broken). A cached file is
    checked once, not on every start, unless it has changed since (`_checked_before`)."""
    path = profile_path()
    if not refresh and path.is_file():
        if _checked_before(path):
            return path
        if problem_with(path) is None:
            _remember_checked(path)
            return path
    write_profile(path, build_profile())
    if (problem := problem_with(path)) is not None:
        raise ProfileError(
            f"the kimi-cli profile {path} just written is not usable: {problem}. "
            "Fix: run `kimi-kernel profile --refresh`; if that fails, reinstall kimi-cli"
        )
    _remember_checked(path)
    return path
