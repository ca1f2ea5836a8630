"""``bap check`` end to end: the real console script in a subprocess.

The text and SARIF outputs on the fixtures are pinned by snapshots in
tests/fixtures/check/snapshots/; run with BAP_UPDATE_SNAPSHOTS=1 to write them anew.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BAP = str(Path(sys.executable).parent / "bap")
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = "tests/fixtures/check"
SNAPSHOTS = ROOT / FIXTURES / "snapshots"

MODEL = """\
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column


class Agent(Base):
    agent_metadata: Mapped[dict] = mapped_column(JSONB)
"""
USE = """\
async def tag(session, agent: "Agent"):
    agent.agent_metadata["k"] = 1
    await session.commit()
"""
CLEAN = """\
async def tag(session, agent: "Agent"):
    agent.agent_metadata = {**agent.agent_metadata, "k": 1}
    await session.commit()
"""


def bap(
    *args: str, cwd: Path = ROOT, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [BAP, "check", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def assert_usage_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr


def snapshot(name: str, actual: str) -> None:
    """``actual`` against the snapshot as it was before this run. BAP_UPDATE_SNAPSHOTS=1 writes
    a snapshot that differs and fails (review the diff, then run again without it): a test that
    rewrites its snapshot never passes by comparing it with itself."""
    path = SNAPSHOTS / name
    before = path.read_text() if path.exists() else None
    if os.environ.get("BAP_UPDATE_SNAPSHOTS") == "1" and actual != before:
        path.write_text(actual)
        pytest.fail(f"{path} written anew; review it and run without BAP_UPDATE_SNAPSHOTS")
    assert before is not None, f"no snapshot {path}; run with BAP_UPDATE_SNAPSHOTS=1"
    assert actual == before


def test_text_snapshot() -> None:
    result = bap(FIXTURES)
    assert result.returncode == 1
    assert result.stderr == ""
    snapshot("text.txt", result.stdout)


def test_sarif_snapshot_and_shape() -> None:
    result = bap(FIXTURES, "--format", "sarif")
    assert result.returncode == 1
    snapshot("sarif.json", result.stdout)
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["id"] == "BAP001"
    assert rule["name"] == "jsonb-in-place-mutation"
    assert rule["helpUri"] == "docs/rules/BAP001.md"
    assert (ROOT / rule["helpUri"]).is_file()
    for key in ("shortDescription", "fullDescription", "help"):
        assert rule[key]["text"]
    text = json.loads(bap(FIXTURES, "--format", "json").stdout)
    assert len(run["results"]) == len(text)
    for result_, finding in zip(run["results"], text, strict=True):
        assert result_["ruleId"] == "BAP001"
        (loc,) = result_["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == finding["path"]
        region = loc["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (finding["line"], finding["col"])


def test_json_format(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "service.py").write_text(USE)
    result = bap(".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout) == [
        {
            "path": "service.py",
            "line": 2,
            "col": 5,
            "code": "BAP001",
            "rule": "jsonb-in-place-mutation",
            "message": "item assignment changes JSON attribute `agent.agent_metadata` in place "
            "and nothing flags it before the commit on line 3: the change is never saved",
            "fix": 'call `flag_modified(agent, "agent_metadata")` before commit',
            "fix_edit": [2, 4, 'flag_modified(agent, "agent_metadata")'],
        }
    ]


def test_clean_tree_exits_0(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "service.py").write_text(CLEAN)
    result = bap(str(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")
    assert json.loads(bap(str(tmp_path), "--format", "json").stdout) == []
    sarif = json.loads(bap(str(tmp_path), "--format", "sarif").stdout)
    assert sarif["runs"][0]["results"] == []


def test_default_path_is_cwd_and_skips_virtualenvs(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    for skipped in (".venv/lib", "node_modules/x", "__pycache__", ".git", "build"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "service.py").write_text(USE)
    result = bap(cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.py").write_text(USE)
    result = bap(cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("app/service.py:2:5: BAP001 jsonb-in-place-mutation: ")
    assert result.stdout.endswith("\nFound 1 error.\n")


def test_json_attr_option(tmp_path: Path) -> None:
    (tmp_path / "service.py").write_text(USE)
    assert bap(str(tmp_path)).returncode == 0
    result = bap(str(tmp_path), "--json-attr", "Agent.agent_metadata")
    assert result.returncode == 1
    assert 'help: call `flag_modified(agent, "agent_metadata")` before commit' in result.stdout
    result = bap(str(tmp_path), "--json-attr", "Other.x", "--json-attr", "Agent.agent_metadata")
    assert result.returncode == 1


@pytest.mark.parametrize("bad", ["agent_metadata", "Agent.", "Agent.a.b", "1Agent.x", ""])
def test_bad_json_attr_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / "service.py").write_text(USE)
    result = bap(str(tmp_path), "--json-attr", bad)
    assert_usage_error(result)
    assert "--json-attr takes Model.attr" in result.stderr


def test_usage_errors(tmp_path: Path) -> None:
    assert_usage_error(bap(str(tmp_path / "missing")))
    assert "missing: no such file or directory" in bap(str(tmp_path / "missing")).stderr
    assert_usage_error(bap(".", "--format", "xml", cwd=tmp_path))
    assert_usage_error(bap(".", "--stdin-filename", "x.py", cwd=tmp_path))
    assert_usage_error(bap("--bogus", cwd=tmp_path))


def test_unparsable_files_are_findings_and_non_utf8_files_warn(tmp_path: Path) -> None:
    # issue 9 changed this: a file that does not parse is a BAP000 finding and the exit is 1
    # (ruff's convention), where it used to be a warning with exit 0
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "service.py").write_text(USE)
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"x = 1\ns = 'caf\xe9'\n")
    result = bap(".", cwd=tmp_path)
    assert result.returncode == 1
    assert "service.py:2:5: BAP001" in result.stdout
    assert "broken.py:1:7: BAP000 syntax-error: cannot parse (invalid syntax)" in result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "latin.py:2:9: warning: not valid UTF-8 (byte 0xe9); file skipped"
    ]
    (tmp_path / "service.py").write_text(CLEAN)
    result = bap(".", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("broken.py:1:7: BAP000 syntax-error: ")
    assert result.stdout.endswith("\nFound 1 error.\n")
    (tmp_path / "broken.py").unlink()
    assert bap(".", cwd=tmp_path).returncode == 0


def test_noqa(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    service = tmp_path / "service.py"
    for comment, code in [
        ("  # noqa: BAP001", 0),
        ("  # noqa", 0),
        ("  # NOQA:E501,BAP001", 0),
        ("  # noqa: E501", 1),
        ("", 1),
    ]:
        service.write_text(USE.replace("= 1\n", f"= 1{comment}\n"))
        assert bap(str(tmp_path)).returncode == code, comment


def test_stdin(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    result = bap("-", "models.py", "--stdin-filename", "app/svc.py", cwd=tmp_path, stdin=USE)
    assert result.returncode == 1
    assert result.stdout.startswith("app/svc.py:2:5: BAP001")
    result = bap("-", "--json-attr", "Agent.agent_metadata", cwd=tmp_path, stdin=USE)
    assert result.stdout.startswith("-:2:5: BAP001")
    result = bap("-", "models.py", cwd=tmp_path, stdin=CLEAN)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")


def test_select_and_ignore(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "service.py").write_text(USE)
    for args, code in [
        (["--select", "BAP001"], 1),
        (["--select", "bap"], 1),
        (["--select", "ALL"], 1),
        (["--select", "BAP001,BAP"], 1),
        (["--ignore", "BAP001"], 0),
        (["--ignore", "BAP0"], 0),
        (["--select", "BAP", "--ignore", "BAP001"], 0),
        (["--select", "BAP001", "--ignore", "BAP"], 1),  # the more specific one wins
        (["--select", "BAP001", "--ignore", "BAP001"], 0),  # a tie: ignore wins
        (["--select", "BAP001,", "--select", " "], 1),
    ]:
        result = bap(".", *args, cwd=tmp_path)
        assert result.returncode == code, (args, result.stderr)
    result = bap(".", "--ignore", "BAP001", "--format", "sarif", cwd=tmp_path)
    (run,) = json.loads(result.stdout)["runs"]
    assert (run["tool"]["driver"]["rules"], run["results"]) == ([], [])
    assert result.stderr == "warning: no rule is selected; nothing was checked\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--select", "BAP01"],
            "unknown rule code 'BAP01' (rules: BAP001). Did you mean 'BAP001'?",
        ),
        (["--select", "BAP001,BAP0001"], "unknown rule code 'BAP0001' (rules: BAP001)."),
        (["--ignore", "E501"], "unknown rule code 'E501' (rules: BAP001)."),
    ],
)
def test_unknown_rule_code_is_a_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = bap(".", *args, cwd=tmp_path)
    assert_usage_error(result)
    assert result.stderr.startswith(f"Error: {message}")


def test_exit_zero(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "service.py").write_text(USE)
    result = bap(".", "--exit-zero", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("service.py:2:5: BAP001 jsonb-in-place-mutation: ")
    assert result.stdout.endswith("\nFound 1 error.\n")
    assert_usage_error(bap("missing", "--exit-zero", cwd=tmp_path))


def test_help_lists_the_rules_and_the_config() -> None:
    result = bap("--help")
    assert result.returncode == 0
    assert (
        "BAP001  jsonb-in-place-mutation: JSON/JSONB attribute changed in place" in result.stdout
    )
    for flag in ("--select", "--ignore", "--exit-zero", "[tool.bap.lint]"):
        assert flag in result.stdout
