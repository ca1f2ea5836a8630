"""A file that does not parse is a diagnostic (BAP000) in every format, says which Python would
parse newer syntax, and Python's own warnings while parsing are file warnings, never raised."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend_patterns.lint import check_code, check_sources
from backend_patterns.lint._syntax import needs_python, parse_source
from backend_patterns.lint.report import FORMATS

BAP = str(Path(sys.executable).parent / "bap")
RUNNING = sys.version_info[:2]


@pytest.mark.parametrize(
    ("source", "version"),
    [
        ("type Alias = list[int]\n", (3, 12)),
        ("def first[T](xs: list[T]) -> T:\n    return xs[0]\n", (3, 12)),
        ("class Box[T]:\n    pass\n", (3, 12)),
        ('x = f"{d["k"]}"\n', (3, 12)),
        ("try:\n    pass\nexcept* ValueError:\n    pass\n", (3, 11)),
        ("match command:\n    case [x]:\n        pass\n", (3, 10)),
        ("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", (3, 14)),
    ],
)
def test_newer_syntax_names_the_python_that_parses_it(
    source: str, version: tuple[int, int]
) -> None:
    found = needs_python(source)
    if version <= RUNNING:  # this Python parses it: nothing to explain
        assert found is None
        tree, _ = parse_source("new.py", source)
        assert not hasattr(tree, "code") or version == (3, 14)
        return
    assert found is not None
    assert found[0] == version
    tree, warnings = parse_source("new.py", source)
    assert warnings == []
    assert getattr(tree, "code", None) == "BAP000"
    wanted = f"needs Python {version[0]}.{version[1]} or newer"
    assert wanted in tree.message  # type: ignore[union-attr]


def test_a_plain_syntax_error_blames_no_python() -> None:
    tree, _ = parse_source("bad.py", "def f(:\n    pass\n")
    assert getattr(tree, "message", "") == "cannot parse (invalid syntax)"
    assert needs_python("def f(:\n    pass\n") is None


def test_syntax_error_is_a_finding_in_every_format() -> None:
    findings, warnings = check_sources([("bad.py", "x = (\n"), ("ok.py", "x = 1\n")])
    assert warnings == []
    (f,) = findings
    assert (f.path, f.line, f.code, f.rule) == ("bad.py", 1, "BAP000", "syntax-error")
    text = FORMATS["text"](findings)
    assert text.startswith(f"bad.py:1:{f.col}: BAP000 syntax-error: cannot parse (")
    assert json.loads(FORMATS["json"](findings))[0]["code"] == "BAP000"
    (run,) = json.loads(FORMATS["sarif"](findings, ()))["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["BAP000"]
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (1, f.col)
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == "docs/rules/README.md"


def test_check_code_still_has_no_findings_for_text_that_does_not_parse() -> None:
    assert check_code("def f(:\n") == []


def test_syntax_errors_ignore_select_and_noqa() -> None:
    findings, _ = check_sources([("bad.py", "x = (  # noqa\n")], rules=())
    assert [f.code for f in findings] == ["BAP000"]


def test_invalid_escape_is_a_warning_with_its_line_even_under_W_error(tmp_path: Path) -> None:
    (tmp_path / "esc.py").write_text('x = 1\npattern = "\\d+"\n')
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "backend_patterns", "check", "esc.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "All checks passed!\n"
    (line,) = result.stderr.splitlines()
    assert line.startswith("esc.py:2:1: warning: ")
    assert "invalid escape sequence '\\d'" in line
    assert "Traceback" not in result.stderr


def test_python_warnings_are_captured_not_printed() -> None:
    _, warnings = parse_source("esc.py", 'a = "\\q"\nb = "\\q"\n')
    assert [(w.line, "invalid escape sequence" in w.message) for w in warnings] == [
        (1, True),
        (2, True),
    ]
