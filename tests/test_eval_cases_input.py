"""``bap eval`` on files of cases that are wrong: one ``Error:`` line naming file:line, exit 2,
never a traceback, and never a string split into letters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend_patterns.errors import UsageError
from backend_patterns.match.evaluate import CASE_KEYS, load_cases

BAP = str(Path(sys.executable).parent / "bap")
GOOD = "- id: c1\n  task: crud endpoints for invoices\n  expect: [crud_endpoint]\n"


def bap_eval(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAP, "eval", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ("  code: 5\n", "code", "a string or null, not the number 5"),
        ("  path: [a]\n", "path", "a string or null"),
        ("  tags: notalist\n", "tags", "a list of strings or null, not the string 'notalist'"),
        ("  tags: [ok, 3]\n", "tags", "a list of strings or null, not a list holding"),
        ("  source: {url: x}\n", "source", "a string or null, not a mapping"),
        ("  note: true\n", "note", "a string or null, not a boolean"),
        ("  id: [x]\n", "id", "a string or a number"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_with_its_line(
    tmp_path: Path, extra: str, key: str, says: str
) -> None:
    path = tmp_path / "cases.yaml"
    second = "- task: a websocket for chat\n  expect: [websocket_handler]\n"
    path.write_text(GOOD + second + extra, encoding="utf-8")
    message = one_error(bap_eval(path))
    assert f"{path}:6: '{key}' must be " in message
    assert says in message


def test_task_and_expect_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("- task: 5\n  expect: [crud_endpoint]\n", encoding="utf-8")
    assert "'task' must be a string, not the number 5" in one_error(bap_eval(path))
    path.write_text("- task: x\n  expect: crud_endpoint\n", encoding="utf-8")
    message = one_error(bap_eval(path))
    assert f"{path}:2: 'expect' must be a list of strings ([] = none)" in message
    path.write_text("- task: x\n", encoding="utf-8")
    assert f"{path}:1: the case has no 'expect'" in one_error(bap_eval(path))
    path.write_text("- just a string\n", encoding="utf-8")
    assert "each case is a mapping" in one_error(bap_eval(path))


def test_an_unknown_key_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(GOOD + "  expected: [crud_endpoint]\n", encoding="utf-8")
    message = one_error(bap_eval(path))
    assert f"{path}:4: unknown key 'expected'" in message
    assert ", ".join(CASE_KEYS) in message


def test_every_known_key_loads(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "- id: 7\n  task: crud endpoints for invoices\n  code: null\n  path: app/x.py\n"
        "  expect: [crud_endpoint]\n  tags: [direct]\n"
        "  source: https://github.com/example/repo/issues/1\n  note: from an issue title\n",
        encoding="utf-8",
    )
    (case,) = load_cases(str(path))
    assert case["source"] == "https://github.com/example/repo/issues/1"
    result = subprocess.run(
        [BAP, "eval", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_load_cases_raises_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(GOOD + "  code: 5\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"cases\.yaml:4: 'code' must be"):
        load_cases(str(path))


def test_the_bundled_case_files_load() -> None:
    files = sorted(Path(__file__).parent.joinpath("eval").glob("*.yaml"))
    assert files
    for path in files:
        assert load_cases(str(path))
