"""``kind: keyword``: words and phrases, whole words only, typo-tolerant.

Entries are phrases, or ``@group`` for every phrase of a vocabulary group. A phrase matches
where its stems occur in a row in the task (after typo correction onto the vocabulary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..inflect import stem
from ._base import Kind, Prep
from ._tokens import words

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule
    from ._view import TaskView

Index = dict[str, list[tuple[int, list[str]]]]


def _by_first(phrases: list[Any]) -> Index:
    index: Index = {}
    for order, (phrase, _) in enumerate(phrases):
        if phrase:
            index.setdefault(phrase[0], []).append((order, phrase))
    return index


def _found(index: Index, view: TaskView) -> list[str]:
    """The texts of the phrases in ``index`` that occur in the task, in rule order."""
    keys = index.keys() & view.positions.keys()
    hits = sorted(
        (order, text)
        for key in keys
        for order, phrase in index[key]
        if (text := view.find(phrase)) is not None
    )
    return [text for _, text in hits]


class Keyword(Kind):
    name = "keyword"
    summary = "words and phrases of the task, whole words, typo-tolerant"
    item_schema: ClassVar[dict[str, Any]] = {"type": "string", "minLength": 1}

    def reads(self, raw: dict[str, Any]) -> str:
        return "stems"

    def check_item(self, item: str, vocabulary: dict[str, Any]) -> tuple[str, str | None] | None:
        if item.startswith("@") and item[1:] not in vocabulary:
            from ..errors import did_you_mean

            guess = did_you_mean(item[1:], list(vocabulary))
            return (
                f"unknown vocabulary group '{item}'.",
                f"Did you mean '@{guess}'?" if guess else None,
            )
        return None

    def prepare(self, item: str, prep: Prep, raw: dict[str, Any]) -> list[Any]:
        group = item[1:] if item.startswith("@") else None
        out: list[Any] = []
        for text in prep.vocabulary.get(group, []) if group else [item]:
            parts = words(text)
            prep.fuzzy.update(p for p in parts if len(p) >= 5)
            out.append([[stem(p) for p in parts], text])
        return out

    def gate(self, rule: dict[str, Any], literals: dict[str, list[str] | None]) -> list[str]:
        phrases = rule["any"] or (rule["all"][0] if rule["all"] else [])
        return sorted({phrase[0] for phrase, _ in phrases if phrase})

    def _index(self, rules: Compiled, rule: Rule) -> dict[str, Any]:
        cache: dict[str, dict[str, Any]] = rules.state.setdefault("keyword", {})
        entry = cache.get(rule.id)
        if entry is None:
            entry = cache[rule.id] = {
                "any": _by_first(rule.any),
                "not": _by_first(rule.not_),
                "all": [_by_first(group) for group in rule.all],
            }
        return entry

    def matched(self, rules: Compiled, rule: Rule, view: TaskView) -> str | None:
        by_first = self._index(rules, rule)
        if _found(by_first["not"], view):
            return None
        found: list[str] = []
        if rule.any:
            for text in _found(by_first["any"], view):
                if text not in found:
                    found.append(text)
            if len(found) < rule.min:
                return None
        for group in by_first["all"]:
            texts = _found(group, view)
            if not texts:
                return None
            found.append(texts[0])
        return " + ".join(found) if found else None

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        matched = self.matched(rules, rule, inputs.view)
        return [] if matched is None else [rule.hit(matched)]

    def near(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        """Half a match: some phrases or groups matched, or a word was two edits away."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        from ._model import Hit

        view = inputs.view
        if self.matched(rules, rule, view) is not None:
            return []
        partial = [t for t in (view.find(p) for p, _ in rule.any) if t]
        partial += [t for g in rule.all for t in (view.find(p) for p, _ in g) if t]
        partial = list(dict.fromkeys(partial))
        if partial:
            return [
                Hit(rule.id, rule.pattern, "keyword", " + ".join(partial), rule.weight, "near")
            ]
        vocab = [" ".join(p) for p, _ in rule.any if len(" ".join(p)) >= 5]
        for token in set(view.tokens):
            if len(token) < 5:
                continue
            best = process.extractOne(stem(token), vocab, scorer=OSA.distance, score_cutoff=2)
            if best is not None and best[1] == 2:
                matched = f"{token}~{best[0]}"
                return [Hit(rule.id, rule.pattern, "keyword", matched, rule.weight, "near")]
        return []
