"""Fitting the rule weights and the threshold of a pack on labelled cases (``bap tune``).

The scorer is a noisy-OR: a pattern's score is ``1 - prod(1 - w)`` over its rules that fired,
times ``1 - w`` for each ``lower`` negative, and 0 after a veto. Written with
``theta = -log(1 - w)`` that is ``s = (1 - exp(-sum theta_add)) * exp(-sum theta_lower)``, so
the weights are fitted by maximising the likelihood of that very model on the labelled cases
(one yes/no row per case and pattern: is the pattern acceptable?), with an L2 penalty that
pulls each ``theta`` towards its hand-set value: a rule that fires on few cases keeps roughly
the weight its author gave it. The weights are clipped to [0.01, 0.99] and rounded to two
decimals; the threshold is then the one that maximises top-1 accuracy on the same cases.

Which rules fire never depends on the weights, so every case is matched once
(``Compiled.hits``) and re-scored cheaply. Cross-validated accuracy (K folds, fixed seed)
compares the hand-set weights with weights fitted on the other folds. Plain functions over
plain data; nothing here is on the hot path.
"""

from __future__ import annotations

import math
import random
from itertools import pairwise
from typing import Any

from ..errors import UsageError
from ..pack import Pack
from ..triggers import Compiled, prepare
from .evaluate import CaseResult, by_tag, summary

LOW, HIGH = 0.01, 0.99  # fitted weights stay in this range
L2 = 1.0  # strength of the pull towards the hand-set weights (in theta units)
SEED = 0
FOLDS = 5
_STEPS = 400


class Model:
    """Weights by rule index and a threshold: everything the scorer needs to rank a case."""

    __slots__ = ("weights", "threshold")

    def __init__(self, weights: list[float], threshold: float) -> None:
        self.weights = weights
        self.threshold = threshold


class Table:
    """The labelled cases, matched once: which rules fired on each, how many times."""

    def __init__(self, cases: list[dict[str, Any]], pack: Pack) -> None:
        unknown = sorted({e for c in cases for e in c["expect"] if e not in pack.patterns})
        if unknown:
            from ..errors import UnknownPatternError

            raise UnknownPatternError(unknown[0], pack.patterns)
        rules = Compiled(pack.compiled or prepare(pack.triggers))
        self.cases = cases
        self.ids = [r.id for r in rules.rules]
        self.patterns = [r.pattern for r in rules.rules]
        self.effects = [r.effect for r in rules.rules]
        self.names = [n for n in rules.order if n in pack.patterns]
        self.hand = Model([r.weight for r in rules.rules], rules.threshold)
        index = {rule_id: i for i, rule_id in enumerate(self.ids)}
        self.fired: list[dict[int, int]] = []
        for case in cases:
            counts: dict[int, int] = {}
            for hit in rules.hits(case["task"], case.get("code"), case.get("path")):
                at = index[hit.rule]
                counts[at] = counts.get(at, 0) + 1
            self.fired.append(counts)

    def scores(self, i: int, model: Model) -> dict[str, float]:
        """Each pattern's score on case ``i``, as ``triggers.score`` computes it."""
        out: dict[str, float] = {}
        fired = self.fired[i]
        for name in self.names:
            miss = 1.0
            for r, count in fired.items():
                if self.patterns[r] == name and self.effects[r] == "add":
                    miss *= (1.0 - min(max(model.weights[r], 0.0), 1.0)) ** count
            value = 1.0 - miss
            for r, count in fired.items():
                if self.patterns[r] in (name, "*"):
                    if self.effects[r] == "veto":
                        value = 0.0
                    elif self.effects[r] == "lower":
                        value *= (1.0 - min(model.weights[r], 1.0)) ** count
            out[name] = value
        return out

    def top(self, i: int, model: Model) -> tuple[float, str]:
        """The best score of case ``i`` and its pattern (pack order breaks ties)."""
        scores = self.scores(i, model)
        best = max(self.names, key=lambda n: (scores[n], -self.names.index(n)))
        return scores[best], best

    def predict(self, i: int, model: Model) -> str | None:
        value, name = self.top(i, model)
        return name if value >= model.threshold else None

    def result(self, i: int, got: str | None) -> CaseResult:
        case = self.cases[i]
        return CaseResult(
            str(case.get("id", i + 1)),
            case["task"],
            case["expect"],
            got,
            [str(t) for t in case.get("tags") or []],
        )


def _theta(weight: float) -> float:
    return -math.log(1.0 - min(max(weight, LOW), HIGH))


