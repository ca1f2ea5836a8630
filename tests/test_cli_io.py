"""The CLI when its standard streams fail: a full disk, a closed stream, a reader that left;
and the --batch protocol against non-finite ids and a --top it cannot honour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BAP = str(Path(sys.executable).parent / "bap")
TASK = "Add a WebSocket endpoint that broadcasts chat messages to a room"


def sh(script: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in sh with $BAP set: the redirections (`>&-`, `<&-`) need a shell."""
    return subprocess.run(
        ["sh", "-c", script],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "BAP": BAP},
        timeout=60,
        check=False,
    )


def _one_error_line(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("Error: "), done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [f'suggest "{TASK}"', f'suggest "{TASK}" --json', "list", "explain websocket"]
)
def test_a_full_disk_is_one_error_line_exit_2(args: str) -> None:
    _one_error_line(sh(f'"$BAP" {args} > /dev/full'), 2, "No space left on device")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_hook_on_a_full_disk_still_fails_open() -> None:
    payload = json.dumps({"prompt": TASK, "cwd": "/nonexistent", "hook_event_name": "x"})
    done = sh('"$BAP" hook prompt > /dev/full', stdin=payload)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr


def test_a_closed_stdout_is_one_error_line() -> None:
    _one_error_line(sh(f'"$BAP" suggest "{TASK}" >&-'), 2, "stdout is closed")


@pytest.mark.parametrize("args", ["suggest --batch", f'suggest "{TASK}" --code -'])
def test_a_closed_stdin_where_input_is_needed_is_one_error_line(args: str) -> None:
    _one_error_line(sh(f'"$BAP" {args} <&-'), 2, "stdin is closed")


def test_a_closed_stdin_where_no_input_is_needed_is_fine() -> None:
    done = sh(f'"$BAP" suggest "{TASK}" <&-')
    assert done.returncode == 0, done.stderr
    assert "websocket_handler" in done.stdout


@pytest.mark.parametrize("args", [f'suggest "{TASK}" --json', "list", "--help"])
def test_a_reader_that_leaves_is_a_quiet_exit_0(args: str) -> None:
    """`| head -0`: EPIPE. The reader has what it wanted: exit 0, nothing on stderr."""
    # sh reports a pipeline's last command: bap's own status is echoed on stderr
    done = sh(f'( "$BAP" {args}; echo "bap=$?" >&2 ) | head -c 0')
    assert done.stderr.splitlines() == ["bap=0"], done.stderr


def _batch(lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAP, "suggest", "--batch", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_batch_refuses_non_finite_ids_and_keeps_going() -> None:
    lines = [
        '{"id": NaN, "task": "websocket chat"}',
        '{"id": Infinity, "task": "websocket chat"}',
        '{"id": -Infinity, "task": "websocket chat"}',
        '{"id": 1e400, "task": "websocket chat"}',
        '{"id": 5, "task": "websocket chat"}',
    ]
    done = _batch(lines)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line, parse_constant=pytest.fail) for line in done.stdout.splitlines()]
    assert len(answers) == 5
    for answer in answers[:4]:
        assert answer["id"] is None
        assert answer["suggestions"] == []
        assert answer["error"].startswith("Error: ")
    assert answers[4]["id"] == 5
    assert answers[4]["suggestions"][0]["pattern"] == "websocket_handler"


@pytest.mark.parametrize("top", ["0", "-1"])
def test_batch_treats_top_like_suggest(top: str) -> None:
    batch = _batch(['{"id": 1, "task": "websocket chat"}'], "--top", top)
    plain = subprocess.run(
        [BAP, "suggest", "websocket chat", "--top", top],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert batch.stdout == ""
    assert plain.returncode == batch.returncode == 2
    _one_error_line(batch, 2)
    assert batch.stderr == plain.stderr
