"""The schema of ``triggers.yaml``, checked once when a pack is parsed (never on the hot path)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import PackError, did_you_mean

SCHEMA_VERSION = 1
TOP_KEYS = {"version", "settings", "patterns", "selection", "vocabulary", "rules"}
SETTINGS_KEYS = {"threshold", "max_task_chars", "max_code_chars", "common_words"}
PATTERN_KEYS = {"description", "usage", "when"}
SELECTION_KEYS = {"task", "pattern"}
RULE_KEYS = {
    "id",
    "pattern",
    "kind",
    "weight",
    "any",
    "all",
    "not",
    "min",
    "needs",
    "paths",
    "message",
    "effect",
    "context",
}
NEEDS = {"code", "path", "context"}
RULE_KINDS = {"keyword", "intent", "path", "code", "negative"}
PATHS_KEYS = {"include", "exclude"}
EFFECTS = {"veto", "lower"}
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")


def _err(
    msg: str, path: str, line: int | None, rule_id: str | None = None, hint: str | None = None
) -> PackError:
    return PackError(msg, path=path, line=line, rule_id=rule_id, hint=hint)


def _keys(
    data: dict[str, Any],
    allowed: set[str],
    where: tuple[Any, ...],
    lines: dict[Any, int],
    path: str,
    what: str,
    rule_id: str | None = None,
) -> None:
    for key in data:
        if key not in allowed:
            guess = did_you_mean(key, allowed)
            allowed_list = ", ".join(sorted(allowed))
            hint = f"Did you mean '{guess}'?" if guess else f"Allowed: {allowed_list}."
            raise _err(
                f"unknown key '{key}' in {what}.", path, lines.get((*where, key)), rule_id, hint
            )


def _strings(
    value: Any,
    where: tuple[Any, ...],
    lines: dict[Any, int],
    path: str,
    rule_id: str | None,
    what: str,
) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _err(
            f"'{what}' must be a non-empty string or a list of them.",
            path,
            lines.get(where),
            rule_id,
        )
    return value


def validate_triggers(
    data: Any, lines: dict[Any, int], path: str, pattern_dirs: set[str]
) -> list[str]:
    """Raise ``PackError`` at the first problem; return the declared pattern names."""
    if not isinstance(data, dict):
        raise _err("triggers.yaml must be a mapping.", path, 1)
    _keys(data, TOP_KEYS, (), lines, path, "triggers.yaml")
    if data.get("version") != SCHEMA_VERSION:
        raise _err(f"'version' must be {SCHEMA_VERSION}.", path, lines.get(("version",), 1))
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise _err("'settings' must be a mapping.", path, lines.get(("settings",)))
    _keys(settings, SETTINGS_KEYS, ("settings",), lines, path, "settings")
    patterns = data.get("patterns")
    if not isinstance(patterns, dict) or not patterns:
        raise _err(
            "'patterns' must map each pattern name to its description.",
            path,
            lines.get(("patterns",), 1),
        )
    for name, info in patterns.items():
        if not isinstance(info, dict) or "description" not in info:
            raise _err(
                f"pattern '{name}' needs a 'description'.", path, lines.get(("patterns", name))
            )
        _keys(info, PATTERN_KEYS, ("patterns", name), lines, path, f"pattern '{name}'")
    names = list(patterns)

    def check_target(
        target: Any, where: tuple[Any, ...], rule_id: str | None, wildcard: bool
    ) -> None:
        if wildcard and target == "*":
            return
        if target not in patterns:
            guess = did_you_mean(str(target), names)
            raise _err(
                f"unknown pattern '{target}'.",
                path,
                lines.get(where),
                rule_id,
                f"Did you mean '{guess}'?" if guess else None,
            )

    for i, row in enumerate(data.get("selection") or []):
        if not isinstance(row, dict):
            raise _err(
                "each selection row needs 'task' and 'pattern'.", path, lines.get(("selection", i))
            )
        _keys(row, SELECTION_KEYS, ("selection", i), lines, path, "a selection row")
        check_target(row.get("pattern"), ("selection", i, "pattern"), None, False)

    vocabulary = data.get("vocabulary") or {}
    if not isinstance(vocabulary, dict):
        raise _err(
            "'vocabulary' must map a word to the words it stands for.",
            path,
            lines.get(("vocabulary",)),
        )
    for word, variants in vocabulary.items():
        _strings(variants, ("vocabulary", word), lines, path, None, f"vocabulary.{word}")

    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _err("'rules' must be a non-empty list.", path, lines.get(("rules",), 1))
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        where = ("rules", i)
        if not isinstance(rule, dict):
            raise _err("each rule must be a mapping.", path, lines.get(where))
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            raise _err(
                "each rule needs an 'id' of lower-case letters, digits, '.', '-', '_'.",
                path,
                lines.get(where),
            )
        if rule_id in seen:
            raise _err(
                f"duplicate rule id (first at line {seen[rule_id]}).",
                path,
                lines.get(where),
                rule_id,
            )
        seen[rule_id] = lines.get(where, 0)
        _keys(rule, RULE_KEYS, where, lines, path, "a rule", rule_id)
        kind = rule.get("kind")
        if kind not in RULE_KINDS:
            guess = did_you_mean(str(kind), RULE_KINDS)
            raise _err(
                f"unknown kind '{kind}'.",
                path,
                lines.get((*where, "kind")),
                rule_id,
                f"Did you mean '{guess}'?"
                if guess
                else f"Allowed: {', '.join(sorted(RULE_KINDS))}.",
            )
        check_target(rule.get("pattern"), (*where, "pattern"), rule_id, kind == "negative")
        weight = rule.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise _err(
                "'weight' must be a positive number.", path, lines.get((*where, "weight")), rule_id
            )
        if kind == "negative":
            effect = rule.get("effect", "veto")
            if effect not in EFFECTS:
                raise _err(
                    f"unknown effect '{effect}'.",
                    path,
                    lines.get((*where, "effect")),
                    rule_id,
                    f"Allowed: {', '.join(sorted(EFFECTS))}.",
                )
        context = rule.get("context", "task")
        if context not in ("task", "code") or (context == "code" and kind != "negative"):
            raise _err(
                "'context' is 'task' or 'code', and only negative rules take it.",
                path,
                lines.get((*where, "context")),
                rule_id,
            )
        needs = rule.get("needs")
        if needs is not None and needs not in NEEDS:
            raise _err(
                f"unknown needs '{needs}'.",
                path,
                lines.get((*where, "needs")),
                rule_id,
                f"Allowed: {', '.join(sorted(NEEDS))}.",
            )
        minimum = rule.get("min", 1)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
            raise _err(
                "'min' must be a whole number of at least 1.",
                path,
                lines.get((*where, "min")),
                rule_id,
            )
        if "any" not in rule and "all" not in rule:
            raise _err("a rule needs 'any' or 'all'.", path, lines.get(where), rule_id)
        for key in ("any", "all", "not"):
            if key in rule:
                values = _strings(rule[key], (*where, key), lines, path, rule_id, key)
                for j, item in enumerate(values):
                    line = lines.get((*where, key, j), lines.get((*where, key)))
                    if kind in {"intent", "code", "negative"}:
                        if any(ord(c) < 32 for c in item):
                            raise _err(
                                f"regex {item!r} holds a control character; in double quotes "
                                "YAML reads \\b as a backspace.",
                                path,
                                line,
                                rule_id,
                                "Write regexes in single quotes.",
                            )
                    elif kind == "keyword" and item.startswith("@") and item[1:] not in vocabulary:
                        guess = did_you_mean(item[1:], list(vocabulary))
                        raise _err(
                            f"unknown vocabulary group '{item}'.",
                            path,
                            line,
                            rule_id,
                            f"Did you mean '@{guess}'?" if guess else None,
                        )
        paths = rule.get("paths")
        if paths is not None:
            if not isinstance(paths, dict):
                raise _err(
                    "'paths' must be a mapping with include/exclude.",
                    path,
                    lines.get((*where, "paths")),
                    rule_id,
                )
            _keys(paths, PATHS_KEYS, (*where, "paths"), lines, path, "paths", rule_id)
    return names
