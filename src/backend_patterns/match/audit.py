"""Auditing a pack's triggers against labelled cases (``bap validate --strict``).

What makes a trigger file heavier than it needs to be: sentence-shaped entries (phrases of
three words or more, regexes or globs over 40 characters) that match at most one labelled case,
duplicate entries within a rule or a vocabulary group, the same regex as evidence in two rules
of one pattern, regexes too long to read, and rules that no case fires. Each problem names the
line of ``triggers.yaml`` it is on. Plain functions over plain data; nothing here is on the hot
path.

Short entries are vocabulary: a word or two ("pubsub", "hstore", "unit of work" aside) names a
thing developers say whether or not a labelled case happens to, so rarity alone does not flag
it. Single words that share a stem ("method", "methods") are not duplicates either: typo
correction maps a misspelt word onto the nearest surface form ("methds" is one edit from
"methods", two from "method"), so each surface form can matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..pack import TRIGGERS, Pack
from ..triggers import Compiled, Inputs, Prep, kinds, prepare

MAX_REGEX = 200
REGEX_KINDS = ("intent", "code", "negative")
# An entry is sentence-shaped, and so must earn its place on labelled cases, from this many
# words (a phrase) or characters (a regex or a glob).
PHRASE_WORDS = 3
PATTERN_CHARS = 40


def sentence_shaped(kind: str, item: str) -> bool:
    """Whether ``item`` is long enough that matching at most one labelled case flags it."""
    if item.startswith("@"):
        return False  # a group: its members are audited one by one
    if kind == "keyword":
        return len(item.split()) >= PHRASE_WORDS
    return len(item) > PATTERN_CHARS


def _same_entry(item: str, first: str) -> bool:
    """Whether two entries with the same prepared form repeat each other (see the docstring)."""
    if len(item.split()) == 1:
        return " ".join(item.lower().split()) == " ".join(first.lower().split())
    return True


class Problem:
    __slots__ = ("line", "subject", "message")

    def __init__(self, line: int, subject: str, message: str) -> None:
        self.line = line
        self.subject = subject  # a rule id, or @group for a vocabulary group
        self.message = message

    def __str__(self) -> str:
        return f"{TRIGGERS}:{self.line}: [{self.subject}] {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.line}, {self.subject!r}, {self.message!r})"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _entries(raw: dict[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...], str]]:
    """``(list name, key path inside the rule, entry)`` for every entry of any/all/not."""
    for name in ("any", "not"):
        value = raw.get(name)
        for j, item in enumerate(_as_list(value)):
            yield name, ((name, j) if isinstance(value, list) else (name,)), item
    groups = raw.get("all")
    for g, group in enumerate(_as_list(groups)):
        for j, item in enumerate(_as_list(group)):
            where: tuple[str | int, ...] = ("all", g, j) if isinstance(group, list) else ("all", g)
            yield f"all[{g}]", where if isinstance(groups, list) else ("all",), item


Matcher = Callable[[Inputs], bool]


def _matcher(rules: Compiled, kind: str, raw: dict[str, Any], forms: list[Any]) -> Matcher | None:
    """Whether one entry (its prepared forms) matches one case's inputs; None: not text."""
    if kind == "keyword":
        phrases = [phrase for phrase, _ in forms if phrase]
        return lambda inp: any(inp.view.find(p) is not None for p in phrases)
    if kind in REGEX_KINDS:
        if kind == "code" or (kind == "negative" and raw.get("context") == "code"):
            return lambda inp: (
                bool(inp.code)
                and any(rules.search(s, inp.code or "", inp.code_lower) for s in forms)
            )

        def on_task(inp: Inputs) -> bool:
            view = inp.view
            texts = [view.text] + ([view.corrected] if view.corrected is not view.text else [])
            return any(rules.search(s, t, inp.task_lower) for s in forms for t in texts if t)

        return on_task
    if kind == "path":
        return lambda inp: (
            bool(inp.path) and any(rules.glob(g).search(inp.path or "") for g in forms)
        )
    return None


def _count(match: Matcher, inputs: list[Inputs]) -> int:
    return sum(1 for inp in inputs if match(inp))


