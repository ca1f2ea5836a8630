"""The hooks against what could hang them: a backtracking pack regex, a payload that never ends,
an endless payload, and a FIFO or a device named as the edited file. Each must fail open (exit 0,
nothing on stdout, one line on stderr) within its deadline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonb_snippet import BUGGY

from backend_patterns.pack import SKILL_SUBDIR, load_pack

BAP = str(Path(sys.executable).parent / "bap")
SLACK = 5.0  # seconds on top of the deadline, for a loaded machine's start-up


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "BAP_HOOK_TIMEOUT"}}
    return {**env, **extra}


def _payload(event: str, cwd: Path, **fields: Any) -> dict[str, Any]:
    base = {"session_id": "s", "transcript_path": str(cwd / "t.jsonl"), "cwd": str(cwd)}
    return {**base, "hook_event_name": event, **fields}


def _install_slow_pack(project: Path) -> None:
    """A pack copy whose one extra intent rule backtracks for ever on the test prompt."""
    source = load_pack().root
    target = project / SKILL_SUBDIR
    target.mkdir(parents=True)
    for item in ("SKILL.md", "triggers.yaml"):
        (target / item).write_bytes((source / item).read_bytes())
    os.symlink(source / "patterns", target / "patterns")
    triggers = yaml.safe_load((target / "triggers.yaml").read_text())
    triggers["rules"].append(
        {
            "id": "ws.slow",
            "pattern": "websocket_handler",
            "kind": "intent",
            "weight": 0.5,
            "message": "backtracks",
            "any": ["chat (a+)+$"],
        }
    )
    (target / "triggers.yaml").write_text(yaml.safe_dump(triggers, sort_keys=False))


def _fails_open(done: subprocess.CompletedProcess[str], took: float, limit: float) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("bap hook ")
    assert took < limit, took


def test_a_backtracking_pack_regex_exits_0_within_the_deadline(tmp_path: Path) -> None:
    """Whether the engine refuses the regex, runs it in linear time or the deadline stops it,
    the hook exits 0 in time, with at most its JSON answer on stdout."""
    _install_slow_pack(tmp_path)
    prompt = "websocket chat " + "a" * 40 + "b"
    started = time.monotonic()
    done = subprocess.run(
        [BAP, "hook", "prompt"],
        input=json.dumps(_payload("UserPromptSubmit", tmp_path, prompt=prompt)),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(BAP_HOOK_TIMEOUT="1"),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 1 + SLACK
    assert done.stdout == "" or isinstance(json.loads(done.stdout), dict)
    assert len(done.stderr.splitlines()) <= 1


SLOW_ENGINE = {
    "sleep": "lambda *a, **k: time.sleep(60)",
    "re-backtracking": "lambda *a, **k: re.match(r'(a+)+$', 'a' * 64 + 'b')",
}


@pytest.mark.parametrize("how", SLOW_ENGINE)
def test_a_slow_engine_meets_the_deadline(tmp_path: Path, how: str) -> None:
    """The deadline itself: the matcher replaced by one that never returns (Python's re
    backtracking on a nested repeat, or a sleep), the hook still exits 0 after 1 s."""
    code = (
        "import re, sys, time; import backend_patterns.match as m; "
        f"m.suggest = {SLOW_ENGINE[how]}; "
        "from backend_patterns.program import main; raise SystemExit(main(['hook', 'prompt']))"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(_payload("UserPromptSubmit", tmp_path, prompt="websocket chat")),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(BAP_HOOK_TIMEOUT="1"),
        timeout=60,
        check=False,
    )
    _fails_open(done, time.monotonic() - started, 1 + SLACK)
    assert "no answer within 1 s" in done.stderr


def test_a_payload_that_never_ends_meets_the_default_deadline(tmp_path: Path) -> None:
    """stdin stays open and empty (a FIFO nobody writes to): the 2 s default ends the wait."""
    started = time.monotonic()
    with subprocess.Popen(
        [BAP, "hook", "prompt"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    ) as proc:
        try:
            out, err = _wait(proc)
        finally:
            if proc.stdin:
                proc.stdin.close()
    took = time.monotonic() - started
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    _fails_open(done, took, 2 + SLACK)
    assert took >= 1.9
    assert "no answer within 2 s" in err


def _wait(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Wait for ``proc`` without closing its stdin; kill it after 60 s."""
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.stdout is not None
    assert proc.stderr is not None
    return proc.stdout.read(), proc.stderr.read()


def test_dev_zero_as_the_payload_is_read_only_so_far(tmp_path: Path) -> None:
    started = time.monotonic()
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [BAP, "hook", "post-tool"],
            stdin=zero,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=_env(BAP_HOOK_TIMEOUT="30"),
            timeout=60,
            check=False,
        )
    _fails_open(done, time.monotonic() - started, 30)
    assert "over 4 MB" in done.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_fifo_or_dev_zero_as_the_edited_file_is_not_read(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "agents.py"
        os.mkfifo(target)
    else:
        target = tmp_path / "zero.py"
        target.symlink_to("/dev/zero")
    edit = {"file_path": str(target), "old_string": "pass", "new_string": BUGGY}
    payload = _payload(
        "PostToolUse", tmp_path, tool_name="Edit", tool_input=edit, tool_response={}
    )
    started = time.monotonic()
    done = subprocess.run(
        [BAP, "hook", "post-tool"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(BAP_HOOK_TIMEOUT="20"),
        timeout=60,
        check=False,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["decision"] == "block"  # the new text alone has the bug
    assert took < 20
