"""Compiling the rules of ``triggers.yaml`` into matchers, and evaluating them on a task.

Kept free of heavy imports: this runs on every prompt. Path globs and code regexes are compiled
only when a path or code is given.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ..inflect import stem
from ._prepare import glob_regex
from ._view import TaskView, Vocabulary

Phrase = tuple[str, ...]  # stems

# Plain classes, not dataclasses: importing dataclasses costs more than matching a task.


class Hit:
    __slots__ = ("rule", "pattern", "kind", "matched", "weight", "effect", "message")

    def __init__(
        self,
        rule: str,
        pattern: str,
        kind: str,
        matched: str,
        weight: float,
        effect: str = "add",
        message: str = "",
    ) -> None:
        self.rule = rule
        self.pattern = pattern  # a pattern name, or "*" for a negative rule on every pattern
        self.kind = kind
        self.matched = matched
        self.weight = weight
        self.effect = effect  # add | veto | lower | near
        self.message = message

    def __repr__(self) -> str:
        return f"Hit({self.rule!r}, {self.pattern!r}, {self.kind!r}, {self.matched!r})"


class Rule:
    __slots__ = (
        "context",
        "gate",
        "id",
        "pattern",
        "kind",
        "weight",
        "message",
        "any",
        "all",
        "not_",
        "min",
        "effect",
        "needs",
        "include",
        "exclude",
    )

    def __init__(self, data: dict[str, Any]) -> None:
        self.id: str = data["id"]
        self.pattern: str = data["pattern"]
        self.kind: str = data["kind"]
        self.weight: float = data["weight"]
        self.message: str = data["message"]
        self.any: list[Any] = data["any"]
        self.all: list[list[Any]] = data["all"]
        self.not_: list[Any] = data["not"]
        self.min: int = data["min"]
        self.effect: str = data["effect"]
        self.needs: str | None = data["needs"]
        self.include: list[str] = data["include"]
        self.exclude: list[str] = data["exclude"]
        self.gate: list[str] = data.get("gate") or []
        self.context: str = data.get("context", "task")  # what a negative rule reads


# Windowed regex search on long code contexts (see Compiled.search).
_WINDOWED = 20_000
_MAX_WINDOWS = 20_000
_BEFORE = 400
_AFTER = 800


def _by_first(phrases: list[Any]) -> dict[str, list[tuple[int, list[str]]]]:
    index: dict[str, list[tuple[int, list[str]]]] = {}
    for order, (phrase, _) in enumerate(phrases):
        if phrase:
            index.setdefault(phrase[0], []).append((order, phrase))
    return index


class Compiled:
    """The rules of one pack, ready to evaluate."""

    def __init__(self, prepared: dict[str, Any]) -> None:
        self.threshold: float = prepared["threshold"]
        self.max_task_chars: int = prepared["max_task_chars"]
        self.max_code_chars: int = prepared["max_code_chars"]
        self.descriptions: dict[str, str] = prepared["descriptions"]
        self.order = list(self.descriptions)
        self.rules = [Rule(r) for r in prepared["rules"]]
        self.vocabulary = Vocabulary(prepared)
        same_python = prepared.get("python") == sys.version
        self._programs: dict[str, list[Any]] = prepared["programs"] if same_python else {}
        self._literals: dict[str, list[str]] = prepared.get("literals") or {}
        # Gates: keyword rules indexed by the stems they need; regex rules with the literal
        # strings they need. Rules without a gate are always evaluated.
        self._by_stem: dict[str, list[int]] = {}
        self._ungated_keywords: list[int] = []
        for i, rule in enumerate(self.rules):
            if rule.kind == "keyword":
                if rule.gate:
                    for s in rule.gate:
                        self._by_stem.setdefault(s, []).append(i)
                else:
                    self._ungated_keywords.append(i)
        self._regex: dict[str, re.Pattern[str]] = {}
        # Regex rules by the text they read, with an inverted index of their gate literals.
        self._ungated: dict[str, list[int]] = {
            k: [] for k in ("intent", "negative", "code", "path")
        }
        gates: dict[str, dict[str, list[int]]] = {k: {} for k in self._ungated}
        for i, rule in enumerate(self.rules):
            if rule.kind == "keyword":
                continue
            key = "code" if rule.context == "code" else rule.kind
            if rule.gate:
                for literal in rule.gate:
                    gates[key].setdefault(literal, []).append(i)
            else:
                self._ungated[key].append(i)
        self._gates = {k: sorted(v.items()) for k, v in gates.items()}
        # Keyword phrases indexed by their first stem: a task is matched against the phrases
        # that can start at one of its words, not against every phrase of a long vocabulary.
        self._phrases: dict[str, dict[str, Any]] = {
            rule.id: {
                "any": _by_first(rule.any),
                "not": _by_first(rule.not_),
                "all": [_by_first(group) for group in rule.all],
            }
            for rule in self.rules
            if rule.kind == "keyword"
        }

    def warm(self) -> None:
        """Compile every regex and load the fuzzy matcher now (for long-running processes)."""
        from rapidfuzz import process  # noqa: F401
        from rapidfuzz.distance import OSA  # noqa: F401

        for source in self._programs:
            self.regex(source)
        for rule in self.rules:
            if rule.kind not in ("keyword", "path"):
                for source in [*rule.any, *rule.not_, *(s for g in rule.all for s in g)]:
                    self.regex(source)
        self.vocabulary.correct("warmup")

    # -- helpers -------------------------------------------------------------------------
    def regex(self, source: str) -> re.Pattern[str]:
        compiled = self._regex.get(source)
        if compiled is None:
            program = self._programs.get(source)
            if program is not None:
                try:
                    import _sre  # type: ignore[import-not-found]
                    from array import array

                    flags, packed, groups, groupindex, indexgroup = program
                    code = array("I", packed).tolist()
                    compiled = _sre.compile(
                        source, flags, code, groups, groupindex, tuple(indexgroup)
                    )
                except Exception:  # a program from another interpreter: compile afresh
                    compiled = None
            if compiled is None:
                compiled = re.compile(source, re.IGNORECASE)
            self._regex[source] = compiled
        return compiled

    def glob(self, glob: str) -> re.Pattern[str]:
        return self.regex(glob_regex(glob))

    # -- evaluation ----------------------------------------------------------------------
    @staticmethod
    def _found(index: dict[str, list[tuple[int, list[str]]]], view: TaskView) -> list[str]:
        """The texts of the phrases in ``index`` that occur in the task, in rule order."""
        positions = view.positions
        keys = index.keys() & positions.keys()
        hits = sorted(
            (order, text)
            for key in keys
            for order, phrase in index[key]
            if (text := view.find(phrase)) is not None
        )
        return [text for _, text in hits]

    def _keyword(self, rule: Rule, view: TaskView) -> str | None:
        by_first = self._phrases[rule.id]
        if self._found(by_first["not"], view):
            return None
        found: list[str] = []
        if rule.any:
            for text in self._found(by_first["any"], view):
                if text not in found:
                    found.append(text)
            if len(found) < rule.min:
                return None
        for group in by_first["all"]:
            texts = self._found(group, view)
            if not texts:
                return None
            found.append(texts[0])
        return " + ".join(found) if found else None

    def search(self, source: str, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """``regex(source).search(text)``; on long texts, only around its required literals.

        A regex that must contain a literal can only match near an occurrence of it, and
        finding a literal is far cheaper than running the regex over every position. Matches
        are line-sized, so a window of a few hundred characters around each occurrence holds
        any match there is.
        """
        compiled = self.regex(source)
        literals = self._literals.get(source)
        if lowered is None or not literals:
            return compiled.search(text)
        if len(text) < _WINDOWED:  # short: a cheap check for the literals, then the regex
            if not any(literal in lowered for literal in literals):
                return None
            return compiled.search(text)
        starts: list[int] = []
        for literal in literals:
            at = lowered.find(literal)
            while at != -1:
                starts.append(at)
                if len(starts) > _MAX_WINDOWS:
                    return compiled.search(text)
                at = lowered.find(literal, at + 1)
        if len(starts) * (_BEFORE + _AFTER) > len(text):  # dense: one pass is cheaper
            return compiled.search(text)
        end = -1
        for at in sorted(starts):
            lo, hi = max(at - _BEFORE, end, 0), min(at + _AFTER, len(text))
            if hi <= lo:
                continue
            match = compiled.search(text, lo, hi)
            if match:
                return match
            end = hi
        return None

    def _regex_rule(self, rule: Rule, text: str, lowered: str | None = None) -> str | None:
        if any(self.search(r, text, lowered) for r in rule.not_):
            return None
        found: list[str] = []
        if rule.any:
            match = None
            for source in rule.any:
                match = self.search(source, text, lowered)
                if match:
                    break
            if match is None:
                return None
            found.append(match.group(0))
        for group in rule.all:
            match = next((m for m in (self.search(s, text, lowered) for s in group) if m), None)
            if match is None:
                return None
            found.append(match.group(0))
        return " + ".join(_short(f) for f in found) if found else None

    def _path(self, rule: Rule, path: str) -> str | None:
        if any(self.glob(g).search(path) for g in rule.not_):
            return None
        if any(self.glob(g).match(path) for g in rule.any):
            return path
        return None

    def _scoped(self, rule: Rule, path: str | None) -> bool:
        if not rule.include and not rule.exclude:
            return True
        if path is None:
            return not rule.include
        if rule.include and not any(self.glob(g).match(path) for g in rule.include):
            return False
        return not any(self.glob(g).match(path) for g in rule.exclude)

    def _candidates(self, view: TaskView, lowered: dict[str, str | None]) -> list[int]:
        """Indices of the rules this input can possibly fire, in pack order."""
        chosen = set(self._ungated_keywords)
        for s in view.positions:
            chosen.update(self._by_stem.get(s, ()))
        for key, low in lowered.items():
            if low is None:
                continue
            chosen.update(self._ungated[key])
            for literal, indices in self._gates[key]:
                if literal in low:
                    chosen.update(indices)
        return sorted(chosen)

    def hits(self, task: str, code: str | None, path: str | None) -> list[Hit]:
        """Every rule that fires on this task, code context and path."""
        view = self.vocabulary.view(task, self.max_task_chars)
        norm_path = path.replace("\\", "/").lstrip("./") if path else None
        code = code[: self.max_code_chars] if code else None
        corrected = view.corrected if view.corrected is not view.text else ""
        task_lower = (view.text + "\n" + corrected).lower()
        code_lower = code.lower() if code else None
        lowered = {
            "intent": task_lower,
            "negative": task_lower,
            "code": code_lower,
            "path": norm_path.lower() if norm_path else None,
        }
        out: list[Hit] = []
        for index in self._candidates(view, lowered):
            rule = self.rules[index]
            if not self._scoped(rule, norm_path):
                continue
            if rule.needs and not (
                (rule.needs in ("code", "context") and code)
                or (rule.needs in ("path", "context") and norm_path)
            ):
                continue
            matched: str | None = None
            if rule.kind == "keyword":
                matched = self._keyword(rule, view)
            elif rule.kind == "negative" and rule.context == "code":
                matched = self._regex_rule(rule, code, code_lower) if code else None
            elif rule.kind in ("intent", "negative"):
                matched = self._regex_rule(rule, view.text, task_lower)
                if matched is None and corrected:
                    matched = self._regex_rule(rule, corrected, task_lower)
            elif rule.kind == "path":
                matched = self._path(rule, norm_path) if norm_path else None
            elif rule.kind == "code":
                matched = self._regex_rule(rule, code, code_lower) if code else None
            if matched is not None:
                effect = rule.effect if rule.kind == "negative" else "add"
                out.append(
                    Hit(
                        rule.id,
                        rule.pattern,
                        rule.kind,
                        matched,
                        rule.weight,
                        effect,
                        rule.message,
                    )
                )
        return out

    def near_misses(self, task: str) -> list[Hit]:
        """Keyword rules that half-fired: some of their ``all`` groups matched, or a word was
        close to a vocabulary word without being close enough."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        view = self.vocabulary.view(task, self.max_task_chars)
        out: list[Hit] = []
        for rule in self.rules:
            if rule.kind != "keyword" or self._keyword(rule, view) is not None:
                continue
            partial = [t for t in (view.find(p) for p, _ in rule.any) if t]
            partial += [t for g in rule.all for t in (view.find(p) for p, _ in g) if t]
            partial = list(dict.fromkeys(partial))
            if partial:
                out.append(
                    Hit(
                        rule.id,
                        rule.pattern,
                        "keyword",
                        " + ".join(partial),
                        rule.weight,
                        "near",
                        rule.message,
                    )
                )
                continue
            vocab = [" ".join(p) for p, _ in rule.any if len(" ".join(p)) >= 5]
            for token in set(view.tokens):
                if len(token) < 5:
                    continue
                best = process.extractOne(stem(token), vocab, scorer=OSA.distance, score_cutoff=2)
                if best is not None and best[1] == 2:
                    out.append(
                        Hit(
                            rule.id,
                            rule.pattern,
                            "keyword",
                            f"{token}~{best[0]}",
                            rule.weight,
                            "near",
                            rule.message,
                        )
                    )
                    break
        return out


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def combine(weights: Iterable[float]) -> float:
    """Noisy-OR: independent pieces of evidence, each with its own strength."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - min(max(w, 0.0), 1.0)
    return 1.0 - miss


def score(hits: Sequence[Hit], patterns: Sequence[str]) -> dict[str, float]:
    """Each pattern's score from the hits: positive evidence combined, then negatives applied."""
    scores: dict[str, float] = {}
    for name in patterns:
        positive = [h.weight for h in hits if h.pattern == name and h.effect == "add"]
        value = combine(positive)
        for h in hits:
            if h.pattern in (name, "*"):
                if h.effect == "veto":
                    value = 0.0
                elif h.effect == "lower":
                    value *= 1.0 - min(h.weight, 1.0)
        scores[name] = value
    return scores
