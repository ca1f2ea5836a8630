"""Assistant hooks as plain functions: a hook payload in, the hook's JSON output (or None) out.

``prompt`` (UserPromptSubmit; Gemini CLI's BeforeAgent) adds a short, factual note when a pattern
fits the prompt. ``pre-tool`` / ``post-tool`` (PreToolUse / PostToolUse on Claude Code's Write,
Edit and MultiEdit and Codex's ``apply_patch``; Gemini CLI's BeforeTool / AfterTool on
``write_file`` and ``replace``) run the BAP001 check on the Python text an edit produces and
report what the edit introduced.

Claude Code and Codex send the same payload shape and read the same answers (Codex's edit tool
is ``apply_patch``, whose input is a patch); Gemini CLI has its own event names and answers.
The agent is told by ``--agent`` or read from the payload (``agent_of``).

This module is on the hot path of every prompt: it imports only the standard library at the top
and the engine (matcher, check) inside the functions that need it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._console import render_command
from .._fs import read_text_bounded
from ..errors import BapError

if TYPE_CHECKING:
    from ..lint import Finding
    from ..pack import Pack
    from ..project import Project

EDIT_TOOLS = ("Write", "Edit", "MultiEdit")
GEMINI_TOOLS = {"write_file": "Write", "replace": "Edit"}  # Gemini CLI's edit tools, as Claude's
PATCH_TOOL = "apply_patch"  # Codex
AGENTS = ("claude", "codex", "gemini")
GEMINI_EVENTS = {"BeforeAgent": "UserPromptSubmit", "BeforeTool": "PreToolUse",
                 "AfterTool": "PostToolUse"}  # fmt: skip
MAX_OUTPUT = 9_000  # Claude Code caps hook output at 10,000 characters
MAX_FILE = 1_000_000  # larger files are not checked
TOP = 2


class HookPayloadError(BapError):
    """A payload that is not what the hook contract describes (a missing or mistyped field)."""


def pack_for(cwd: str | None, agent: str | None = None) -> Pack:
    """The project's installed pack when present (a team's edits take effect), else the default.

    With ``agent``, the pack installed in that agent's skill folder is preferred.
    """
    from ..pack import installed_pack_dir, load_pack

    folder = None
    if cwd:
        folder = (installed_pack_dir(cwd, agent) if agent else None) or installed_pack_dir(cwd)
    return load_pack(folder)


def agent_of(payload: Mapping[str, Any], agent: str | None = None) -> str:
    """The agent that sent ``payload``: ``agent`` when given, else read from its fields."""
    if agent:
        return agent
    if payload.get("hook_event_name") in GEMINI_EVENTS:
        return "gemini"
    return "codex" if payload.get("tool_name") == PATCH_TOOL else "claude"


def _field(payload: Mapping[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind):
        what = "missing" if value is None else f"not a {kind.__name__}"
        raise HookPayloadError(f"hook payload field '{name}' is {what}.")
    return value


def _clip(text: str, limit: int = MAX_OUTPUT) -> str:
    return text if len(text) <= limit else text[: limit - 20].rstrip() + "\n… (truncated)"


def _shown(path: str, cwd: str | None) -> str:
    """``path`` relative to ``cwd`` when it is inside it (shorter, and what Claude sees)."""
    if cwd:
        base = os.path.join(os.path.abspath(cwd), "")
        if path.startswith(base):
            return path[len(base) :]
    return path


# ---- UserPromptSubmit -------------------------------------------------------------------------


def advice(command: str, program: str = "bap") -> str:
    """``command`` (a ``bap ...`` line) as it runs where the hook runs: ``program`` for ``bap``."""
    if program == "bap" or not command.startswith("bap "):
        return command
    return f"{program} {command[len('bap ') :]}"


def prompt_context(
    prompt: str, cwd: str | None = None, pack: Pack | None = None, *, program: str = "bap"
) -> str | None:
    """The additional context for a prompt: which pattern fits, why, and how to render it.

    ``program`` is how the hook itself was run (``bap``, or ``<python> -m backend_patterns``
    for a ``--local`` install), so the command it suggests runs where the hook runs.
    """
    from ..match import suggest

    pack = pack or pack_for(cwd)
    found = suggest(prompt, top=TOP, pack=pack)
    if not found:
        return None
    lines = []
    for s in found:
        spec = pack.patterns.get(s.pattern)
        lines.append(
            f"backend-api-patterns: pattern '{s.pattern}' fits this prompt "
            f"(score {s.score:.2f}; {s.why})."
        )
        if s.description:
            lines.append(f"  What it is: {s.description}")
        if spec is not None:
            templates = ", ".join(f.template for f in spec.files)
            lines.append(f"  Template: {_shown(spec.dir, cwd)}/ ({templates})")
        command = render_command(s.pattern, s.params, cwd)
        label = "Add" if command.startswith("bap add ") else "Render"
        lines.append(f"  {label}: {advice(command, program)}")
    return _clip("\n".join(lines))


def prompt_hook(
    payload: Mapping[str, Any], *, agent: str | None = None, program: str = "bap"
) -> dict[str, Any] | None:
    """UserPromptSubmit (BeforeAgent): ``{"hookSpecificOutput": {... "additionalContext"}}``."""
    prompt = _field(payload, "prompt", str)
    cwd = _field(payload, "cwd", str, required=False) or os.getcwd()
    pack = pack_for(cwd, agent)
    context = prompt_context(prompt, cwd, pack, program=program)
    if context is None:
        return None
    event = "BeforeAgent" if agent_of(payload, agent) == "gemini" else "UserPromptSubmit"
    return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": context}}


# ---- PreToolUse / PostToolUse -----------------------------------------------------------------


def _read(path: str) -> str | None:
    """The file's text, or None: absent, not UTF-8, over ``MAX_FILE``, or not a regular file.

    A FIFO or a device named by the payload is refused without being read, so it cannot hang
    the hook. A symlink is followed, as the editing tool follows it.
    """
    try:
        return read_text_bounded(path, MAX_FILE, follow_symlinks=True)
    except (OSError, UnicodeDecodeError):
        return None


def _edits(tool: str, tool_input: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """``(old_string, new_string, replace_all)`` for Edit and MultiEdit, in order."""
    raw: list[Any] = [tool_input] if tool == "Edit" else _field(tool_input, "edits", list)
    out = []
    for edit in raw:
        if not isinstance(edit, Mapping):
            raise HookPayloadError("hook payload field 'edits' holds a non-object.")
        out.append(
            (
                _field(edit, "old_string", str),
                _field(edit, "new_string", str),
                bool(edit.get("replace_all", False)),
            )
        )
    return out


def _apply(text: str, edits: list[tuple[str, str, bool]]) -> str | None:
    """The text with ``edits`` applied as the Edit tool does, or None when one does not apply."""
    for old, new, every in edits:
        if old == "":
            if text:
                return None
            text = new
            continue
        if old not in text:
            return None
        text = text.replace(old, new) if every else text.replace(old, new, 1)
    return text


def texts_of_edit(
    event: str, tool: str, tool_input: Mapping[str, Any], on_disk: str | None
) -> tuple[str | None, str]:
    """``(before, after)``: the file's Python text around the edit.

    Before the tool runs the disk holds ``before``; after it runs the disk holds ``after``.
    An edit whose context cannot be rebuilt is checked on its new text alone.
    """
    if tool == "Write":
        content = _field(tool_input, "content", str)
        return (on_disk if event == "PreToolUse" else None), content
    edits = _edits(tool, tool_input)
    new_alone = "\n".join(new for _, new, _ in edits)
    if on_disk is None:
        return None, new_alone
    if event == "PreToolUse":
        after = _apply(on_disk, edits)
        return (on_disk, after) if after is not None else (None, new_alone)
    reverse = [(new, old, every) for old, new, every in reversed(edits)]
    return _apply(on_disk, reverse), on_disk


def _key(finding: Finding, text: str) -> tuple[str, str]:
    lines = text.splitlines()
    source = lines[finding.line - 1].strip() if 0 < finding.line <= len(lines) else ""
    return finding.message, source


HOOK_MAX_PARSE = 300  # files one hook run may add to a cold project index


def _project_of(path: str) -> Project | None:
    """The project model (its cached index) around the edited file; None without a root or
    when it cannot be loaded: the hook fails open."""
    from ..project import Project, find_root

    try:
        folder = os.path.dirname(os.path.abspath(path))
        if find_root(folder) is None:
            return None
        return Project.load(folder, max_parse=HOOK_MAX_PARSE)
    except Exception:  # a hook never fails an edit over its own trouble
        return None


def introduced(before: str | None, after: str, path: str) -> list[Finding]:
    """The lint findings in ``after`` that ``before`` did not already have."""
    from ..lint import check_code

    project = _project_of(path)
    found = check_code(after, path=path, project=project)
    if not found or before is None:
        return found
    try:
        old = {_key(f, before) for f in check_code(before, path=path, project=project)}
    except SyntaxError:
        old = set()
    return [f for f in found if _key(f, after) not in old]


def describe(findings: list[Finding], path: str) -> str:
    """What Claude reads: each finding's line, the problem, and the fix."""
    codes = ", ".join(sorted({f.code for f in findings}))
    head = (
        f"backend-api-patterns found {len(findings)} {codes} problem"
        f"{'s' if len(findings) != 1 else ''} in {path}:"
    )
    body = [
        f"- line {f.line}, col {f.col}: {f.code} {f.message}\n  Fix: {f.fix}" for f in findings
    ]
    return _clip("\n".join([head, *body]))


