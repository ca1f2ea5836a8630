"""The registry of trigger kinds: a kind is one module plus one registration.

A toy kind registered here is validated by its own schema fragment, prepared, gated and
matched like the bundled ones, and is unknown again once unregistered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from backend_patterns.errors import PackError
from backend_patterns.match import suggest
from backend_patterns.pack import load_pack
from backend_patterns.triggers import (
    Compiled,
    Hit,
    Inputs,
    Kind,
    Prep,
    Rule,
    kinds,
    register,
    unregister,
)


class Shout(Kind):
    """Fires when the task is written in capitals and holds one of the words."""

    name = "shout"
    summary = "upper-case words of the task"
    properties: ClassVar[dict[str, Any]] = {"loud": {"type": "boolean"}}

    def prepare(self, item: str, prep: Prep, raw: dict[str, Any]) -> list[Any]:
        return [item.upper()]

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        text = inputs.view.text
        found = [w for w in rule.any if w in text.split()]
        return [rule.hit(found[0])] if found else []


@pytest.fixture
def shout() -> Iterator[Shout]:
    kind = register(Shout())
    yield kind
    unregister("shout")


def _pack(root: Path, rule: str) -> Path:
    (root / "patterns" / "demo").mkdir(parents=True)
    (root / "patterns" / "demo" / "pattern.yaml").write_text(
        "params:\n  - {name: subject, kind: pascal, default: Thing, infer: entity}\n"
        "files:\n  - {path: a.py, template: a.py.j2}\n"
    )
    (root / "patterns" / "demo" / "a.py.j2").write_text("x = 1\n")
    (root / "triggers.yaml").write_text(
        "version: 1\npatterns:\n  demo: {description: Demo}\n"
        "inference: {not_names: [the]}\nrules:\n" + rule
    )
    return root


TOY_RULE = (
    "  - {id: demo.shout, pattern: demo, kind: shout, weight: 0.9, loud: true, any: [help]}\n"
)


def test_a_registered_kind_is_validated_prepared_and_matched(shout: Shout, tmp_path: Path) -> None:
    pack = load_pack(_pack(tmp_path, TOY_RULE), cache=False)
    assert "shout" in kinds()
    found = suggest("HELP with the INVOICES", pack=pack)
    assert [s.pattern for s in found] == ["demo"]
    assert found[0].reasons[0].kind == "shout"
    assert found[0].reasons[0].matched == "HELP"
    assert suggest("help with the invoices", pack=pack) == []


def test_a_kinds_schema_fragment_refuses_what_it_does_not_declare(
    shout: Shout, tmp_path: Path
) -> None:
    rule = TOY_RULE.replace("loud: true", "lowd: true")
    with pytest.raises(PackError) as info:
        load_pack(_pack(tmp_path, rule), cache=False)
    assert info.value.rule_id == "demo.shout"
    assert "unknown key 'lowd'" in info.value.describe()
    assert "Did you mean 'loud'?" in info.value.describe()


def test_an_unregistered_kind_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(PackError) as info:
        load_pack(_pack(tmp_path, TOY_RULE), cache=False)
    assert "unknown kind 'shout'" in info.value.describe()
    assert info.value.line == 6


def test_every_bundled_kind_is_registered_once() -> None:
    assert sorted(kinds()) == ["code", "finding", "intent", "keyword", "negative", "path"]
    assert all(kind.name == name and kind.summary for name, kind in kinds().items())


def test_inference_follows_the_hints_of_any_pattern(tmp_path: Path) -> None:
    """``infer: entity`` on a parameter the engine has never heard of still fills it."""
    rule = "  - {id: demo.kw, pattern: demo, kind: keyword, any: [invoices]}\n"
    pack = load_pack(_pack(tmp_path, rule), cache=False)
    found = suggest("endpoints for invoices", pack=pack)
    assert found[0].params == {"subject": "Invoice"}
