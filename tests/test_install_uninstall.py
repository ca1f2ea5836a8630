"""Merging our hooks and server into a user's JSON settings and taking exactly those out again:
a user's wrapper around our hook command, a user's empty group, list or object stay as they are.
In process (``install/_claude.py``), and once through ``bap uninstall claude``."""

from __future__ import annotations

import copy
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend_patterns.install._claude import (
    HOOK_MATCHER,
    Report,
    dump_json,
    load_json,
    merge_hooks,
    merge_mcp,
    remove_hooks,
    remove_mcp,
)
from backend_patterns.install._commands import InstallError, hook_command, mcp_entry

PYTHON = "/opt/py/bin/python"
OURS = {event: hook_command(arg) for event, arg in (("UserPromptSubmit", "prompt"),)}
WRAPPERS = [
    f"{PYTHON} -m backend_patterns hook prompt | tee /tmp/hook.log",
    f"{hook_command('prompt')} | tee /tmp/hook.log",
    f"time {PYTHON} -m backend_patterns hook prompt",
]


def handler(command: str) -> dict[str, str]:
    return {"type": "command", "command": command}


def events(settings: dict[str, Any]) -> dict[str, list[list[str]]]:
    """Each event's groups, as the lists of their commands."""
    return {
        event: [[h["command"] for h in g["hooks"]] for g in groups]
        for event, groups in settings.get("hooks", {}).items()
    }


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_a_wrapper_around_our_command_is_the_users(wrapper: str) -> None:
    user = {"hooks": {"UserPromptSubmit": [{"hooks": [handler(wrapper)]}]}}
    merged = merge_hooks(user)
    assert events(merged)["UserPromptSubmit"] == [[wrapper], [hook_command("prompt")]]
    assert merged["hooks"]["UserPromptSubmit"][0] == {"hooks": [handler(wrapper)]}
    assert remove_hooks(merged) == user
    assert remove_hooks(user) == user  # never taken for ours, never removed
    local = merge_hooks(user, python=PYTHON)
    assert events(local)["UserPromptSubmit"][0] == [wrapper]
    assert remove_hooks(local) == user


def test_a_users_empty_groups_lists_and_objects_are_kept() -> None:
    user: dict[str, Any] = {
        "hooks": {
            "UserPromptSubmit": [{"hooks": []}],
            "PreToolUse": [{"matcher": HOOK_MATCHER, "hooks": []}],
            "PostToolUse": [],
        }
    }
    merged = merge_hooks(user)
    assert events(merged) == {
        "UserPromptSubmit": [[], [hook_command("prompt")]],
        "PreToolUse": [[], [hook_command("pre-tool")]],
        "PostToolUse": [[hook_command("post-tool")]],
    }
    # The groups are the user's and stay; the list that held nothing but our group goes (a
    # list that was empty before the install cannot be told from one we created).
    assert remove_hooks(merged) == {
        "hooks": {
            "UserPromptSubmit": [{"hooks": []}],
            "PreToolUse": [{"matcher": HOOK_MATCHER, "hooks": []}],
        }
    }
    assert remove_hooks(user) == user
    assert remove_hooks({"hooks": {}}) == {"hooks": {}}
    assert remove_hooks(merge_hooks({"hooks": {}})) == {}


def test_our_handler_in_a_users_group_goes_and_the_group_stays() -> None:
    theirs = handler("./scripts/remind.sh")
    settings = {
        "hooks": {
            "UserPromptSubmit": [{"hooks": [theirs, handler(hook_command("prompt"))]}],
            # our handler, but a group of a shape we never write: the user's group
            "PreToolUse": [
                {"matcher": HOOK_MATCHER, "hooks": [handler(hook_command("pre-tool"))], "x": 1}
            ],
            # our handler under another matcher: not a group we wrote either
            "PostToolUse": [{"matcher": "Bash", "hooks": [handler(hook_command("post-tool"))]}],
        }
    }
    assert remove_hooks(settings) == {
        "hooks": {
            "UserPromptSubmit": [{"hooks": [theirs]}],
            "PreToolUse": [{"matcher": HOOK_MATCHER, "hooks": [], "x": 1}],
            "PostToolUse": [{"matcher": "Bash", "hooks": []}],
        }
    }
    # and merging finds our handlers where they are: nothing is added twice
    assert merge_hooks(settings) == settings


def test_merge_adds_each_hook_once_and_remove_gives_back_the_settings() -> None:
    user = {"model": "opus", "hooks": {"Stop": [{"hooks": [handler("say done")]}]}}
    merged = merge_hooks(user)
    assert merged["hooks"]["Stop"] == user["hooks"]["Stop"]
    assert merged["hooks"]["UserPromptSubmit"] == [{"hooks": [handler(hook_command("prompt"))]}]
    assert merged["hooks"]["PreToolUse"] == [
        {"matcher": HOOK_MATCHER, "hooks": [handler(hook_command("pre-tool"))]}
    ]
    assert list(merged["hooks"]["PreToolUse"][0]) == ["matcher", "hooks"]
    assert merge_hooks(merged) == merged
    assert remove_hooks(merged) == user
    assert user == {"model": "opus", "hooks": {"Stop": [{"hooks": [handler("say done")]}]}}
    only_ours = merge_hooks({"model": "opus"})
    assert remove_hooks(only_ours) == {"model": "opus"}


