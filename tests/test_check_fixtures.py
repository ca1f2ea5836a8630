"""BAP001 on the labelled fixtures in tests/fixtures/check/.

Labels: a comment ``# ruleid: BAP001`` (a finding is expected),
``# ok: BAP001`` (no finding) or ``# todo: BAP001`` (a known wrong answer: a missed finding
or a false alarm, left out both ways) labels the line right AFTER it. The fixtures are
checked as one tree, like ``bap check`` does, so the models of models.py are known in the
other files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend_patterns.lint import check_code, check_tree

FIXTURES = Path(__file__).parent / "fixtures" / "check"
LABEL = re.compile(r"^\s*#\s*(ruleid|ok|todo):\s*BAP001\s*$")


def labels() -> dict[str, dict[int, str]]:
    """path -> {labelled line: label}."""
    out: dict[str, dict[int, str]] = {}
    for path in sorted(FIXTURES.glob("*.py")):
        lines = path.read_text().splitlines()
        found: dict[int, str] = {}
        for number, text in enumerate(lines, start=1):
            match = LABEL.match(text)
            if match:
                assert number < len(lines), f"{path.name}:{number}: a label on the last line"
                assert not LABEL.match(lines[number]), f"{path.name}:{number}: label on label"
                found[number + 1] = match.group(1)
        out[str(path)] = found
    return out


def test_enough_labelled_lines() -> None:
    kinds = [kind for found in labels().values() for kind in found.values()]
    assert kinds.count("ruleid") >= 40
    assert kinds.count("ok") >= 40


def test_findings_are_exactly_the_ruleid_lines() -> None:
    findings, warnings = check_tree([str(FIXTURES)])
    assert warnings == []
    expected = labels()
    todo = {(p, n) for p, found in expected.items() for n, k in found.items() if k == "todo"}
    got = {(f.path, f.line) for f in findings} - todo
    want = {(p, n) for p, found in expected.items() for n, k in found.items() if k == "ruleid"}
    missed = sorted(want - got)
    extra = sorted(got - want)
    assert (missed, extra) == ([], []), f"missed: {missed}\nfalse positives: {extra}"


def test_models_alone_only_show_their_own_findings() -> None:
    """Without models.py, services.py has no JSON attribute to speak of."""
    services = (FIXTURES / "services.py").read_text()
    assert check_code(services, "services.py") == []
    with_attr = check_code(services, "services.py", json_attrs=["Agent.agent_metadata"])
    assert with_attr
    assert {f.fix for f in with_attr} == {
        'call `flag_modified(agent, "agent_metadata")` before commit'
    }


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.name)
def test_each_fixture_is_valid_python(path: Path) -> None:
    compile(path.read_text(), str(path), "exec")