def _patched(
    event: str, tool_input: Mapping[str, Any], cwd: str | None
) -> list[tuple[str, str | None, str]]:
    """``(path, before, after)`` for each Python file a Codex ``apply_patch`` adds or changes."""
    from . import _patch

    text = next(
        (v for k in ("command", "patch", "input") if isinstance(v := tool_input.get(k), str)),
        None,
    )
    if text is None:
        raise HookPayloadError("hook payload field 'tool_input.command' is missing.")
    try:
        hunks = _patch.parse(text)
    except ValueError as exc:
        raise HookPayloadError(str(exc)) from None
    out: list[tuple[str, str | None, str]] = []
    for hunk in hunks:
        if hunk.kind == "delete" or not hunk.target.endswith(".py"):
            continue
        path = os.path.abspath(os.path.join(cwd or ".", hunk.target))
        if hunk.kind == "add":
            out.append((path, None, hunk.added()))
            continue
        if event == "PreToolUse":
            disk = _read(os.path.abspath(os.path.join(cwd or ".", hunk.path)))
            after = _patch.apply(disk, hunk.chunks) if disk is not None else None
            out.append((path, disk, after) if after is not None else (path, None, hunk.added()))
        else:
            disk = _read(path)
            if disk is None:
                out.append((path, None, hunk.added()))
            else:
                out.append((path, _patch.apply(disk, _patch.reverse(hunk.chunks)), disk))
    return out


