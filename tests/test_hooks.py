"""The Claude Code hooks, driven with the documented payloads: in process and through real `bap`.

Payload shapes follow the Claude Code hooks reference: every event carries session_id,
transcript_path, cwd and hook_event_name; UserPromptSubmit adds ``prompt``; PreToolUse and
PostToolUse add ``tool_name`` and ``tool_input`` (PostToolUse also ``tool_response``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonb_snippet import BUGGY, FLAG, MODEL, MUTATION_LINE

from backend_patterns import hooks
from backend_patterns.lint import check_code
from backend_patterns.pack import SKILL_SUBDIR, load_pack

BAP = str(Path(sys.executable).parent / "bap")
HEAVY = ("fastapi", "sqlalchemy", "pydantic", "jinja2", "mcp")


def base_payload(event: str, cwd: Path) -> dict[str, Any]:
    return {
        "session_id": "abc123",
        "transcript_path": str(cwd / "transcript.jsonl"),
        "cwd": str(cwd),
        "permission_mode": "default",
        "hook_event_name": event,
    }


def tool_payload(event: str, cwd: Path, tool: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    payload = {**base_payload(event, cwd), "tool_name": tool, "tool_input": tool_input}
    if event == "PostToolUse":
        payload["tool_response"] = {"filePath": tool_input.get("file_path"), "success": True}
    return payload


def run_hook(args: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAP, "hook", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def answer(args: list[str], payload: dict[str, Any], cwd: Path) -> dict[str, Any] | None:
    """Run the real hook; it must exit 0 and print one JSON object or nothing."""
    done = run_hook(args, json.dumps(payload), cwd)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    if not done.stdout.strip():
        return None
    assert len(done.stdout) < 10_000
    out = json.loads(done.stdout)
    assert isinstance(out, dict)
    return out


def test_the_snippet_really_has_the_bug() -> None:
    """The fixture is what BAP001 is about: the buggy text has a finding, the fixed one none."""
    found = check_code(BUGGY, path="agents.py")
    assert [f.line for f in found] == [MUTATION_LINE]
    assert check_code(MODEL, path="agents.py") == []


# ---- UserPromptSubmit ------------------------------------------------------------------------


def test_prompt_that_fits_adds_short_factual_context(tmp_path: Path) -> None:
    payload = {
        **base_payload("UserPromptSubmit", tmp_path),
        "prompt": "Add a WebSocket endpoint that broadcasts chat messages to a room",
    }
    out = answer(["prompt"], payload, tmp_path)
    assert out is not None
    specific = out["hookSpecificOutput"]
    assert specific["hookEventName"] == "UserPromptSubmit"
    context = specific["additionalContext"]
    assert "websocket_handler" in context
    assert "bap render websocket_handler" in context
    assert str(load_pack().patterns["websocket_handler"].directory) in context
    assert "ACTION" not in context.upper()
    assert len(context) < 2_000
    assert out == hooks.prompt_hook(payload)  # the same answer in process


def test_prompt_that_fits_nothing_prints_nothing(tmp_path: Path) -> None:
    payload = {
        **base_payload("UserPromptSubmit", tmp_path),
        "prompt": "What is the capital of Australia?",
    }
    assert answer(["prompt"], payload, tmp_path) is None
    assert hooks.prompt_hook(payload) is None


def _install_pack_copy(project: Path) -> Path:
    target = project / SKILL_SUBDIR
    source = load_pack().root
    target.mkdir(parents=True)
    for item in ("SKILL.md", "triggers.yaml"):
        shutil.copy2(source / item, target / item)
    shutil.copytree(source / "patterns", target / "patterns")
    return target


def test_prompt_uses_the_pack_installed_in_the_project(tmp_path: Path) -> None:
    installed = _install_pack_copy(tmp_path)
    triggers = yaml.safe_load((installed / "triggers.yaml").read_text())
    triggers["patterns"]["websocket_handler"]["description"] = "Team-edited room broadcaster"
    (installed / "triggers.yaml").write_text(yaml.safe_dump(triggers, sort_keys=False))
    payload = {
        **base_payload("UserPromptSubmit", tmp_path),
        "prompt": "Add a WebSocket endpoint that broadcasts chat messages to a room",
    }
    out = answer(["prompt"], payload, tmp_path)
    assert out is not None
    context = out["hookSpecificOutput"]["additionalContext"]
    assert "Team-edited room broadcaster" in context
    assert str(Path(".claude/skills/backend-api-patterns/patterns/websocket_handler")) in context


def test_a_broken_installed_pack_fails_open(tmp_path: Path) -> None:
    installed = _install_pack_copy(tmp_path)
    (installed / "triggers.yaml").write_text("patterns: [unclosed\n")
    payload = {**base_payload("UserPromptSubmit", tmp_path), "prompt": "websocket chat"}
    done = run_hook(["prompt"], json.dumps(payload), tmp_path)
    assert done.returncode == 0
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "triggers.yaml" in done.stderr


# ---- PreToolUse / PostToolUse ----------------------------------------------------------------


def _assert_reports_mutation(text: str) -> None:
    assert f"line {MUTATION_LINE}" in text
    assert "Fix:" in text
    assert "flag_modified" in text  # the fix names the remedy


def test_post_tool_write_with_the_bug_blocks_with_line_and_fix(tmp_path: Path) -> None:
    target = tmp_path / "app" / "agents.py"
    target.parent.mkdir()
    target.write_text(BUGGY)  # PostToolUse: the tool has written the file
    payload = tool_payload(
        "PostToolUse", tmp_path, "Write", {"file_path": str(target), "content": BUGGY}
    )
    out = answer(["post-tool"], payload, tmp_path)
    assert out is not None
    assert out["decision"] == "block"
    _assert_reports_mutation(out["reason"])
    assert "app/agents.py" in out["reason"]
    assert out == hooks.tool_hook(payload)


def test_clean_write_prints_nothing(tmp_path: Path) -> None:
    target = tmp_path / "agents.py"
    target.write_text(MODEL)
    for event, args in (("PostToolUse", ["post-tool"]), ("PreToolUse", ["pre-tool", "--deny"])):
        payload = tool_payload(
            event, tmp_path, "Write", {"file_path": str(target), "content": MODEL}
        )
        assert answer(args, payload, tmp_path) is None


def test_pre_tool_deny_refuses_an_edit_that_drops_the_flag(tmp_path: Path) -> None:
    target = tmp_path / "agents.py"
    target.write_text(MODEL)  # PreToolUse: the disk still holds the old text
    edit = {"file_path": str(target), "old_string": FLAG, "new_string": "", "replace_all": False}
    payload = tool_payload("PreToolUse", tmp_path, "Edit", edit)
    out = answer(["pre-tool", "--deny"], payload, tmp_path)
    assert out is not None
    specific = out["hookSpecificOutput"]
    assert specific["hookEventName"] == "PreToolUse"
    assert specific["permissionDecision"] == "deny"
    _assert_reports_mutation(specific["permissionDecisionReason"])
    # Without --deny, pre-tool stays out of the way: an "allow" would skip the user's prompt.
    assert answer(["pre-tool"], payload, tmp_path) is None
    assert target.read_text() == MODEL  # a hook never writes


def test_post_tool_edit_checks_the_file_as_edited(tmp_path: Path) -> None:
    target = tmp_path / "agents.py"
    target.write_text(BUGGY)  # the Edit already ran
    edit = {"file_path": str(target), "old_string": FLAG, "new_string": ""}
    out = answer(["post-tool"], tool_payload("PostToolUse", tmp_path, "Edit", edit), tmp_path)
    assert out is not None
    assert out["decision"] == "block"
    _assert_reports_mutation(out["reason"])


def test_multiedit_applies_every_edit_in_order(tmp_path: Path) -> None:
    target = tmp_path / "agents.py"
    target.write_text(MODEL)
    edits = [
        {"old_string": "key: str, value: str", "new_string": "name: str, value: str"},
        {"old_string": "agent_metadata[key]", "new_string": "agent_metadata[name]"},
        {"old_string": FLAG, "new_string": ""},
    ]
    payload = tool_payload(
        "PreToolUse", tmp_path, "MultiEdit", {"file_path": str(target), "edits": edits}
    )
    out = answer(["pre-tool", "--deny"], payload, tmp_path)
    assert out is not None
    reason = out["hookSpecificOutput"]["permissionDecisionReason"]
    _assert_reports_mutation(reason)
    # The same edits minus the one that drops the flag are fine.
    payload["tool_input"]["edits"] = edits[:2]
    assert answer(["pre-tool", "--deny"], payload, tmp_path) is None


def test_an_edit_elsewhere_does_not_repeat_an_old_finding(tmp_path: Path) -> None:
    target = tmp_path / "agents.py"
    target.write_text(BUGGY)
    edit = {"file_path": str(target), "old_string": '"agents"', "new_string": '"agent"'}
    payload = tool_payload("PreToolUse", tmp_path, "Edit", edit)
    assert check_code(BUGGY.replace('"agents"', '"agent"'), path=str(target))  # still buggy
    assert answer(["pre-tool", "--deny"], payload, tmp_path) is None  # but not this edit's doing


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_file_that_is_a_fifo_or_device_is_not_read(tmp_path: Path, kind: str) -> None:
    """A FIFO would block the hook and /dev/zero never end: the edit is checked on its own."""
    target = tmp_path / "agents.py"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    edit = {"file_path": str(target), "old_string": "pass", "new_string": BUGGY}
    out = answer(
        ["pre-tool", "--deny"], tool_payload("PreToolUse", tmp_path, "Edit", edit), tmp_path
    )
    assert out is not None  # no hang, no error: the new text alone has the bug
    _assert_reports_mutation(out["hookSpecificOutput"]["permissionDecisionReason"])
    assert hooks._read(str(target)) is None


def test_only_python_files_are_checked(tmp_path: Path) -> None:
    target = tmp_path / "notes.md"
    payload = tool_payload(
        "PostToolUse", tmp_path, "Write", {"file_path": str(target), "content": BUGGY}
    )
    assert answer(["post-tool"], payload, tmp_path) is None


def test_many_findings_stay_under_the_output_cap(tmp_path: Path) -> None:
    many = BUGGY + "".join(
        f"\n\nasync def tag_{i}(session: AsyncSession, agent: Agent) -> None:\n"
        f'    agent.agent_metadata["k{i}"] = {i}\n'
        "    await session.commit()\n"
        for i in range(400)
    )
    target = tmp_path / "agents.py"
    target.write_text(many)
    payload = tool_payload(
        "PostToolUse", tmp_path, "Write", {"file_path": str(target), "content": many}
    )
    assert len(check_code(many, path=str(target))) > 100
    out = answer(["post-tool"], payload, tmp_path)
    assert out is not None
    assert out["decision"] == "block"
    assert len(json.dumps(out)) < 10_000


# ---- failing open ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["prompt"], "{not json"),
        (["prompt"], "[1, 2, 3]"),
        (["prompt"], json.dumps({"cwd": "/tmp", "hook_event_name": "UserPromptSubmit"})),
        (["prompt"], json.dumps({"prompt": 42})),
        (["post-tool"], json.dumps({"hook_event_name": "PostToolUse", "tool_name": "Write"})),
        (
            ["post-tool"],
            json.dumps(
                {
                    "hook_event_name": "PostToolUse",
                    "tool_name": "Edit",
                    "tool_input": {"file_path": "/tmp/x.py"},
                }
            ),
        ),
        (
            ["pre-tool", "--deny"],
            json.dumps(
                {
                    "hook_event_name": "PreToolUse",
                    "tool_name": "MultiEdit",
                    "tool_input": {"file_path": "/tmp/x.py", "edits": "oops"},
                }
            ),
        ),
        (["post-tool"], "\xff\xfe garbage"),
        (["prompt"], ""),
    ],
)
def test_malformed_payloads_fail_open(tmp_path: Path, args: list[str], stdin: str) -> None:
    done = run_hook(args, stdin, tmp_path)
    assert done.returncode == 0
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"bap hook {args[0]}: ignored (")
    assert "Traceback" not in done.stderr


def test_a_missing_field_raises_in_process() -> None:
    with pytest.raises(hooks.HookPayloadError, match="'prompt' is missing"):
        hooks.prompt_hook({"cwd": "/tmp"})
    with pytest.raises(hooks.HookPayloadError, match="'tool_input' is missing"):
        hooks.tool_hook({"hook_event_name": "PostToolUse", "tool_name": "Write"})


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    done = run_hook(["promt"], "{}", tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "Error: unknown hook event 'promt' (choose from: prompt, pre-tool, "
        "post-tool). Did you mean 'prompt'?\n"
    )
    done = run_hook(["post-tool", "--deny"], "{}", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: unknown option '--deny'")


# ---- the hot path ------------------------------------------------------------------------------


def test_prompt_hook_imports_nothing_heavy(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from backend_patterns.program import main\n"
        "code = main(['hook', 'prompt'])\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "sys.stderr.write(repr(heavy))\n"
        "raise SystemExit(code)\n"
    )
    payload = {
        **base_payload("UserPromptSubmit", tmp_path),
        "prompt": "Add a WebSocket endpoint that broadcasts chat messages",
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "websocket_handler" in done.stdout  # it did the real work
    assert done.stderr == "[]"
