"""``lint.rules``: the bundled rules, each documented in ruff's sections, with its page in
docs/rules/ made from that documentation (BAP_UPDATE_SNAPSHOTS=1 writes the pages anew)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from backend_patterns.lint import check_code, registry
from backend_patterns.lint.registry import Rule

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"
SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "References"]
BUNDLED = registry.all_rules()


def page(path: Path, text: str) -> None:
    """``text`` against the page as it was before this run. BAP_UPDATE_SNAPSHOTS=1 writes a page
    that differs and fails (review the diff, then run again without it): a test that rewrites
    its page never passes by comparing it with itself."""
    before = path.read_text() if path.is_file() else None
    if os.environ.get("BAP_UPDATE_SNAPSHOTS") == "1" and text != before:
        path.write_text(text)
        pytest.fail(f"{path} written anew; review it and run without BAP_UPDATE_SNAPSHOTS")
    assert before is not None, f"no {path}; run with BAP_UPDATE_SNAPSHOTS=1"
    assert before == text, f"{path} is stale; run with BAP_UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize("rule", BUNDLED, ids=lambda r: r.code)
def test_doc_has_ruffs_sections_in_order(rule: Rule) -> None:
    titles = list(rule.sections())
    assert [t for t in titles if t in SECTIONS] == SECTIONS
    assert all(rule.sections()[t] for t in titles), "an empty section"


@pytest.mark.parametrize("rule", BUNDLED, ids=lambda r: r.code)
def test_metadata(rule: Rule) -> None:
    assert re.fullmatch(r"BAP[0-9]{3}", rule.code)
    assert "\n" not in rule.summary
    assert len(rule.summary) <= 99
    assert rule.severity in {"error", "warning", "note"}
    assert rule.tags


@pytest.mark.parametrize("rule", BUNDLED, ids=lambda r: r.code)
def test_docs_page_is_made_from_the_rule(rule: Rule) -> None:
    page(DOCS / f"{rule.code}.md", rule.markdown())
    assert (DOCS.parent.parent / rule.help_uri) == DOCS / f"{rule.code}.md"


def test_rules_index() -> None:
    page(DOCS / "README.md", registry.rules_index())
    for rule in BUNDLED:
        assert f"[{rule.code}]({rule.code}.md)" in registry.rules_index()


def test_no_stray_pages() -> None:
    pages = {p.stem for p in DOCS.glob("*.md")} - {"README"}
    assert pages == {r.code for r in BUNDLED}


def _blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.DOTALL)


def test_bap001_example_is_found_and_its_fix_is_not() -> None:
    sections = registry.get("BAP001").sections()
    attrs = ["Agent.agent_metadata"]
    (example,) = _blocks(sections["Example"])
    findings = check_code(example, json_attrs=attrs)
    assert [(f.code, f.line) for f in findings] == [("BAP001", 2)]
    assert "# BAP001" in example.splitlines()[1]
    fixes = _blocks(sections["Use instead"])
    assert len(fixes) == 2
    for fix in fixes:
        assert check_code(fix, json_attrs=attrs) == []
