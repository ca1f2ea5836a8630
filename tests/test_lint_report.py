"""``lint.report``: text, JSON and SARIF from the findings and the rules that ran."""

from __future__ import annotations

import json
from pathlib import Path

from backend_patterns.lint import Finding, registry
from backend_patterns.lint.report import FORMATS, INFORMATION_URI, sarif, sarif_rule

ROOT = Path(__file__).resolve().parent.parent
FOUND = Finding(
    "app/x.py", 3, 5, "something is wrong", "do it right", "BAP001", "jsonb-in-place-mutation"
)


def test_text_format() -> None:
    assert FORMATS["text"]([]) == "All checks passed!\n"
    one = "app/x.py:3:5: BAP001 jsonb-in-place-mutation: something is wrong\n  help: do it right\n"
    assert FORMATS["text"]([FOUND]) == one + "\nFound 1 error.\n"
    assert FORMATS["text"]([FOUND, FOUND]) == one * 2 + "\nFound 2 errors.\n"


def test_json_format_is_the_findings() -> None:
    assert json.loads(FORMATS["json"]([FOUND])) == [FOUND.to_json()]
    assert FORMATS["json"]([]) == "[]\n"


def test_sarif_describes_every_rule_that_ran_even_without_findings() -> None:
    (run,) = sarif([])["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["BAP001"]
    assert run["results"] == []
    assert (ROOT / run["tool"]["driver"]["informationUri"]).is_file()
    assert run["tool"]["driver"]["informationUri"] == INFORMATION_URI
    (run,) = sarif([], ())["runs"]
    assert run["tool"]["driver"]["rules"] == []


def test_sarif_rule_comes_from_the_registry() -> None:
    rule = registry.get("BAP001")
    described = sarif_rule(rule)
    assert described["shortDescription"]["text"] == rule.summary
    assert described["fullDescription"]["text"].startswith("SQLAlchemy tracks changes by")
    assert "\n" not in described["fullDescription"]["text"]
    assert described["help"]["markdown"] == rule.markdown()
    assert described["help"]["text"].startswith("Checks for in-place changes")
    assert described["help"]["text"].endswith("Suppress a line with `# noqa: BAP001`.")
    assert described["defaultConfiguration"] == {"level": "error"}
    assert described["properties"] == {"tags": ["correctness", "sqlalchemy", "jsonb"]}


def test_sarif_results_point_at_their_rule() -> None:
    stray = Finding("/abs/y.py", 1, 1, "m", "f", "ZZZ001", "not-registered")
    (run,) = sarif([FOUND, stray], ())["runs"]
    # BAP001 found although not said to have run: it is described all the same
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["BAP001"]
    first, second = run["results"]
    assert (first["ruleId"], first["ruleIndex"], first["level"]) == ("BAP001", 0, "error")
    assert first["message"]["text"] == "something is wrong. Fix: do it right."
    assert "ruleIndex" not in second
    assert second["ruleId"] == "ZZZ001"
    uri = second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "file:///abs/y.py"