def edited_files(
    event: str, tool: str, tool_input: Mapping[str, Any], cwd: str | None
) -> list[tuple[str, str | None, str]]:
    """``(path, before, after)`` for each Python file the edit tool call touches."""
    if tool == PATCH_TOOL:
        return _patched(event, tool_input, cwd)
    if tool in GEMINI_TOOLS:
        tool_input = {**tool_input, "replace_all": bool(tool_input.get("allow_multiple"))}
        tool = GEMINI_TOOLS[tool]
    if tool not in EDIT_TOOLS:
        return []
    file_path = _field(tool_input, "file_path", str)
    if not file_path.endswith(".py"):
        return []
    path = os.path.abspath(os.path.join(cwd or ".", file_path))
    before, after = texts_of_edit(event, tool, tool_input, _read(path))
    return [(path, before, after)]


def tool_hook(
    payload: Mapping[str, Any], *, deny: bool = False, agent: str | None = None
) -> dict[str, Any] | None:
    """PreToolUse / PostToolUse (Gemini CLI: BeforeTool / AfterTool) on the edit tools.

    PostToolUse reports a finding with ``decision: block`` (Claude Code and Codex read the reason
    and fix it; Gemini CLI gets it as ``additionalContext`` appended to the tool's result).
    PreToolUse refuses the edit only with ``deny``; otherwise it stays silent, because an
    ``allow`` would also skip the user's own permission prompt.
    """
    who = agent_of(payload, agent)
    name = _field(payload, "hook_event_name", str)
    event = GEMINI_EVENTS.get(name, name)
    if event not in {"PreToolUse", "PostToolUse"}:
        raise HookPayloadError(f"hook_event_name '{name}' is not a before- or after-tool event.")
    if event == "PreToolUse" and not deny:
        return None
    tool = _field(payload, "tool_name", str)
    if tool not in EDIT_TOOLS and tool not in GEMINI_TOOLS and tool != PATCH_TOOL:
        return None
    tool_input = _field(payload, "tool_input", Mapping)
    cwd = _field(payload, "cwd", str, required=False)
    reasons = []
    for path, before, after in edited_files(event, tool, tool_input, cwd):
        if len(after) > MAX_FILE:
            continue
        try:
            findings = introduced(before, after, path)
        except SyntaxError:
            continue  # half-written code: nothing to say about it yet
        if findings:
            reasons.append(describe(findings, _shown(path, cwd)))
    if not reasons:
        return None
    reason = _clip("\n".join(reasons))
    if who == "gemini":
        if event == "PostToolUse":
            context = {"hookEventName": "AfterTool", "additionalContext": reason}
            return {"hookSpecificOutput": context}
        return {"decision": "deny", "reason": reason}
    if event == "PostToolUse":
        return {"decision": "block", "reason": reason}
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    }
