"""``kind: negative``: regular expressions that speak against a pattern.

Over the task (``context: task``, the default) or the code context (``context: code``). The
effect ``veto`` (default) drops the pattern, ``lower`` scales its score by ``1 - weight``;
``pattern: "*"`` applies to every pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ._regexkind import RegexKind
from .intent import match_task

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule


class Negative(RegexKind):
    name = "negative"
    summary = "regular expressions that veto or lower a pattern"
    any_pattern = True
    properties: ClassVar[dict[str, Any]] = {
        "effect": {"enum": ["veto", "lower"], "x-message": "unknown effect '{value}'."},
        "context": {
            "enum": ["task", "code"],
            "x-message": "'context' is 'task' or 'code', and only negative rules take it.",
        },
    }

    def reads(self, raw: dict[str, Any]) -> str:
        return "code" if raw.get("context") == "code" else "task"

    def on_code(self, raw: dict[str, Any]) -> bool:
        return raw.get("context") == "code"

    def effect(self, raw: dict[str, Any]) -> str:
        return str(raw.get("effect", "veto"))

    def needs(self, raw: dict[str, Any]) -> str | None:
        return "code" if raw.get("context") == "code" else super().needs(raw)

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        if rule.reads == "code":
            if not inputs.code:
                return []
            matched = rules.regex_rule(rule, inputs.code, inputs.code_lower)
        else:
            matched = match_task(rules, rule, inputs)
        return [] if matched is None else [rule.hit(matched)]
