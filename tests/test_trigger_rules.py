"""Every rule of triggers.yaml against its labelled examples (tests/triggers/examples.yaml).

Semgrep-style: ``ruleid`` examples must fire the rule, ``ok`` examples (near misses) must not,
``todo`` examples are known misses, documented in the file and not asserted here. Each example
is a task string or a mapping ``{task, code, path}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from backend_patterns.match import compiled
from backend_patterns.pack import load_pack
from backend_patterns.triggers import Compiled

EXAMPLES_FILE = Path(__file__).parent / "triggers" / "examples.yaml"
LABELS = ("ruleid", "ok", "todo")
EXAMPLE_KEYS = {"task", "code", "path"}


class Example(NamedTuple):
    task: str
    code: str | None
    path: str | None


def _load_examples() -> dict[str, dict[str, list[Any]]]:
    data = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{EXAMPLES_FILE}: expected a mapping of rule ids"
    return data


def _example(raw: Any) -> Example:
    if isinstance(raw, str):
        return Example(raw, None, None)
    assert isinstance(raw, dict), f"an example is a string or a mapping, not {raw!r}"
    assert set(raw) <= EXAMPLE_KEYS, f"unknown keys {set(raw) - EXAMPLE_KEYS} in {raw!r}"
    task, code, path = raw.get("task", ""), raw.get("code"), raw.get("path")
    assert isinstance(task, str), f"task must be a string in {raw!r}"
    assert code is None or isinstance(code, str), f"code must be a string in {raw!r}"
    assert path is None or isinstance(path, str), f"path must be a string in {raw!r}"
    return Example(task, code, path)


EXAMPLES = _load_examples()

CASES = [
    pytest.param(rule_id, label, raw, id=f"{rule_id}-{label}-{index}")
    for rule_id, entry in EXAMPLES.items()
    for label in ("ruleid", "ok")
    for index, raw in enumerate((entry or {}).get(label) or [])
]


@pytest.fixture(scope="module")
def rules() -> Compiled:
    return compiled(load_pack())


def test_every_rule_has_examples(rules: Compiled) -> None:
    pack_ids = [rule.id for rule in rules.rules]
    missing = sorted(set(pack_ids) - set(EXAMPLES))
    unknown = sorted(set(EXAMPLES) - set(pack_ids))
    assert not missing, f"rules without examples in {EXAMPLES_FILE.name}: {missing}"
    assert not unknown, f"examples for rules not in triggers.yaml: {unknown}"


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_examples_are_well_formed(rule_id: str) -> None:
    entry = EXAMPLES[rule_id]
    assert isinstance(entry, dict), f"{rule_id}: expected a mapping of labels"
    assert set(entry) <= set(LABELS), f"{rule_id}: unknown labels {set(entry) - set(LABELS)}"
    assert len(entry.get("ruleid") or []) >= 2, f"{rule_id}: needs at least 2 ruleid examples"
    assert len(entry.get("ok") or []) >= 1, f"{rule_id}: needs at least 1 ok example"
    for label in LABELS:
        for raw in entry.get(label) or []:
            _example(raw)


@pytest.mark.parametrize(("rule_id", "label", "raw"), CASES)
def test_rule_example(rules: Compiled, rule_id: str, label: str, raw: Any) -> None:
    example = _example(raw)
    hits = rules.hits(example.task, example.code, example.path)
    fired = [hit for hit in hits if hit.rule == rule_id]
    if label == "ruleid":
        assert fired, f"{rule_id} should fire on {example}; fired instead: {hits}"
    else:
        assert not fired, f"{rule_id} should not fire on {example}; matched {fired[0].matched!r}"