def test_deny_is_kept_and_a_local_install_is_brought_up_to_date() -> None:
    denied = merge_hooks({}, deny=True)
    assert events(denied)["PreToolUse"] == [[hook_command("pre-tool", deny=True)]]
    assert events(denied)["UserPromptSubmit"] == [[hook_command("prompt")]]
    again = merge_hooks(denied)  # a reinstall without --deny keeps it
    assert events(again)["PreToolUse"] == [[hook_command("pre-tool", deny=True)]]
    local = merge_hooks(denied, python=PYTHON)  # the same hooks, now from this interpreter
    quoted = shlex.quote(PYTHON)
    assert events(local) == {
        "UserPromptSubmit": [[f"{quoted} -m backend_patterns hook prompt"]],
        "PreToolUse": [[f"{quoted} -m backend_patterns hook pre-tool --deny"]],
        "PostToolUse": [[f"{quoted} -m backend_patterns hook post-tool"]],
    }
    assert remove_hooks(local) == {}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"hooks": []}, "'hooks' in s.json is not an object"),
        ({"hooks": {"PreToolUse": {}}}, "'hooks.PreToolUse' in s.json is not a list"),
    ],
)
def test_settings_of_the_wrong_shape_are_refused(settings: dict[str, Any], message: str) -> None:
    before = copy.deepcopy(settings)
    with pytest.raises(InstallError, match=message):
        merge_hooks(settings, where="s.json")
    assert settings == before
    assert remove_hooks(settings) == before  # nothing of ours in there to take out


def test_odd_entries_are_left_alone() -> None:
    settings = {"hooks": {"UserPromptSubmit": ["text", {"hooks": "x"}, {"no": "hooks"}]}}
    merged = merge_hooks(settings)
    assert merged["hooks"]["UserPromptSubmit"][:3] == settings["hooks"]["UserPromptSubmit"]
    assert remove_hooks(merged) == settings
    assert remove_hooks({"hooks": "none"}) == {"hooks": "none"}


# ---- MCP servers ----


def test_mcp_entries_ours_replaced_the_users_kept() -> None:
    report = Report()
    merged = merge_mcp(
        {"mcpServers": {"db": {"command": "db"}}}, "mcpServers", "claude", "m", report
    )
    assert merged == {"mcpServers": {"db": {"command": "db"}, "backend-api-patterns": mcp_entry()}}
    assert report.kept == []
    assert remove_mcp(merged, "mcpServers", "claude") == {"mcpServers": {"db": {"command": "db"}}}
    assert remove_mcp(merge_mcp({}, "servers", "vscode", "m", report), "servers", "vscode") == {}
    theirs = {"mcpServers": {"backend-api-patterns": {"command": "my-bap", "args": ["mcp"]}}}
    assert merge_mcp(theirs, "mcpServers", "claude", ".mcp.json", report) == theirs
    assert report.kept == [".mcp.json: your own 'mcpServers.backend-api-patterns' entry"]
    assert remove_mcp(theirs, "mcpServers", "claude") == theirs
    old = {
        "mcpServers": {
            "backend-api-patterns": {"command": PYTHON, "args": ["-m", "backend_patterns", "mcp"]}
        }
    }
    assert merge_mcp(old, "mcpServers", "claude", "m", Report())["mcpServers"] == {
        "backend-api-patterns": mcp_entry()
    }


