"""What the regex kinds (intent, code, negative) share: their entries are regexes, checked and
gated by the literal strings they need."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ._base import Kind, Prep

if TYPE_CHECKING:
    from ._model import Rule

# A regex written in double quotes in YAML turns \b into a backspace: refuse control chars.
REGEX_ITEM = {
    "type": "string",
    "minLength": 1,
    "pattern": "^[^\\x00-\\x1f]*$",
    "x-message": "regex {value!r} holds a control character; in double quotes YAML reads \\b "
    "as a backspace.",
    "x-hint": "Write regexes in single quotes.",
}


class RegexKind(Kind):
    item_schema: ClassVar[dict[str, Any]] = REGEX_ITEM

    def on_code(self, raw: dict[str, Any]) -> bool:
        return False

    def prepare(self, item: str, prep: Prep, raw: dict[str, Any]) -> list[Any]:
        from ._regex import code_regex

        source = code_regex(item) if self.on_code(raw) else item
        prep.regexes[source] = item
        return [source]

    def gate(self, rule: dict[str, Any], literals: dict[str, list[str] | None]) -> list[str]:
        sources = list(rule["any"]) or (list(rule["all"][0]) if rule["all"] else [])
        alternatives: set[str] = set()
        for source in sources:
            needed = literals.get(source)
            if not needed:
                return []  # one source that needs nothing: the rule cannot be gated
            alternatives.update(needed)
        return sorted(alternatives)

    def sources(self, rule: Rule) -> list[str]:
        return [*rule.any, *rule.not_, *(s for g in rule.all for s in g)]