def audit(
    pack: Pack,
    cases: list[dict[str, Any]],
    lines: dict[tuple[str | int, ...], int],
    max_regex: int = MAX_REGEX,
) -> list[Problem]:
    """The problems of ``pack``'s triggers on ``cases``, in line order.

    ``lines`` maps key paths of ``triggers.yaml`` to lines (``pack._yaml.load_with_lines``).
    """
    triggers = pack.triggers
    rules = Compiled(prepare(triggers))
    registry = kinds()
    vocabulary = {k: _as_list(v) for k, v in (triggers.get("vocabulary") or {}).items()}
    inputs = [rules.inputs(c["task"], c.get("code"), c.get("path")) for c in cases]
    problems: list[Problem] = []
    fired: set[str] = set()
    for case in cases:
        fired.update(h.rule for h in rules.hits(case["task"], case.get("code"), case.get("path")))
    regexes: dict[tuple[str, str], tuple[str, int]] = {}  # (pattern, regex) -> (rule, line)
    used_groups: dict[str, None] = {}

    def line_of(*where: str | int) -> int:
        for cut in range(len(where), 0, -1):
            if where[:cut] in lines:
                return lines[where[:cut]]
        return 0

    for i, raw in enumerate(triggers.get("rules") or []):
        rule_id, kind_name = str(raw["id"]), str(raw["kind"])
        kind = registry[kind_name]
        if rule_id not in fired:
            problems.append(
                Problem(line_of("rules", i, "id"), rule_id, "fires on no labelled case")
            )
        seen: dict[tuple[str, Any], tuple[str, int]] = {}
        for name, where, item in _entries(raw):
            line = line_of("rules", i, *where)
            item = str(item)
            forms = kind.prepare(item, Prep(vocabulary), raw)
            if kind_name == "keyword":
                key: Any = tuple(tuple(p) for p, _ in forms)
                if item.startswith("@"):
                    used_groups[item[1:]] = None
            else:
                key = tuple(forms)
            repeated = (name, key) in seen and _same_entry(item, seen[(name, key)][0])
            if repeated:
                first, at = seen[(name, key)]
                problems.append(
                    Problem(
                        line,
                        rule_id,
                        f"duplicate entry '{item}' in {name} (as '{first}', line {at})",
                    )
                )
            else:
                seen.setdefault((name, key), (item, line))
            if kind_name in REGEX_KINDS:
                if len(item) > max_regex:
                    problems.append(
                        Problem(
                            line,
                            rule_id,
                            f"regex of {len(item)} characters (over {max_regex}): '{item[:40]}…'",
                        )
                    )
                # evidence counted twice for one pattern; a regex that is a condition
                # (all) or an exclusion (not) of other rules is no repetition
                other = (
                    regexes.setdefault((str(raw["pattern"]), item), (rule_id, line))
                    if name == "any"
                    else (rule_id, line)
                )
                if other[0] != rule_id:
                    problems.append(
                        Problem(
                            line,
                            rule_id,
                            f"regex '{item}' is also in [{other[0]}] (line {other[1]})",
                        )
                    )
            match = _matcher(rules, kind_name, raw, forms)
            if match is None or repeated or not sentence_shaped(kind_name, item):
                continue
            n = _count(match, inputs)
            if n <= 1:
                what = "group" if item.startswith("@") else _WHAT.get(kind_name, "entry")
                problems.append(Problem(line, rule_id, f"{what} '{item}' {_matches(n)}"))
    keyword = registry.get("keyword")
    for group in used_groups if keyword is not None else ():
        seen_member: dict[tuple[str, ...], tuple[str, int]] = {}
        for j, member in enumerate(vocabulary.get(group, [])):
            line = line_of("vocabulary", group, j)
            forms = keyword.prepare(str(member), Prep(vocabulary), {})  # type: ignore[union-attr]
            key = tuple(forms[0][0]) if forms else ()
            if key in seen_member and _same_entry(str(member), seen_member[key][0]):
                first, at = seen_member[key]
                problems.append(
                    Problem(
                        line, f"@{group}", f"duplicate member '{member}' (as '{first}', line {at})"
                    )
                )
                continue
            seen_member.setdefault(key, (str(member), line))
            if not sentence_shaped("keyword", str(member)):
                continue
            match = _matcher(rules, "keyword", {}, forms)
            if match is not None and (n := _count(match, inputs)) <= 1:
                problems.append(Problem(line, f"@{group}", f"phrase '{member}' {_matches(n)}"))
    return sorted(problems, key=lambda p: p.line)


_WHAT = {
    "keyword": "phrase",
    "intent": "regex",
    "code": "regex",
    "negative": "regex",
    "path": "glob",
}


def _matches(n: int) -> str:
    return "matches no labelled case" if n == 0 else "matches only 1 labelled case"


def counts(problems: list[Problem]) -> dict[str, int]:
    """How many problems of each sort (for a summary line)."""
    out: dict[str, int] = {}
    for p in problems:
        sort = (
            "rarely matching entries"
            if "labelled case" in p.message and "fires" not in p.message
            else "rules firing on no case"
            if "fires on no" in p.message
            else "duplicate entries"
            if p.message.startswith("duplicate")
            else "regexes in two rules"
            if "is also in" in p.message
            else "long regexes"
        )
        out[sort] = out.get(sort, 0) + 1
    return out