# ---- reading and writing the files ----


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "a": [\n    1\n  ]\n}\n',
        '{\n    "a": 1\n}',
        '{\n\t"a": 1\n}\n',
        '{"a": 1}\n',
        '{"a": 1}',
    ],
)
def test_a_file_is_written_back_in_its_own_style(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    data, before = load_json(path)
    assert before == text
    assert dump_json(data, before) == text
    assert remove_hooks(json.loads(dump_json(merge_hooks(data), before))) == data


def test_new_and_empty_files(tmp_path: Path) -> None:
    assert load_json(tmp_path / "missing.json") == ({}, None)
    assert dump_json({"a": 1}, None) == '{\n  "a": 1\n}\n'
    assert dump_json({"a": "é"}, None) == '{\n  "a": "é"\n}\n'
    (tmp_path / "empty.json").write_text("  \n")
    assert load_json(tmp_path / "empty.json") == ({}, "  \n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{oops", "is not valid JSON \\(line 1, column 2"),
        ("[1, 2]", "does not hold a JSON object"),
        (b"\xff\xfe", "cannot read"),
    ],
)
def test_a_file_that_is_not_a_json_object_is_refused(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    path = tmp_path / "settings.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(InstallError, match=message):
        load_json(path)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(InstallError, match="cannot read"):
        load_json(tmp_path / "dir.json")


# ---- through the command ----


def test_bap_uninstall_keeps_a_wrapper_and_an_empty_group(tmp_path: Path) -> None:
    bap = str(Path(sys.executable).parent / "bap")
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    settings = {
        "hooks": {
            "UserPromptSubmit": [{"hooks": [handler(WRAPPERS[0])]}],
            "PreToolUse": [{"matcher": HOOK_MATCHER, "hooks": []}],
        }
    }
    text = json.dumps(settings, indent=2) + "\n"
    (project / ".claude" / "settings.json").write_text(text)
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    for command in ("install", "uninstall"):
        done = subprocess.run(
            [bap, command, "claude"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert (project / ".claude" / "settings.json").read_text() == text


def test_a_fresh_local_install_and_an_agents_hooks_round_trip() -> None:
    local = merge_hooks({}, python=PYTHON)
    assert events(local)["UserPromptSubmit"] == [[f"{PYTHON} -m backend_patterns hook prompt"]]
    assert remove_hooks(local) == {}
    codex = merge_hooks({}, agent="codex")
    assert events(codex)["UserPromptSubmit"] == [[hook_command("prompt", agent="codex")]]
    assert merge_hooks(codex, agent="codex") == codex  # found again, not added twice
    assert remove_hooks(codex, agent="codex") == {}
    assert remove_hooks(codex) == codex  # another agent's hooks are not ours to take


def test_groups_after_odd_entries_are_still_found() -> None:
    ours = merge_hooks({})
    odd: dict[str, Any] = {
        "hooks": {
            event: ["text", {"hooks": "x"}, *groups] for event, groups in ours["hooks"].items()
        }
    }
    assert merge_hooks(odd) == odd
    assert remove_hooks(odd) == {
        "hooks": {event: ["text", {"hooks": "x"}] for event in ours["hooks"]}
    }


def test_the_default_file_name_in_messages() -> None:
    with pytest.raises(InstallError, match=r"^'hooks' in settings\.json is not an object"):
        merge_hooks({"hooks": []})
    with pytest.raises(InstallError, match=r"^'mcpServers' in \.mcp\.json is not an object"):
        merge_mcp({"mcpServers": []}, "mcpServers", "claude", ".mcp.json", Report())


def test_an_entry_of_ours_in_another_style_is_brought_up_to_date() -> None:
    report = Report()
    vscode = {"servers": {"backend-api-patterns": mcp_entry("vscode")}}
    assert merge_mcp(vscode, "servers", "vscode", "mcp.json", report) == vscode
    assert report.kept == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('{\n"a": 1\n}\n', '{\n  "a": 1\n}\n'),  # no indentation to copy: two spaces
        ('{"a": "é"}\n', '{"a": "é"}\n'),  # one line, not ASCII-escaped
        ('{\n\t"a": "é"\n}', '{\n\t"a": "é"\n}'),
    ],
)
def test_dump_json_follows_the_file(before: str, after: str) -> None:
    assert dump_json(json.loads(before), before) == after


def test_load_json_reads_through_a_symlink_and_says_why_it_cannot(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text('{"a": 1}\n')
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    assert load_json(link) == ({"a": 1}, '{"a": 1}\n')
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(InstallError) as caught:
        load_json(tmp_path / "dir.json")
    assert str(caught.value) == (
        f"cannot read {tmp_path / 'dir.json'} (not a regular file); nothing was changed."
    )
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(InstallError) as bad:
        load_json(tmp_path / "bad.json")
    assert bad.value.hint == "Fix or remove the file and run the command again."


def test_remove_goes_on_past_odd_events_and_takes_every_copy_of_ours() -> None:
    ours = merge_hooks({})
    twice = ours["hooks"]["PreToolUse"] * 2
    settings = {"hooks": {"UserPromptSubmit": "x", "PreToolUse": twice, "Stop": []}}
    assert remove_hooks(settings) == {"hooks": {"UserPromptSubmit": "x", "Stop": []}}


def test_the_lines_printed_for_other_clients() -> None:
    from backend_patterns.install._claude import claude_mcp_add_line, cursor_snippet

    assert claude_mcp_add_line() == (
        "claude mcp add --scope project backend-api-patterns -- bap mcp"
    )
    assert claude_mcp_add_line(user=True) == (
        "claude mcp add --scope user backend-api-patterns -- bap mcp"
    )
    assert cursor_snippet() == json.dumps(
        {"mcpServers": {"backend-api-patterns": {"command": "bap", "args": ["mcp"]}}}, indent=2
    )
