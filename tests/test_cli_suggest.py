"""The CLI front end of the engine: suggest, batch, explain, list, show, eval; bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BAP = str(Path(sys.executable).parent / "bap")
HEAVY = ("fastapi", "sqlalchemy", "pydantic", "jinja2", "mcp", "starlette")


def bap(
    *args: str, stdin: bytes | str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    data = stdin.decode("utf-8", "replace") if isinstance(stdin, bytes) else stdin
    full_env = {**os.environ, **(env or {})}
    if isinstance(stdin, bytes):
        proc = subprocess.run(
            [BAP, *args], input=stdin, capture_output=True, timeout=60, env=full_env, check=False
        )
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
        )
    return subprocess.run(
        [BAP, *args],
        input=data,
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
        check=False,
    )


def assert_usage_error(out: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stderr.startswith("Error: "), out.stderr
    assert "Traceback" not in out.stderr
    for needle in needles:
        assert needle in out.stderr, out.stderr


def test_human_output_is_short_and_uncoloured_off_a_tty() -> None:
    out = bap("suggest", "CRUD endpoints for invoices")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("crud_endpoint  ")
    assert lines[1].startswith("  why: ")
    assert lines[2] == "  run: bap render crud_endpoint --set resource=Invoice"
    assert "\x1b[" not in out.stdout


def test_json_output() -> None:
    out = bap("suggest", "--json", "add a websocket endpoint for chat")
    data = json.loads(out.stdout)
    first = data["suggestions"][0]
    assert first["pattern"] == "websocket_handler"
    assert 0 < first["score"] <= 1
    assert {"kind", "rule", "matched", "weight"} <= set(first["reasons"][0])
    assert first["command"].startswith("bap render websocket_handler")


def test_abstention_prints_so() -> None:
    out = bap("suggest", "how do I exit vim")
    assert out.returncode == 0
    assert out.stdout.strip() == "No pattern fits this task."
    assert json.loads(bap("suggest", "--json", "how do I exit vim").stdout) == {"suggestions": []}


def test_code_from_file_and_stdin(tmp_path: Path) -> None:
    code = 'profile.data["notifications"]["email"] = False\nawait session.commit()\n'
    source = tmp_path / "snippet.py"
    source.write_text(code)
    for args, stdin in ((["--code", str(source)], None), (["--code", "-"], code)):
        out = bap("suggest", "--json", "is this right?", *args, stdin=stdin)
        assert json.loads(out.stdout)["suggestions"][0]["pattern"] == "jsonb_mutation"


def test_path_option() -> None:
    out = bap("suggest", "--json", "--path", "app/services/billing_service.py", "start this")
    assert json.loads(out.stdout)["suggestions"][0]["pattern"] == "service_layer"


def test_top_limits_the_list() -> None:
    task = "REST endpoints for messages plus a service, streaming to open chat windows"
    assert len(json.loads(bap("suggest", "--json", "--top", "1", task).stdout)["suggestions"]) == 1


@pytest.mark.parametrize(
    ("args", "stdin", "needles"),
    [
        (["suggest", ""], None, ("task is empty",)),
        (["suggest", "   "], None, ("task is empty",)),
        (["suggest"], None, ("task is empty",)),
        (["suggest", "x", "--top", "0"], None, ("--top",)),
        (["suggest", "x", "--code", "/nonexistent/file.py"], None, ("cannot read",)),
        (["suggest", "x", "--code", "-"], b"\xff\xfe bad", ("not valid UTF-8",)),
        (["suggest", "x", "--pack", "/nonexistent"], None, ("pack folder not found",)),
        (["suggest", "x", "--frobnicate"], None, ("unrecognized arguments",)),
        (["sugest", "x"], None, ("Did you mean 'suggest'?",)),
        (["show", "crud_endpont"], None, ("Did you mean 'crud_endpoint'?",)),
        (["explain", ""], None, ("task is empty",)),
        (["eval", "/nonexistent.yaml"], None, ("file not found",)),
    ],
)
def test_bad_input_is_one_line_exit_2(
    args: list[str], stdin: bytes | None, needles: tuple[str, ...]
) -> None:
    assert_usage_error(bap(*args, stdin=stdin), *needles)


def test_batch_protocol_is_line_by_line() -> None:
    with subprocess.Popen(
        [BAP, "suggest", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        cases = [
            {"id": "a", "task": "add a websocket endpoint for chat", "code": None, "path": None},
            "this is not json",
            {"id": "c", "task": 42},
            {"id": "d", "task": "how do I exit vim", "code": None, "path": None},
            {"id": "e", "task": "finish this", "code": None, "path": "app/routes/users.py"},
        ]
        answers = []
        for case in cases:  # one answer before the next line is even written
            line = case if isinstance(case, str) else json.dumps(case)
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            answers.append(json.loads(proc.stdout.readline()))
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert answers[0]["id"] == "a"
    assert answers[0]["suggestions"][0]["pattern"] == "websocket_handler"
    assert answers[1]["suggestions"] == []
    assert answers[1]["error"].startswith("Error:")
    assert answers[2]["id"] == "c"
    assert "'task' must be a string" in answers[2]["error"]
    assert answers[3] == {"id": "d", "suggestions": []}
    assert answers[4]["suggestions"][0]["pattern"] == "crud_endpoint"


def test_batch_survives_invalid_utf8() -> None:
    good = json.dumps({"id": 2, "task": "crud endpoints for tags"}).encode()
    out = bap("suggest", "--batch", stdin=b'{"id": 1, "task": "\xff"}\n' + good + b"\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert "not valid UTF-8" in lines[0]["error"]
    assert lines[1]["suggestions"][0]["pattern"] == "crud_endpoint"


def test_explain_lists_every_pattern() -> None:
    out = bap("explain", "--json", "add a websocket endpoint for chat")
    data = json.loads(out.stdout)
    assert {row["pattern"] for row in data["patterns"]} == {
        "crud_endpoint",
        "service_layer",
        "websocket_handler",
        "jsonb_mutation",
    }
    ws = next(r for r in data["patterns"] if r["pattern"] == "websocket_handler")
    assert ws["suggested"]
    assert any(f["rule"] == "ws.websocket" for f in ws["fired"])
    human = bap("explain", "write an alembic migration for the jsonb column").stdout
    assert "negatives" in human
    assert "not.migrations" in human


def test_list_and_show() -> None:
    listed = json.loads(bap("list", "--json").stdout)["patterns"]
    assert [p["pattern"] for p in listed] == sorted(p["pattern"] for p in listed)
    shown = json.loads(bap("show", "--json", "crud_endpoint").stdout)
    assert shown["description"] == "CRUD endpoint template"
    assert any(p["name"] == "resource" for p in shown["params"])
    assert "parameters:" in bap("show", "websocket_handler").stdout


def test_eval_reports_and_gates(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {id: a, task: add a websocket endpoint, expect: [websocket_handler], tags: [direct]}\n"
        "- {id: b, task: how do I exit vim, expect: [], tags: [negative, far]}\n"
        "- {id: c, task: center this div, expect: [crud_endpoint], tags: [direct]}\n"
    )
    out = bap("eval", str(cases))
    assert out.returncode == 0, out.stderr
    assert "failed (1):" in out.stdout
    assert "c " in out.stdout
    assert out.stdout.strip().splitlines()[-1].startswith("overall 0.667")
    gated = bap("eval", str(cases), "--min", "0.9")
    assert gated.returncode == 1
    data = json.loads(bap("eval", "--json", str(cases)).stdout)
    assert data["tags"]["direct"] == {"n": 2, "correct": 1, "acc": 0.5}


def test_eval_rejects_unknown_patterns(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("- {id: a, task: x, expect: [websocket_handlr]}\n")
    assert_usage_error(bap("eval", str(cases)), "Did you mean 'websocket_handler'?")


def test_hot_path_imports_nothing_heavy() -> None:
    probe = (
        "import sys, runpy; sys.argv = ['bap', 'suggest', '--json', "
        "'add a websocket endpoint for chat']\n"
        "from backend_patterns.program import main\n"
        "code = main()\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "HEAVY []" in out.stdout, out.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--top", "1", "--json", "crud endpoints for tags"],
        ["--json", "--top=1", "crud endpoints for tags"],  # argparse's form
        ["crud endpoints for tags", "--top", "1", "--json"],
    ],
)
def test_option_forms_agree(args: list[str]) -> None:
    data = json.loads(bap("suggest", *args).stdout)
    assert [s["pattern"] for s in data["suggestions"]] == ["crud_endpoint"]


def test_help_and_extra_task() -> None:
    assert "usage: bap suggest" in bap("suggest", "--help").stdout
    assert_usage_error(bap("suggest", "one task", "another task"), "unrecognized arguments")
