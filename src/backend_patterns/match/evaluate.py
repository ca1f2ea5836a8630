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


# The keys a case may have, and what each must be: "text" a string, "names" a list of strings;
# "?" lets it be null. Only task and expect are required.
CASE_KEYS = {
    "id": "id",
    "task": "text",
    "code": "text?",
    "path": "text?",
    "expect": "names",
    "tags": "names?",
    "source": "text?",
    "note": "text?",
}
_SAYS = {
    "id": "a string or a number",
    "text": "a string",
    "names": "a list of strings",
}


def _fits(value: Any, want: str) -> bool:
    if want.endswith("?"):
        if value is None:
            return True
        want = want[:-1]
    if want == "id":
        return isinstance(value, str | int) and not isinstance(value, bool)
    if want == "text":
        return isinstance(value, str)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def load_cases(path: str) -> list[dict[str, Any]]:
    """The labelled cases of a YAML file, every field checked: a ``UsageError`` names the
    file and line of the first one that is wrong."""
    from ..pack._yaml import load_with_lines

    data, lines = load_with_lines(_path(path))
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a list of cases.")
    for i, case in enumerate(data):
        where = f"{path}:{lines.get((i,), '?')}"
        if not isinstance(case, dict):
            raise UsageError(f"{where}: each case is a mapping with a 'task' string.")
        for key in ("task", "expect"):
            if key not in case:
                raise UsageError(f"{where}: the case has no '{key}'.")
        for key, value in case.items():
            at = f"{path}:{lines.get((i, key), lines.get((i,), '?'))}"
            want = CASE_KEYS.get(key)
            if want is None:
                raise UsageError(
                    f"{at}: unknown key '{key}' in a case (keys: {', '.join(CASE_KEYS)})."
                )
            if not _fits(value, want):
                says = _SAYS[want.rstrip("?")] + (" or null" if want.endswith("?") else "")
                hint = " ([] = none)" if key == "expect" else ""
                raise UsageError(f"{at}: '{key}' must be {says}{hint}, not {_kind(value)}.")
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "a list holding a non-string"
    return "a mapping" if isinstance(value, dict) else type(value).__name__


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
