"""Ranking the patterns of a pack for a task, a code context and a file path.

``suggest`` is the whole engine as the front ends see it: plain data in, plain data out,
deterministic, and an empty list when nothing fits well enough.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..pack import Pack, load_pack
from ..triggers import Compiled, Hit, prepare, score

MAX_TASK_BYTES = 1_000_000
MAX_CODE_BYTES = 5_000_000
# A runner-up is shown only when it is a real alternative: at least this fraction of the top
# score. Scores are noisy-OR confidences, so 0.9 then 0.55 says "the first, clearly"; a close
# second (0.9 then 0.8) is worth a look.
RUNNER_UP = 0.75

# Plain classes, not dataclasses: this module is imported on every prompt.


class Reason:
    __slots__ = ("kind", "rule", "matched", "weight")

    def __init__(self, kind: str, rule: str, matched: str, weight: float) -> None:
        self.kind = kind  # keyword | intent | path | code | finding
        self.rule = rule  # the rule id in triggers.yaml (or BAP001 for a checker finding)
        self.matched = matched  # the text that fired it
        self.weight = weight

    def __repr__(self) -> str:
        return f"Reason({self.kind!r}, {self.rule!r}, {self.matched!r}, {self.weight})"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "matched": self.matched,
            "weight": round(self.weight, 3),
        }


class Suggestion:
    __slots__ = ("pattern", "score", "description", "reasons", "params")

    def __init__(
        self,
        pattern: str,
        score: float,
        description: str,
        reasons: tuple[Reason, ...],
        params: dict[str, str] | None = None,
    ) -> None:
        self.pattern = pattern
        self.score = score  # 0..1
        self.description = description
        self.reasons = reasons
        self.params = params or {}

    def __repr__(self) -> str:
        return f"Suggestion({self.pattern!r}, {self.score}, params={self.params!r})"

    @property
    def why(self) -> str:
        """One line: the strongest reasons, e.g. ``keyword 'websocket'; path 'app/ws/chat.py'``."""
        shown: list[Reason] = []
        for reason in sorted(self.reasons, key=lambda r: -r.weight):
            text = reason.matched.lower()
            if any(text in r.matched.lower() for r in shown):
                continue  # 'delete + list' says nothing 'delete + list + create' did not
            shown.append(reason)
            if len(shown) == 3:
                break
        return "; ".join(f"{r.kind} '{r.matched}'" for r in shown)

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "score": round(self.score, 3),
            "description": self.description,
            "reasons": [r.to_json() for r in self.reasons],
            "params": dict(self.params),
        }


class Explanation:
    """Every pattern's score, what fired, and what nearly fired (for ``bap explain``)."""

    __slots__ = ("pattern", "score", "fired", "near", "suggested")

    def __init__(
        self,
        pattern: str,
        score: float,
        fired: tuple[Hit, ...],
        near: tuple[Hit, ...],
        suggested: bool,
    ) -> None:
        self.pattern = pattern
        self.score = score
        self.fired = fired
        self.near = near
        self.suggested = suggested


_compiled: dict[int, tuple[Pack, Compiled]] = {}


def compiled(pack: Pack) -> Compiled:
    """The compiled rules of ``pack``, built once per pack object."""
    entry = _compiled.get(id(pack))
    if entry is None or entry[0] is not pack:
        entry = _compiled[id(pack)] = (pack, Compiled(pack.compiled or prepare(pack.triggers)))
    return entry[1]


def _check_input(task: str, code: str | None) -> None:
    if not isinstance(task, str) or not task.strip():
        raise UsageError("the task is empty; describe what you want to build.")
    if len(task) > MAX_TASK_BYTES:
        raise UsageError(f"the task is longer than {MAX_TASK_BYTES:,} characters.")
    if code is not None and len(code) > MAX_CODE_BYTES:
        raise UsageError(f"the code context is longer than {MAX_CODE_BYTES:,} characters.")


def _evaluate(
    task: str, code: str | None, path: str | None, pack: Pack
) -> tuple[Compiled, list[Hit], dict[str, float]]:
    _check_input(task, code)
    rules = compiled(pack)
    hits = rules.hits(task, code, path)
    names = [n for n in rules.order if n in pack.patterns]
    return rules, hits, score(hits, names)


def _reasons(hits: list[Hit], name: str) -> tuple[Reason, ...]:
    return tuple(
        Reason(h.kind, h.label, h.matched, h.weight)
        for h in hits
        if h.pattern == name and h.effect == "add"
    )


def suggest(
    task: str,
    code: str | None = None,
    path: str | None = None,
    top: int = 3,
    pack: Pack | None = None,
) -> list[Suggestion]:
    """Ranked suggestions, best first; an empty list when nothing fits.

    A runner-up is listed only when its score is at least ``RUNNER_UP`` times the top one.
    """
    pack = pack or load_pack()
    rules, hits, scores = _evaluate(task, code, path, pack)
    ranked = sorted(
        (s, -rules.order.index(n), n) for n, s in scores.items() if s >= rules.threshold
    )
    ranked.reverse()
    if ranked:  # runner-ups far below the top are noise, not alternatives
        ranked = [r for r in ranked if r[0] >= RUNNER_UP * ranked[0][0]]
    out: list[Suggestion] = []
    for value, _, name in ranked[: max(top, 0)]:
        from .infer import infer_params

        pattern = pack.patterns[name]
        out.append(
            Suggestion(
                pattern=name,
                score=round(value, 4),
                description=pack.patterns[name].description or rules.descriptions.get(name, ""),
                reasons=_reasons(hits, name),
                params=infer_params(
                    pattern, task, code, path, rules.regex, rules.inference, rules.found
                ),
            )
        )
    return out


def explain(
    task: str, code: str | None = None, path: str | None = None, pack: Pack | None = None
) -> tuple[list[Explanation], list[Hit]]:
    """Every pattern's score with the rules that fired and nearly fired, plus the negatives."""
    pack = pack or load_pack()
    rules, hits, scores = _evaluate(task, code, path, pack)
    near = rules.near_misses(task)
    rows = [
        Explanation(
            pattern=name,
            score=scores[name],
            fired=tuple(h for h in hits if h.pattern == name and h.effect == "add"),
            near=tuple(h for h in near if h.pattern == name),
            suggested=scores[name] >= rules.threshold,
        )
        for name in sorted(scores, key=lambda n: (-scores[n], rules.order.index(n)))
    ]
    negatives = [h for h in hits if h.effect in ("veto", "lower")]
    return rows, negatives
