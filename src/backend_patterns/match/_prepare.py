"""Preparing the rules of ``triggers.yaml`` for the matcher, once per pack (then cached).

Everything here runs when a pack is parsed, never per prompt: vocabulary groups are expanded,
phrases stemmed, regexes compiled to programs, and each rule gets a *gate*, the words or
literal strings without which it cannot fire, so that the matcher only looks at the rules a
task can possibly trigger. That keeps the cost per task flat as a pack grows.
"""

from __future__ import annotations

import re
import sys
from array import array
from typing import Any

from ..inflect import stem
from ._tokens import COMMON, words


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def glob_regex(glob: str) -> str:
    """``**/routes/*.py`` -> a regex over POSIX paths; ``**`` spans folders, ``*`` does not."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "[":
            end = glob.find("]", i + 2)
            if end != -1:  # a character class: [0-9], [!_]
                body = glob[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end + 1
                continue
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return "".join(out) + r"\Z"


class BadRegex(ValueError):
    """A regex of the pack that does not compile; the loader names its rule and line."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)  # both in args, so it survives pickling
        self.source = source
        self.reason = reason


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_LEADING_WORD = re.compile(r"\\b([A-Za-z_][A-Za-z0-9_]*)(?![?*+{\w])")


def code_regex(source: str) -> str:
    """A code-context regex rewritten to search fast on long code, with the same matches.

    Code is case-sensitive, and a case-sensitive pattern that starts with a literal is found
    by a fast scan instead of an attempt at every position (about 15x faster on 1 MB). A
    leading ``\\bword`` becomes ``word(?<!\\wword)``, which matches the same text but starts
    with the literal.
    """
    flags = _GLOBAL_FLAGS.match(source)
    head = flags.group(0) if flags else ""
    body = source[len(head) :]
    found = _LEADING_WORD.match(body)
    if found:
        word = found.group(1)
        body = f"{word}(?<!\\w{word}){body[found.end() :]}"
    return f"{head}(?-i:{body})"


def parse_regex(source: str) -> Any:
    """The parse tree of ``source`` (case-insensitive), or ``BadRegex``."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        return _parser.parse(source, re.IGNORECASE)
    except re.error as exc:
        raise BadRegex(source, str(exc)) from None
    except (RecursionError, OverflowError) as exc:
        raise BadRegex(source, type(exc).__name__) from None


# Above this many regexes, a fresh pack's regexes are parsed by two processes at once.
PARALLEL_FROM = 2000


def _analyse(sources: list[str]) -> list[tuple[list[str] | None, list[Any] | None]]:
    """Each source's required literals (and, for small packs, its program)."""
    with_programs = len(sources) <= PROGRAMS_FOR_ALL
    out = []
    for source in sources:
        tree = parse_regex(source)
        out.append((_sequence(list(tree)), regex_program(source, tree) if with_programs else None))
    return out


def _analyse_all(sources: list[str]) -> dict[str, tuple[list[str] | None, list[Any] | None]]:
    """Parse every regex once. Parsing is pure Python (tens of microseconds each), so a large
    pack splits the work over two forked processes; anything unexpected falls back to one."""
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


def regex_program(source: str, parsed: Any) -> list[Any] | None:
    """What ``re.compile(source, re.I)`` hands to ``_sre.compile``, in marshal-able form.

    Parsing a regular expression is pure Python and costs tens of microseconds. Keeping the
    program in the pack cache removes that cost from every prompt. It is only valid for this
    interpreter: the cache holds ``sys.version`` and the loader falls back to ``re.compile``
    on any mismatch.
    """
    try:
        from re import _compiler  # type: ignore[attr-defined]

        code = _compiler._code(parsed, re.IGNORECASE)
        groupindex = dict(parsed.state.groupdict)
        indexgroup = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        flags = int(re.IGNORECASE | parsed.state.flags)
        packed = array("I", [int(c) for c in code]).tobytes()  # bytes: marshal loads them at once
        return [flags, packed, parsed.state.groups - 1, groupindex, indexgroup]
    except re.error as exc:
        raise BadRegex(source, str(exc)) from None
    except Exception:  # an internal difference: compile at run time instead
        return None


# Above this many regexes, only those of ungated rules (checked on every prompt) get a cached
# program; a gated rule compiles its regex the first time its gate lets a task through.
PROGRAMS_FOR_ALL = 1000