def fit_weights(table: Table, train: list[int], l2: float = L2) -> list[float]:
    """Weights fitted on the cases ``train`` (indices); rules that never fire there keep theirs.

    Projected gradient descent with a backtracking line search on the penalised negative
    log-likelihood: deterministic, and enough for a few hundred sparse rows.
    """
    hand = table.hand.weights
    params: dict[int, int] = {}  # rule index -> parameter index
    rows: list[tuple[float, list[tuple[int, int]], list[tuple[int, int]]]] = []
    for i in train:
        fired = table.fired[i]
        expect = table.cases[i]["expect"]
        for name in table.names:
            scoped = [(r, c) for r, c in fired.items() if table.patterns[r] in (name, "*")]
            if any(table.effects[r] == "veto" for r, _ in scoped):
                continue  # a vetoed score is 0 whatever the weights
            add = [(r, c) for r, c in scoped if table.effects[r] == "add"]
            if not add:
                continue  # nothing fired for it: 0 whatever the weights
            low = [(r, c) for r, c in scoped if table.effects[r] == "lower"]
            rows.append(
                (
                    1.0 if name in expect else 0.0,
                    [(params.setdefault(r, len(params)), c) for r, c in add],
                    [(params.setdefault(r, len(params)), c) for r, c in low],
                )
            )
    prior = [0.0] * len(params)
    for r, j in params.items():
        prior[j] = _theta(hand[r])
    lo, hi = _theta(LOW), _theta(HIGH)

    def loss(theta: list[float]) -> float:
        total = 0.5 * l2 * sum((t - p) ** 2 for t, p in zip(theta, prior, strict=True))
        for y, add, low in rows:
            b = sum(theta[j] * c for j, c in add)
            g = sum(theta[j] * c for j, c in low)
            s = min(max((1.0 - math.exp(-b)) * math.exp(-g), 1e-12), 1.0 - 1e-12)
            total -= y * math.log(s) + (1.0 - y) * math.log(1.0 - s)
        return total

    def gradient(theta: list[float]) -> list[float]:
        grad = [l2 * (t - p) for t, p in zip(theta, prior, strict=True)]
        for y, add, low in rows:
            b = sum(theta[j] * c for j, c in add)
            g = sum(theta[j] * c for j, c in low)
            s = min(max((1.0 - math.exp(-b)) * math.exp(-g), 1e-12), 1.0 - 1e-12)
            d_s = -y / s + (1.0 - y) / (1.0 - s)
            d_b = d_s * math.exp(-b - g)
            for j, c in add:
                grad[j] += d_b * c
            for j, c in low:
                grad[j] -= d_s * s * c
        return grad

    theta = [min(max(p, lo), hi) for p in prior]
    current = loss(theta)
    step = 1.0
    for _ in range(_STEPS):
        grad = gradient(theta)
        while True:
            moved = [min(max(t - step * d, lo), hi) for t, d in zip(theta, grad, strict=True)]
            value = loss(moved)
            drop = sum(d * (t - m) for t, m, d in zip(theta, moved, grad, strict=True))
            if value <= current - 1e-4 * drop or step < 1e-8:
                break
            step /= 2
        if current - value < 1e-9:
            theta, current = moved, min(value, current)
            break
        theta, current = moved, value
        step *= 2
    weights = list(hand)
    for r, j in params.items():
        weights[r] = round(min(max(1.0 - math.exp(-theta[j]), LOW), HIGH), 2)
    return weights


def fit_threshold(table: Table, train: list[int], weights: list[float], current: float) -> float:
    """The threshold with the best top-1 accuracy on ``train`` (ties: nearest ``current``).

    Accuracy only changes where the threshold passes a case's best score, so each interval
    between consecutive best scores is tried, at its midpoint.
    """
    tops = [(table.top(i, Model(weights, 0.0)), table.cases[i]["expect"]) for i in train]
    cuts = sorted({value for (value, _), _ in tops} | {0.0, 1.0})
    best: tuple[int, float, float] | None = None  # (correct, -distance, threshold)
    for lo, hi in pairwise(cuts):
        t = round((lo + hi) / 2, 4)
        if not lo < t <= hi:
            t = hi
        correct = sum(
            (name in expect and value >= t) if expect else value < t
            for (value, name), expect in tops
        )
        key = (correct, -abs(t - current), t)
        if best is None or key > best:
            best = key
    return current if best is None else best[2]


def fit(table: Table, train: list[int], l2: float = L2) -> Model:
    weights = fit_weights(table, train, l2)
    return Model(weights, fit_threshold(table, train, weights, table.hand.threshold))


