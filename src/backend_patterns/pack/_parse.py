"""Parsing and validating a pack's files: what ``load_pack`` does when its cache is cold.

The structure is checked by the schemas (``_schema.py``, with each trigger kind's own part);
what a schema cannot say is checked here, one small function each: rule ids are unique, every
rule names a pattern the pack has, templates exist, regexes compile. None of it runs on a warm
start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PackError, did_you_mean
from ..triggers import BadRegex, kinds, prepare
from ..triggers._regex import analyse
from ._locate import PATTERN_FILE, TRIGGERS, source_files
from ._schema import PATTERN_SCHEMA, TRIGGERS_SCHEMA, Checker, line_of, rule_schema
from ._yaml import load_with_lines

Lines = dict[Any, int]
_LISTS = ("any", "all", "not")


def parse(root_dir: str) -> dict[str, Any]:
    """Parse and validate every file of the pack into marshal-able plain data."""
    root = Path(root_dir)
    patterns: dict[str, Any] = {}
    for path in map(Path, source_files(root_dir)[1:]):
        data, plines = load_with_lines(path)
        patterns[path.parent.name] = _check_pattern(data, plines, str(path))
    triggers_path = root / TRIGGERS
    triggers, lines = load_with_lines(triggers_path)
    where = str(triggers_path)
    _normalise(triggers)
    Checker(TRIGGERS_SCHEMA).check(triggers, lines, where)
    _check_rules(triggers, lines, where)
    for name in triggers["patterns"]:
        if name not in patterns:
            expected = root / "patterns" / name / PATTERN_FILE
            raise PackError(
                f"pattern '{name}' is declared but {expected} is missing.",
                path=where,
                line=lines.get(("patterns", name)),
            )
    try:
        compiled = prepare(triggers)
    except BadRegex as exc:
        rule_id, line = _locate_regex(triggers, lines, exc.source)
        raise PackError(
            f"regex {exc.source!r} does not compile: {exc.reason}.",
            path=where,
            line=line,
            rule_id=rule_id,
        ) from None
    return {"triggers": triggers, "patterns": patterns, "compiled": compiled}


def _normalise(triggers: Any) -> None:
    """A lone string where a list is allowed becomes a list of one (lines stay valid)."""
    if not isinstance(triggers, dict):
        return
    vocabulary = triggers.get("vocabulary")
    if isinstance(vocabulary, dict):
        for word, variants in vocabulary.items():
            if isinstance(variants, str):
                vocabulary[word] = [variants]
    for rule in triggers.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        for key in _LISTS:
            if isinstance(rule.get(key), str):
                rule[key] = [rule[key]]
        paths = rule.get("paths")
        if isinstance(paths, dict):
            for key in ("include", "exclude"):
                if isinstance(paths.get(key), str):
                    paths[key] = [paths[key]]


def _check_rules(triggers: dict[str, Any], lines: Lines, path: str) -> None:
    registry = kinds()
    checkers: dict[str, Checker] = {}
    patterns = list(triggers["patterns"])
    vocabulary = triggers.get("vocabulary") or {}
    for i, row in enumerate(triggers.get("selection") or []):
        _check_target(row["pattern"], patterns, lines, path, ("selection", i, "pattern"), None)
    seen: dict[str, int] = {}
    for i, rule in enumerate(triggers["rules"]):
        at = ("rules", i)
        rule_id = rule["id"]
        if rule_id in seen:
            raise PackError(
                f"duplicate rule id (first at line {seen[rule_id]}).",
                path=path,
                line=lines.get(at),
                rule_id=rule_id,
            )
        seen[rule_id] = lines.get(at, 0)
        kind = registry.get(str(rule["kind"]))
        if kind is None:
            guess = did_you_mean(str(rule["kind"]), registry)
            raise PackError(
                f"unknown kind '{rule['kind']}'.",
                path=path,
                line=lines.get((*at, "kind")),
                rule_id=rule_id,
                hint=f"Did you mean '{guess}'?"
                if guess
                else f"Allowed: {', '.join(sorted(registry))}.",
            )
        checker = checkers.get(kind.name)
        if checker is None:
            checker = checkers[kind.name] = Checker(rule_schema(kind.item_schema, kind.properties))
        checker.check(rule, lines, path, base=at, rule_id=rule_id)
        target = rule.get("pattern", "*" if kind.any_pattern else None)
        if not (kind.any_pattern and target == "*"):
            _check_target(target, patterns, lines, path, (*at, "pattern"), rule_id)
        for key in _LISTS:
            for j, item in enumerate(rule.get(key) or []):
                problem = kind.check_item(item, vocabulary)
                if problem is not None:
                    message, hint = problem
                    raise PackError(
                        message,
                        path=path,
                        line=line_of(lines, (*at, key, j)),
                        rule_id=rule_id,
                        hint=hint,
                    )


def _check_target(
    target: Any,
    patterns: list[str],
    lines: Lines,
    path: str,
    where: tuple[Any, ...],
    rule_id: str | None,
) -> None:
    if target in patterns:
        return
    guess = did_you_mean(str(target), patterns)
    raise PackError(
        f"unknown pattern '{target}'.",
        path=path,
        line=line_of(lines, where),
        rule_id=rule_id,
        hint=f"Did you mean '{guess}'?" if guess else None,
    )


def _locate_regex(
    triggers: dict[str, Any], lines: Lines, source: str
) -> tuple[str | None, int | None]:
    """The rule id and line of the first place ``source`` is written."""
    for i, rule in enumerate(triggers.get("rules") or []):
        for key in _LISTS:
            for j, value in enumerate(rule.get(key) or []):
                if value == source:
                    return rule.get("id"), line_of(lines, ("rules", i, key, j))
    return None, None


_PATTERN_CHECKER: list[Checker] = []


def _check_pattern(data: Any, lines: Lines, path: str) -> Any:
    if not _PATTERN_CHECKER:
        _PATTERN_CHECKER.append(Checker(PATTERN_SCHEMA))
    _PATTERN_CHECKER[0].check(data, lines, path)
    directory = Path(path).parent
    for i, spec in enumerate(data["files"]):
        if not (directory / spec["template"]).is_file():
            raise PackError(
                f"template '{spec['template']}' not found in {directory}.",
                path=path,
                line=lines.get(("files", i)),
            )
    for i, param in enumerate(data.get("params") or []):
        hints = param.get("infer")
        for j, hint in enumerate(hints if isinstance(hints, list) else [hints]):
            if isinstance(hint, dict):
                try:
                    analyse(hint["when"])
                except BadRegex as exc:
                    raise PackError(
                        f"the 'when' regex of param '{param['name']}' does not compile: "
                        f"{exc.reason}.",
                        path=path,
                        line=line_of(lines, ("params", i, "infer", j)),
                    ) from None
    return data
