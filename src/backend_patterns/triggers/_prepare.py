"""Preparing the rules of ``triggers.yaml`` for the matcher, once per pack (then cached).

Everything here runs when a pack is parsed, never per prompt: each rule's entries are prepared
by its kind (vocabulary groups expanded, phrases stemmed, regexes checked), and each rule gets
a *gate*, the words or literal strings without which it cannot fire, so that the matcher only
looks at the rules a task can possibly trigger. That keeps the cost per task flat as a pack
grows. The result is plain data (marshal-able): no compiled regex programs.
"""

from __future__ import annotations

import sys
from typing import Any

from ..inflect import stem
from ._base import Prep
from ._regex import BadRegex, analyse
from ._registry import kinds
from ._tokens import common_words

# Above this many regexes, a fresh pack's regexes are analysed by two processes at once.
PARALLEL_FROM = 2000


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _analyse(sources: list[str]) -> list[list[str] | None]:
    return [analyse(source) for source in sources]


def _analyse_all(sources: list[str]) -> dict[str, list[str] | None]:
    """Check every regex and find its literals. Parsing is pure Python (tens of microseconds
    each), so a large pack splits the work over two forked processes; anything unexpected
    falls back to one."""
    if len(sources) < PARALLEL_FROM or sys.platform != "linux":
        return dict(zip(sources, _analyse(sources), strict=True))
    import multiprocessing

    half = len(sources) // 2
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            pending = pool.apply_async(_analyse, (sources[half:],))
            first = _analyse(sources[:half])
            second = pending.get(timeout=120)
    except BadRegex:
        raise
    except Exception:  # no fork, a dead worker: do it all here
        return dict(zip(sources, _analyse(sources), strict=True))
    return dict(zip(sources, first + second, strict=True))


def _rule(raw: dict[str, Any], prep: Prep) -> dict[str, Any]:
    kind = kinds()[raw["kind"]]

    def items(value: Any) -> list[Any]:
        return [p for item in as_list(value) for p in kind.prepare(item, prep, raw)]

    paths = raw.get("paths") or {}
    return {
        "id": raw["id"],
        "pattern": raw.get("pattern", "*"),
        "kind": raw["kind"],
        "weight": float(raw.get("weight", 1.0)),
        "message": str(raw.get("message", "")),
        "any": items(raw.get("any")),
        "all": [items(a) for a in as_list(raw.get("all"))],
        "not": items(raw.get("not")),
        "min": int(raw.get("min", 1)),
        "effect": kind.effect(raw),
        "needs": kind.needs(raw),
        "include": as_list(paths.get("include")),
        "exclude": as_list(paths.get("exclude")),
        "reads": kind.reads(raw),
    }


def prepare(triggers: dict[str, Any]) -> dict[str, Any]:
    """Turn validated ``triggers.yaml`` data into the matcher's ready form (marshal-able)."""
    settings = triggers.get("settings") or {}
    vocabulary = {k: as_list(v) for k, v in (triggers.get("vocabulary") or {}).items()}
    prep = Prep(vocabulary)
    rules = [_rule(raw, prep) for raw in triggers["rules"]]
    try:
        literals = _analyse_all(sorted(prep.regexes))
    except BadRegex as exc:  # name the regex as it is written in the pack
        raise BadRegex(prep.regexes.get(exc.source, exc.source), exc.reason) from None
    registry = kinds()
    for rule in rules:
        rule["gate"] = registry[rule["kind"]].gate(rule, literals)
    known = sorted(
        {
            s
            for r in rules
            if r["reads"] == "stems"
            for phrase, _ in [*r["any"], *(p for g in r["all"] for p in g), *r["not"]]
            for s in phrase
        }
    )
    common = common_words() | {w.lower() for w in as_list(settings.get("common_words"))}
    fuzzy = sorted(w for w in prep.fuzzy if w not in common)
    return {
        "threshold": float(settings.get("threshold", 0.5)),
        "max_task_chars": int(settings.get("max_task_chars", 20_000)),
        "max_code_chars": int(settings.get("max_code_chars", 2_000_000)),
        "descriptions": {
            n: str(i.get("description", "")) for n, i in (triggers.get("patterns") or {}).items()
        },
        "rules": rules,
        "known_stems": known,
        "fuzzy_words": fuzzy,
        "common": sorted(common),
        "fuzzy_stems": {w: stem(w) for w in fuzzy},
        "literals": {k: v for k, v in literals.items() if v},
        "inference": triggers.get("inference") or {},
    }
