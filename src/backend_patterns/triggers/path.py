"""``kind: path``: globs over the path of the file being edited (``**`` spans folders)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Kind, Prep
from ._regex import glob_literal, glob_regex

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule


class Path(Kind):
    name = "path"
    summary = "globs over the path of the file being edited"

    def reads(self, raw: dict[str, Any]) -> str:
        return "path"

    def prepare(self, item: str, prep: Prep, raw: dict[str, Any]) -> list[Any]:
        prep.globs.add(glob_regex(item))
        return [item]

    def gate(self, rule: dict[str, Any], literals: dict[str, list[str] | None]) -> list[str]:
        found = [glob_literal(g) for g in rule["any"]]
        return sorted({f for f in found if f}) if found and all(found) else []

    def sources(self, rule: Rule) -> list[str]:
        return [glob_regex(g) for g in [*rule.any, *rule.not_]]

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        path = inputs.path
        if not path or any(rules.glob(g).search(path) for g in rule.not_):
            return []
        if any(rules.glob(g).match(path) for g in rule.any):
            return [rule.hit(path)]
        return []
