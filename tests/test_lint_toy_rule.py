"""A rule registered from outside (BAP999, ``print()`` calls) runs like the bundled one: its
findings reach text, JSON and SARIF, it can be selected, ignored and ``# noqa``'d, and the
registry forgets it afterwards. The CLI runs in-process, where the toy rule is registered.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from backend_patterns.lint import check_code, check_tree, registry
from backend_patterns.lint.registry import Rule, Settings, SourceFile, Violation
from backend_patterns.lint.report import FORMATS, sarif
from backend_patterns.program import main

FIXTURE = Path(__file__).parent / "fixtures" / "check" / "toy" / "prints.py"
LABEL = re.compile(r"^\s*#\s*(ruleid|ok):\s*BAP999\s*$")
MIXED = """\
from sqlalchemy.dialects.postgresql import JSONB


class Agent(Base):
    agent_metadata: Mapped[dict] = mapped_column(JSONB)


async def tag(session, agent: "Agent"):
    agent.agent_metadata["k"] = print("x")
    agent.agent_metadata["j"] = print("y")  # noqa: BAP001
    await session.commit()
"""
DOC = """\
## What it does

Finds calls to `print()`.

## Why is this bad?

A service logs; what it prints is lost.

## Example

```python
print(agent)
```

## Use instead

```python
log.info("%s", agent)
```

## References

- [logging](https://docs.python.org/3/library/logging.html)
"""


def check_prints(sources: Sequence[SourceFile], settings: Settings) -> Iterator[Violation]:
    for source in sources:
        for node in ast.walk(source.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                yield source.violation(node, "`print()` call", "log it instead")


TOY = Rule(
    code="BAP999",
    name="print-call",
    summary="print() call in service code",
    doc=DOC,
    check=check_prints,
    severity="warning",
    tags=("style",),
)


@pytest.fixture
def toy() -> Iterator[Rule]:
    with registry.registered(TOY):
        yield TOY
    assert "BAP999" not in registry.RULES


def labelled(kind: str) -> set[int]:
    lines = FIXTURE.read_text().splitlines()
    return {
        n + 1 for n, text in enumerate(lines, start=1) if (m := LABEL.match(text)) and m[1] == kind
    }


def test_findings_are_the_ruleid_lines_of_the_fixture(toy: Rule) -> None:
    findings, warnings = check_tree([str(FIXTURE.parent)])
    assert warnings == []
    assert {f.code for f in findings} == {"BAP999"}
    assert {f.rule for f in findings} == {"print-call"}
    assert {f.line for f in findings} == labelled("ruleid")
    assert not {f.line for f in findings} & labelled("ok")


def test_the_rule_is_gone_after_the_block() -> None:
    with registry.registered(TOY):
        assert check_code("print(1)\n")
    assert check_code("print(1)\n") == []
    assert "BAP999" not in registry.RULES


def test_noqa_names_each_rule_on_its_line(toy: Rule) -> None:
    got = [(f.line, f.code) for f in check_code(MIXED)]
    assert got == [(9, "BAP001"), (9, "BAP999"), (10, "BAP999")]


def test_select_and_ignore(toy: Rule) -> None:
    assert {f.code for f in check_code(MIXED, rules=registry.select(["BAP9"]))} == {"BAP999"}
    assert {f.code for f in check_code(MIXED, rules=registry.select(None, ["BAP999"]))} == {
        "BAP001"
    }
    assert check_code(MIXED, rules=registry.select(["BAP"], ["BAP0", "BAP9"])) == []
    assert check_code(MIXED, rules=()) == []


def test_text_json_and_sarif_carry_the_rule(toy: Rule) -> None:
    findings = check_code(MIXED, "svc.py")
    rules = registry.select()
    text = FORMATS["text"](findings, rules)
    assert "svc.py:9:33: BAP999 print-call: `print()` call\n  help: log it instead\n" in text
    assert text.endswith("Found 3 errors.\n")
    rows = json.loads(FORMATS["json"](findings, rules))
    assert [(r["code"], r["rule"]) for r in rows][1] == ("BAP999", "print-call")
    doc = sarif(findings, rules)
    (run,) = doc["runs"]
    described = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in described] == ["BAP001", "BAP999"]
    assert described[1]["defaultConfiguration"] == {"level": "warning"}
    assert described[1]["properties"] == {"tags": ["style"]}
    assert described[1]["shortDescription"]["text"] == "print() call in service code"
    assert described[1]["fullDescription"]["text"] == "A service logs; what it prints is lost."
    assert described[1]["helpUri"] == "docs/rules/BAP999.md"
    for result in run["results"]:
        assert described[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("BAP001", "error"),
        ("BAP999", "warning"),
        ("BAP999", "warning"),
    ]


def test_sarif_lists_only_the_rules_that_ran(toy: Rule) -> None:
    ran = registry.select(["BAP999"])
    doc = sarif(check_code(MIXED, rules=ran), ran)
    (run,) = doc["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["BAP999"]
    assert {r["ruleIndex"] for r in run["results"]} == {0}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_selects_ignores_and_reports_the_rule(
    toy: Rule, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "svc.py").write_text(MIXED)
    where = str(tmp_path)
    code, out, _ = run_cli(capsys, where, "--select", "BAP999", "--format", "json")
    assert code == 1
    assert [(f["line"], f["code"]) for f in json.loads(out)] == [(9, "BAP999"), (10, "BAP999")]
    code, out, _ = run_cli(capsys, where, "--ignore", "BAP9")
    assert code == 1
    assert "BAP999" not in out
    assert "BAP001 jsonb-in-place-mutation" in out
    code, out, _ = run_cli(capsys, where, "--select", "BAP001,BAP999", "--ignore=BAP")
    assert code == 1
    assert "Found 3 errors." in out
    code, out, _ = run_cli(capsys, where, "--format", "sarif", "--select", "BAP9")
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == ["BAP999"]
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "BAP999  print-call: print() call in service code" in capsys.readouterr().out


def test_cli_unknown_code_suggests_the_toy_rule(
    toy: Rule, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, str(tmp_path), "--select", "BAP998")
    assert (code, out) == (2, "")
    assert err == (
        "Error: unknown rule code 'BAP998' (rules: BAP001, BAP999). Did you mean 'BAP999'?\n"
    )
