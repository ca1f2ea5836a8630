"""Claude Code hooks as plain functions: a hook payload in, the hook's JSON output (or None) out.

``prompt`` (UserPromptSubmit) adds a short, factual note when a pattern fits the prompt.
``pre-tool`` / ``post-tool`` (PreToolUse / PostToolUse on Write, Edit and MultiEdit) run the
BAP001 check on the Python text an edit produces and report what the edit introduced.

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
MAX_OUTPUT = 9_000  # Claude Code caps hook output at 10,000 characters
MAX_FILE = 1_000_000  # larger files are not checked
TOP = 2


class HookPayloadError(BapError):
    """A payload that is not what the hook contract describes (a missing or mistyped field)."""


def pack_for(cwd: str | None) -> Pack:
    """The project's installed pack when present (a team's edits take effect), else the default."""
    from ..pack import installed_pack_dir, load_pack

    folder = installed_pack_dir(cwd) if cwd else None
    return load_pack(folder)


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


def prompt_context(prompt: str, cwd: str | None = None, pack: Pack | None = None) -> str | None:
    """The additional context for a prompt: which pattern fits, why, and how to render it."""
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
        lines.append(f"  Render: {render_command(s.pattern, s.params)}")
    return _clip("\n".join(lines))


def prompt_hook(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """UserPromptSubmit: ``{"hookSpecificOutput": {... "additionalContext"}}`` or None."""
    prompt = _field(payload, "prompt", str)
    cwd = _field(payload, "cwd", str, required=False)
    context = prompt_context(prompt, cwd or os.getcwd())
    if context is None:
        return None
    return {
        "hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": context}
    }


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


def tool_hook(payload: Mapping[str, Any], *, deny: bool = False) -> dict[str, Any] | None:
    """PreToolUse / PostToolUse on Write|Edit|MultiEdit.

    PostToolUse reports a finding with ``decision: block`` (Claude reads the reason and fixes
    it). PreToolUse refuses the edit only with ``deny``; otherwise it stays silent, because an
    ``allow`` would also skip the user's own permission prompt.
    """
    event = _field(payload, "hook_event_name", str)
    if event not in {"PreToolUse", "PostToolUse"}:
        raise HookPayloadError(f"hook_event_name '{event}' is not PreToolUse or PostToolUse.")
    if event == "PreToolUse" and not deny:
        return None
    tool = _field(payload, "tool_name", str)
    if tool not in EDIT_TOOLS:
        return None
    tool_input = _field(payload, "tool_input", Mapping)
    file_path = _field(tool_input, "file_path", str)
    if not file_path.endswith(".py"):
        return None
    cwd = _field(payload, "cwd", str, required=False)
    path = os.path.abspath(os.path.join(cwd or ".", file_path))
    before, after = texts_of_edit(event, tool, tool_input, _read(path))
    if len(after) > MAX_FILE:
        return None
    try:
        findings = introduced(before, after, path)
    except SyntaxError:
        return None  # half-written code: nothing to say about it yet
    if not findings:
        return None
    reason = describe(findings, _shown(path, cwd))
    if event == "PostToolUse":
        return {"decision": "block", "reason": reason}
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    }