def folds(n: int, k: int, seed: int = SEED) -> list[list[int]]:
    """``k`` folds of the indices ``0..n-1``, shuffled with a fixed seed."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [sorted(order[f::k]) for f in range(k)]


class Tuning:
    """What ``tune`` found: cross-validated results before and after, and the fitted model."""

    def __init__(
        self,
        table: Table,
        before: list[CaseResult],
        after: list[CaseResult],
        model: Model,
        k: int,
        seed: int,
    ) -> None:
        self.table = table
        self.before = before  # hand-set weights (nothing is fitted, so no folds needed)
        self.after = after  # each case scored by weights fitted on the other folds
        self.model = model  # fitted on every case: what --write writes
        self.k = k
        self.seed = seed

    def tags(self) -> list[tuple[str, int, float, float]]:
        """``(tag, cases, accuracy before, accuracy after)``, then ``overall``."""
        after = {t: c for t, _, c in by_tag(self.after)}
        rows = [(t, n, c / n, after[t] / n) for t, n, c in by_tag(self.before)]
        rows.append(
            (
                "overall",
                len(self.before),
                summary(self.before)["overall"],
                summary(self.after)["overall"],
            )
        )
        return rows

    def changes(self) -> list[tuple[str, float, float]]:
        """``(rule id, hand-set weight, fitted weight)`` for every weight that changed."""
        t = self.table
        return [
            (t.ids[r], old, new)
            for r, (old, new) in enumerate(zip(t.hand.weights, self.model.weights, strict=True))
            if round(old, 4) != round(new, 4)
        ]


def tune(
    cases: list[dict[str, Any]], pack: Pack, k: int = FOLDS, seed: int = SEED, l2: float = L2
) -> Tuning:
    """Fit the weights and threshold of ``pack`` on ``cases``; cross-validate with ``k`` folds."""
    if k < 2 or k > len(cases):
        raise UsageError(
            f"the number of folds must be from 2 to the number of cases ({len(cases)})."
        )
    table = Table(cases, pack)
    everyone = list(range(len(cases)))
    before = [table.result(i, table.predict(i, table.hand)) for i in everyone]
    got: dict[int, str | None] = {}
    for held in folds(len(cases), k, seed):
        out = set(held)
        model = fit(table, [i for i in everyone if i not in out], l2)
        for i in held:
            got[i] = table.predict(i, model)
    after = [table.result(i, got[i]) for i in everyone]
    return Tuning(table, before, after, fit(table, everyone, l2), k, seed)


# -- writing the numbers back into triggers.yaml ------------------------------------------


def rewrite(text: str, weights: dict[str, float], threshold: float | None) -> str:
    """``text`` (a ``triggers.yaml``) with these rule weights and threshold, nothing else moved.

    Only the characters of each number change: comments, quoting, flow ``{id: x, ...}`` and
    block rules stay as they are. A rule without ``weight:`` gets one after its ``kind`` (in
    a block rule, on a new line at the same indentation). The result is parsed again and must
    equal the old data with just those numbers changed.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = yaml.compose(text, Loader=loader)
    if not isinstance(root, yaml.MappingNode):
        raise UsageError("triggers.yaml is not a mapping.")
    top = {k.value: v for k, v in root.value}
    edits: list[tuple[int, int, str]] = []
    newline = "\r\n" if "\r\n" in text else "\n"

    def number(value: float) -> str:
        return repr(round(value, 4))

    rules = top.get("rules")
    seen: set[str] = set()
    for item in rules.value if isinstance(rules, yaml.SequenceNode) else []:
        if not isinstance(item, yaml.MappingNode):
            continue
        keys = {k.value: (k, v) for k, v in item.value}
        rule_id = keys.get("id", (None, None))[1]
        if rule_id is None or rule_id.value not in weights:
            continue
        seen.add(rule_id.value)
        value = number(weights[rule_id.value])
        if "weight" in keys:
            node = keys["weight"][1]
            edits.append((node.start_mark.index, node.end_mark.index, value))
            continue
        key, after = next(keys[k] for k in ("kind", "pattern", "id") if k in keys)
        end = after.end_mark.index
        if item.flow_style:
            edits.append((end, end, f", weight: {value}"))
        else:
            eol = text.find("\n", end)
            eol = len(text) if eol == -1 else eol - (text[eol - 1 : eol] == "\r")
            indent = " " * key.start_mark.column
            edits.append((eol, eol, f"{newline}{indent}weight: {value}"))
    missing = sorted(set(weights) - seen)
    if missing:
        raise UsageError(f"triggers.yaml has no rule '{missing[0]}'.")
    if threshold is not None:
        settings = top.get("settings")
        found = None
        if isinstance(settings, yaml.MappingNode):
            found = next((v for k, v in settings.value if k.value == "threshold"), None)
        if found is not None:
            edits.append((found.start_mark.index, found.end_mark.index, number(threshold)))
        elif isinstance(settings, yaml.MappingNode) and settings.value and not settings.flow_style:
            first = settings.value[0][0]
            at = first.start_mark.index
            edits.append(
                (at, at, f"threshold: {number(threshold)}{newline}{' ' * first.start_mark.column}")
            )
        else:
            raise UsageError("triggers.yaml has no block 'settings:' to hold the threshold.")
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    _check_rewrite(text, out, weights, threshold)
    return out


def _check_rewrite(old: str, new: str, weights: dict[str, float], threshold: float | None) -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    expected = yaml.load(old, Loader=loader)
    for rule in expected.get("rules") or []:
        if isinstance(rule, dict) and rule.get("id") in weights:
            rule["weight"] = round(weights[rule["id"]], 4)
    if threshold is not None:
        expected.setdefault("settings", {})["threshold"] = round(threshold, 4)
    if yaml.load(new, Loader=loader) != expected:  # pragma: no cover - a bug, not bad input
        raise RuntimeError("rewriting triggers.yaml would change more than its weights.")
