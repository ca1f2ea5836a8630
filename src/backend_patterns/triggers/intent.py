"""``kind: intent``: regular expressions over the task (case-insensitive), also tried on the
task with its typos corrected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._regexkind import RegexKind

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule


def match_task(rules: Compiled, rule: Rule, inputs: Inputs) -> str | None:
    """A regex rule on the task as written, then on the task with typos corrected."""
    view = inputs.view
    matched = rules.regex_rule(rule, view.text, inputs.task_lower)
    if matched is None and view.corrected is not view.text and view.corrected:
        matched = rules.regex_rule(rule, view.corrected, inputs.task_lower)
    return matched


class Intent(RegexKind):
    name = "intent"
    summary = "regular expressions over the task"

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        matched = match_task(rules, rule, inputs)
        return [] if matched is None else [rule.hit(matched)]
