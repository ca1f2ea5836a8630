"""`bap hook` for Codex and Gemini CLI, driven with their documented payloads, and the command
the prompt hook suggests when it runs as ``<python> -m backend_patterns`` (``--local``).

Codex (0.171) sends Claude Code's payload shape (``hook_event_name``, ``tool_name``,
``tool_input``, ``cwd``) and reads the same answers; its edit tool is ``apply_patch`` with the
patch in ``tool_input.command`` (payloads recorded from the real CLI, tests/test_e2e_codex.py).
Gemini CLI (hooks reference, 0.61): ``BeforeAgent`` with ``prompt``, ``BeforeTool`` /
``AfterTool`` with ``tool_name`` ``write_file`` (``file_path``, ``content``) or ``replace``
(``file_path``, ``old_string``, ``new_string``, ``allow_multiple``); answers
``hookSpecificOutput.additionalContext`` and ``{"decision": "deny", "reason"}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonb_snippet import BUGGY, FLAG, MODEL, MUTATION_LINE
from test_hooks import answer, run_hook

from backend_patterns import hooks
from backend_patterns.hooks import _patch

PROMPT = "Add a WebSocket endpoint that broadcasts chat messages to a room"


def codex(event: str, cwd: Path, **fields: Any) -> dict[str, Any]:
    return {
        "session_id": "01a24247-381b-7853-818b-5e85f64f4957",
        "turn_id": "01a24247-3848-7e32-98f2-35524a24098b",
        "transcript_path": str(cwd / "rollout.jsonl"),
        "cwd": str(cwd),
        "hook_event_name": event,
        "model": "gpt-5.5",
        "permission_mode": "bypassPermissions",
        **fields,
    }


def gemini(event: str, cwd: Path, **fields: Any) -> dict[str, Any]:
    return {
        "session_id": "s-1",
        "transcript_path": str(cwd / "session.json"),
        "cwd": str(cwd),
        "hook_event_name": event,
        "timestamp": "2026-12-04T18:00:00.000Z",
        **fields,
    }


def add_patch(path: str, text: str) -> str:
    added = "".join(f"+{line}\n" for line in text.splitlines())
    return f"*** Begin Patch\n*** Add File: {path}\n{added}*** End Patch\n"


def flag_removing_patch(path: str) -> str:
    """An update that takes the ``flag_modified`` line out of ``MODEL``: it adds BAP001."""
    lines = MODEL.splitlines()
    at = lines.index(FLAG.rstrip("\n"))
    context = lines[at - 1], lines[at + 1]
    return (
        f"*** Begin Patch\n*** Update File: {path}\n@@\n {context[0]}\n-{lines[at]}\n"
        f" {context[1]}\n*** End Patch\n"
    )


# ---- Codex ------------------------------------------------------------------------------------


def test_codex_prompt_gets_the_context_in_claudes_shape(tmp_path: Path) -> None:
    out = answer(
        ["prompt", "--agent", "codex"],
        codex("UserPromptSubmit", tmp_path, prompt=PROMPT),
        tmp_path,
    )
    assert out is not None
    specific = out["hookSpecificOutput"]
    assert specific["hookEventName"] == "UserPromptSubmit"
    assert "websocket_handler" in specific["additionalContext"]


def test_codex_post_tool_blocks_an_added_file_with_the_bug(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(BUGGY)  # what apply_patch left on disk
    tool_input = {"command": add_patch("models.py", BUGGY)}
    payload = codex("PostToolUse", tmp_path, tool_name="apply_patch", tool_input=tool_input,
                    tool_response="Success. Updated the following files:\nA models.py\n",
                    tool_use_id="call_1_0")  # fmt: skip
    out = answer(["post-tool", "--agent", "codex"], payload, tmp_path)
    assert out is not None
    assert out["decision"] == "block"
    assert f"line {MUTATION_LINE}" in out["reason"]
    assert "flag_modified" in out["reason"]
    assert "models.py" in out["reason"]
    assert out == hooks.tool_hook(payload)  # told by the payload alone: apply_patch is Codex


def test_codex_post_tool_reports_only_what_an_update_introduced(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(BUGGY)  # after the update that removed the flag
    payload = codex("PostToolUse", tmp_path, tool_name="apply_patch",
                    tool_input={"command": flag_removing_patch("models.py")})  # fmt: skip
    out = hooks.tool_hook(payload)
    assert out is not None
    assert f"line {MUTATION_LINE}" in out["reason"]
    # The same bug already there before an unrelated update: not repeated.
    unrelated = (
        "*** Begin Patch\n*** Update File: models.py\n@@\n-    pass\n+    ...\n*** End Patch\n"
    )
    (tmp_path / "models.py").write_text(BUGGY.replace("    pass\n", "    ...\n"))
    quiet = codex(
        "PostToolUse", tmp_path, tool_name="apply_patch", tool_input={"command": unrelated}
    )
    assert hooks.tool_hook(quiet) is None


def test_codex_pre_tool_denies_only_with_deny(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    payload = codex("PreToolUse", tmp_path, tool_name="apply_patch",
                    tool_input={"command": flag_removing_patch("models.py")})  # fmt: skip
    assert answer(["pre-tool", "--agent", "codex"], payload, tmp_path) is None
    out = answer(["pre-tool", "--deny", "--agent", "codex"], payload, tmp_path)
    assert out is not None
    specific = out["hookSpecificOutput"]
    assert specific["permissionDecision"] == "deny"
    assert f"line {MUTATION_LINE}" in specific["permissionDecisionReason"]
    assert (tmp_path / "models.py").read_text() == MODEL  # a hook never writes


def test_codex_shell_and_other_files_are_left_alone(tmp_path: Path) -> None:
    bash = codex("PostToolUse", tmp_path, tool_name="Bash", tool_input={"command": "ls"})
    assert hooks.tool_hook(bash) is None
    readme = codex("PostToolUse", tmp_path, tool_name="apply_patch",
                   tool_input={"command": add_patch("README.md", "# hi")})  # fmt: skip
    assert hooks.tool_hook(readme) is None


def test_a_malformed_patch_fails_open(tmp_path: Path) -> None:
    payload = codex(
        "PostToolUse", tmp_path, tool_name="apply_patch", tool_input={"command": "rm -rf /"}
    )
    done = run_hook(["post-tool", "--agent", "codex"], json.dumps(payload), tmp_path)
    assert done.returncode == 0
    assert done.stdout == ""
    assert "apply_patch" in done.stderr
    assert done.stderr.count("\n") == 1


def test_patch_parser_reads_add_update_move_and_delete() -> None:
    text = (
        "*** Begin Patch\n*** Add File: a.py\n+x = 1\n+y = 2\n*** Delete File: b.py\n"
        "*** Update File: c.py\n*** Move to: d.py\n@@ def f():\n-    return 1\n+    return 2\n"
        "@@\n a = 1\n-b = 2\n+b = 3\n*** End of File\n*** End Patch"
    )
    add, delete, update = _patch.parse(text)
    assert (add.kind, add.target, add.added()) == ("add", "a.py", "x = 1\ny = 2\n")
    assert (delete.kind, delete.path) == ("delete", "b.py")
    assert (update.path, update.target) == ("c.py", "d.py")
    assert update.chunks == [
        (["    return 1"], ["    return 2"]),
        (["a = 1", "b = 2"], ["a = 1", "b = 3"]),
    ]
    before = "def f():\n    return 1\na = 1\nb = 2\n"
    after = _patch.apply(before, update.chunks)
    assert after == "def f():\n    return 2\na = 1\nb = 3\n"
    assert after is not None
    assert _patch.apply(after, _patch.reverse(update.chunks)) == before
    assert _patch.apply("nothing here\n", update.chunks) is None
    with pytest.raises(ValueError, match="Begin Patch"):
        _patch.parse("echo hi")


# ---- Gemini CLI -------------------------------------------------------------------------------


def test_gemini_before_agent_gets_additional_context(tmp_path: Path) -> None:
    payload = gemini("BeforeAgent", tmp_path, prompt=PROMPT)
    out = answer(["prompt", "--agent", "gemini"], payload, tmp_path)
    assert out is not None
    assert out["hookSpecificOutput"]["hookEventName"] == "BeforeAgent"
    assert "websocket_handler" in out["hookSpecificOutput"]["additionalContext"]
    assert out == hooks.prompt_hook(payload)  # BeforeAgent alone says Gemini CLI


def test_gemini_after_tool_appends_the_finding_to_the_tool_result(tmp_path: Path) -> None:
    target = tmp_path / "models.py"
    target.write_text(BUGGY)
    payload = gemini("AfterTool", tmp_path, tool_name="write_file",
                     tool_input={"file_path": str(target), "content": BUGGY},
                     tool_response={"llmContent": "Successfully created models.py",
                                    "returnDisplay": "models.py"})  # fmt: skip
    out = answer(["post-tool", "--agent", "gemini"], payload, tmp_path)
    assert out is not None
    assert set(out) == {"hookSpecificOutput"}  # no "deny": that would hide the tool's result
    specific = out["hookSpecificOutput"]
    assert specific["hookEventName"] == "AfterTool"
    assert f"line {MUTATION_LINE}" in specific["additionalContext"]
    assert "flag_modified" in specific["additionalContext"]


def test_gemini_before_tool_denies_a_replace_that_adds_the_bug(tmp_path: Path) -> None:
    target = tmp_path / "models.py"
    target.write_text(MODEL)
    replace = {"file_path": str(target), "instruction": "drop the flag", "old_string": FLAG,
               "new_string": "", "allow_multiple": False}  # fmt: skip
    payload = gemini("BeforeTool", tmp_path, tool_name="replace", tool_input=replace)
    assert answer(["pre-tool", "--agent", "gemini"], payload, tmp_path) is None
    out = answer(["pre-tool", "--deny", "--agent", "gemini"], payload, tmp_path)
    assert out is not None
    assert out["decision"] == "deny"
    assert f"line {MUTATION_LINE}" in out["reason"]
    # A replace that keeps the file clean: nothing to say.
    fine = {**replace, "old_string": "    pass\n", "new_string": "    ...\n"}
    assert hooks.tool_hook(gemini("BeforeTool", tmp_path, tool_name="replace", tool_input=fine),
                           deny=True) is None  # fmt: skip


def test_gemini_other_tools_are_left_alone(tmp_path: Path) -> None:
    payload = gemini("AfterTool", tmp_path, tool_name="run_shell_command",
                     tool_input={"command": "ls"}, tool_response={"llmContent": ""})  # fmt: skip
    assert hooks.tool_hook(payload) is None


def test_an_unknown_agent_is_a_usage_error(tmp_path: Path) -> None:
    done = run_hook(["prompt", "--agent", "vim"], "{}", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: unknown agent 'vim'")


# ---- the suggested command runs where the hook runs -------------------------------------------


def test_module_hook_suggests_the_module_command(tmp_path: Path) -> None:
    """A ``--local`` hook runs ``<python> -m backend_patterns hook``: ``bap`` may not be on PATH,
    so the command it suggests is spelled the same way, and runs."""
    payload = {"hook_event_name": "UserPromptSubmit", "cwd": str(tmp_path), "prompt": PROMPT}
    done = subprocess.run(
        [sys.executable, "-m", "backend_patterns", "hook", "prompt"],
        input=json.dumps(payload), capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    (line,) = [x for x in context.splitlines() if "websocket_handler" in x and "Render:" in x]
    command = line.split("Render: ", 1)[1]
    assert command.startswith(f"{sys.executable} -m backend_patterns ")
    assert "bap " not in command
    ran = subprocess.run(
        [*command.split(), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr


def test_advice_keeps_bap_and_rewrites_only_the_program() -> None:
    assert hooks.advice("bap render x --set a=b") == "bap render x --set a=b"
    assert hooks.advice("bap add x", "/py -m backend_patterns") == "/py -m backend_patterns add x"
