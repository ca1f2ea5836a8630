"""``kind: code``: regular expressions over the code context (case-sensitive)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._regexkind import RegexKind

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule


class Code(RegexKind):
    name = "code"
    summary = "regular expressions over the code context"

    def reads(self, raw: dict[str, Any]) -> str:
        return "code"

    def on_code(self, raw: dict[str, Any]) -> bool:
        return True

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        if not inputs.code:
            return []
        matched = rules.regex_rule(rule, inputs.code, inputs.code_lower)
        return [] if matched is None else [rule.hit(matched)]
