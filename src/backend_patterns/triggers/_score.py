"""A pattern's score from the rules that fired: positive evidence combined, then negatives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._model import Hit


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