def prepare(triggers: dict[str, Any]) -> dict[str, Any]:
    """Turn validated ``triggers.yaml`` data into the matcher's ready form (marshal-able)."""
    settings = triggers.get("settings") or {}
    vocabulary = {k: _as_list(v) for k, v in (triggers.get("vocabulary") or {}).items()}
    raw_words: set[str] = set()
    regexes: set[str] = set()
    originals: dict[str, str] = {}  # code regexes are rewritten (code_regex); errors name these
    globs: set[str] = set()  # regexes made from globs: always valid, gated by their literals
    rules: list[dict[str, Any]] = []
    for raw in triggers["rules"]:
        kind = raw["kind"]
        on_code = kind == "code" or raw.get("context") == "code"

        def items(value: Any, kind: str = kind, on_code: bool = on_code) -> list[Any]:
            out: list[Any] = []
            for item in _as_list(value):
                group = item[1:] if kind == "keyword" and item.startswith("@") else None
                expanded = vocabulary.get(group, []) if group else [item]
                for text in expanded:
                    if kind == "keyword":
                        parts = words(text)
                        raw_words.update(p for p in parts if len(p) >= 5)
                        out.append([[stem(p) for p in parts], text])
                    elif kind == "path":
                        out.append(text)
                        globs.add(glob_regex(text))
                    else:
                        source = code_regex(text) if on_code else text
                        originals[source] = text
                        out.append(source)
                        regexes.add(source)
            return out

        paths = raw.get("paths") or {}
        include, exclude = _as_list(paths.get("include")), _as_list(paths.get("exclude"))
        globs.update(glob_regex(g) for g in include + exclude)
        rules.append(
            {
                "id": raw["id"],
                "pattern": raw.get("pattern", "*"),
                "kind": kind,
                "weight": float(raw.get("weight", 1.0)),
                "message": str(raw.get("message", "")),
                "any": items(raw.get("any")),
                "all": [items(a) for a in _as_list(raw.get("all"))],
                "not": items(raw.get("not")),
                "min": int(raw.get("min", 1)),
                "effect": str(raw.get("effect", "veto" if kind == "negative" else "add")),
                "needs": "code" if raw.get("context") == "code" else raw.get("needs"),
                "context": raw.get("context", "task"),
                "include": include,
                "exclude": exclude,
            }
        )
    known = sorted(
        {
            s
            for r in rules
            if r["kind"] == "keyword"
            for phrase, _ in [*r["any"], *(p for g in r["all"] for p in g), *r["not"]]
            for s in phrase
        }
    )
    common = COMMON | {w.lower() for w in _as_list(settings.get("common_words"))}
    fuzzy = sorted(w for w in raw_words if w not in common)
    from . import infer

    regexes.update(
        infer.source(name) for name in infer.SOURCES
    )  # parameter inference, precompiled too
    try:
        analysed = _analyse_all(sorted(regexes))
    except BadRegex as exc:  # name the regex as it is written in the pack
        raise BadRegex(originals.get(exc.source, exc.source), exc.reason) from None
    required = {source: req for source, (req, _) in analysed.items()}
    wanted: set[str] = set()
    for rule in rules:
        rule["gate"] = _gate(rule, required)
        if not rule["gate"]:
            wanted.update(_sources(rule))
    if len(regexes) + len(globs) <= PROGRAMS_FOR_ALL:
        wanted = set(regexes) | globs
    programs: dict[str, list[Any] | None] = {}
    for source in sorted(wanted):
        if source in analysed:
            programs[source] = analysed[source][1] or regex_program(source, parse_regex(source))
        elif source in globs:
            programs[source] = regex_program(source, parse_regex(source))
    return {
        "python": sys.version,
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
        "programs": {k: v for k, v in programs.items() if v is not None},
        "literals": {k: v for k, v in required.items() if v},
    }


def _sources(rule: dict[str, Any]) -> list[str]:
    """Every regex source a rule evaluates (globs as their regexes)."""
    if rule["kind"] == "keyword":
        return []
    items = [*rule["any"], *rule["not"], *(s for g in rule["all"] for s in g)]
    if rule["kind"] == "path":
        return [glob_regex(g) for g in items]
    return items


def _gate(rule: dict[str, Any], required: dict[str, list[str] | None]) -> list[str]:
    """What must be present for ``rule`` to fire: stems (keyword rules) or lower-case literal
    strings (regex rules), any one of which suffices. An empty list means no gate."""
    if rule["kind"] == "keyword":
        phrases = rule["any"] or (rule["all"][0] if rule["all"] else [])
        return sorted({phrase[0] for phrase, _ in phrases if phrase})
    if rule["kind"] == "path":
        literals = [_glob_literal(g) for g in rule["any"]]
        return sorted(set(literals)) if literals and all(literals) else []  # type: ignore[arg-type]
    else:
        sources = list(rule["any"]) or (list(rule["all"][0]) if rule["all"] else [])
    alternatives: set[str] = set()
    for source in sources:
        needed = required.get(source)
        if not needed:
            return []  # one source that needs nothing: the rule cannot be gated
        alternatives.update(needed)
    return sorted(alternatives)


def _glob_literal(glob: str) -> str | None:
    """The longest wildcard-free piece of a glob (lower case), if it has one of 3+ characters."""
    pieces = re.split(r"[*?\[\]]+", glob.lower())
    best = max(pieces, key=len, default="")
    return best if len(best.strip("/")) >= 3 else None


def required_literals(source: str) -> list[str] | None:
    """Lower-case strings, one of which every match of ``source`` contains; None if unknown.

    Works on the parse tree: a run of literal characters in a top-level sequence is required,
    and so is one of the alternatives of a branch when every alternative requires something.
    """
    return _sequence(list(parse_regex(source)))


def _better(best: list[str] | None, candidate: list[str] | None) -> list[str] | None:
    if not candidate:
        return best
    if best is None:
        return candidate
    score = min(map(len, candidate)) - len(candidate) / 8
    return candidate if score > min(map(len, best)) - len(best) / 8 else best


def _sequence(items: list[Any]) -> list[str] | None:
    from re import _constants as c  # type: ignore[attr-defined]

    best: list[str] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best, run
        if len(run) >= 2:
            best = _better(best, ["".join(run)])
        run = []

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av).lower())
            continue
        flush()
        if op is c.SUBPATTERN:
            best = _better(best, _sequence(list(av[-1])))
        elif op is c.BRANCH:
            options = [_sequence(list(branch)) for branch in av[1]]
            if options and all(options):
                best = _better(best, sorted({s for o in options if o for s in o}))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            best = _better(best, _sequence(list(av[2])))
    flush()
    return best
