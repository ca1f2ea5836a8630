"""Scoring a pack's triggers on labelled cases (the format of the shared eval cases).

A positive case is right when the top suggestion is one of ``expect``; a negative case
(``expect: []``) is right when nothing is suggested.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import UsageError
from ..pack import Pack
from ._suggest import suggest

TAG_ORDER = [
    "direct",
    "paraphrase",
    "typo",
    "code",
    "path",
    "ambiguous",
    "negative",
    "near",
    "far",
]


class CaseResult:
    __slots__ = ("case_id", "expect", "got", "ok", "tags", "task")

    def __init__(
        self, case_id: str, task: str, expect: list[str], got: str | None, tags: list[str]
    ) -> None:
        self.case_id = case_id
        self.task = task
        self.expect = expect
        self.got = got
        self.tags = tags
        self.ok = (got in expect) if expect else got is None


def load_cases(path: str) -> list[dict[str, Any]]:
    from ..pack._yaml import load_with_lines

    data, lines = load_with_lines(_path(path))
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a list of cases.")
    for i, case in enumerate(data):
        where = f"{path}:{lines.get((i,), '?')}"
        if not isinstance(case, dict) or not isinstance(case.get("task"), str):
            raise UsageError(f"{where}: each case needs a 'task' string.")
        expect = case.get("expect")
        if not isinstance(expect, list) or not all(isinstance(e, str) for e in expect):
            raise UsageError(f"{where}: 'expect' must be a list of pattern names ([] = none).")
    return data


def _path(path: str) -> Any:
    from pathlib import Path

    return Path(path)


def evaluate(cases: list[dict[str, Any]], pack: Pack) -> tuple[list[CaseResult], list[float]]:
    """Run every case; return the results and the per-case latencies in milliseconds."""
    unknown = {e for c in cases for e in c["expect"] if e not in pack.patterns}
    if unknown:
        from ..errors import UnknownPatternError

        raise UnknownPatternError(sorted(unknown)[0], pack.patterns)
    results: list[CaseResult] = []
    latencies: list[float] = []
    for i, case in enumerate(cases):
        start = time.perf_counter()
        top = suggest(case["task"], case.get("code"), case.get("path"), top=1, pack=pack)
        latencies.append((time.perf_counter() - start) * 1000)
        results.append(
            CaseResult(
                str(case.get("id", i + 1)),
                case["task"],
                case["expect"],
                top[0].pattern if top else None,
                [str(t) for t in case.get("tags") or []],
            )
        )
    return results, latencies


def by_tag(results: list[CaseResult]) -> list[tuple[str, int, int]]:
    """``(tag, cases, correct)`` for every tag, known tags first."""
    counts: dict[str, list[int]] = {}
    for r in results:
        for tag in r.tags:
            entry = counts.setdefault(tag, [0, 0])
            entry[0] += 1
            entry[1] += r.ok
    order = [t for t in TAG_ORDER if t in counts] + sorted(set(counts) - set(TAG_ORDER))
    return [(t, counts[t][0], counts[t][1]) for t in order]


def summary(results: list[CaseResult]) -> dict[str, float]:
    positives = [r for r in results if r.expect]
    negatives = [r for r in results if not r.expect]

    def rate(rows: list[CaseResult]) -> float:
        return sum(r.ok for r in rows) / len(rows) if rows else 1.0

    return {"overall": rate(results), "positives": rate(positives), "negatives": rate(negatives)}
