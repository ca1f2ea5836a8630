"""Parsing and validating a pack's files: what ``load_pack`` does when its cache is cold.

Kept apart from pack.py because none of it runs on a warm start.
"""

from __future__ import annotations

from typing import Any

from ..errors import PackError, did_you_mean
from . import PATTERN_FILE, TRIGGERS, _source_files

_PATTERN_KEYS = {"summary", "params", "files"}
_PARAM_KEYS = {
    "name",
    "kind",
    "default",
    "derive",
    "required",
    "choices",
    "help",
    "min",
    "max",
    "reserved",
}
_PARAM_KINDS = {"pascal", "snake", "choice", "fields", "field", "route", "int", "bool", "text"}
_FILE_KEYS = {"path", "template", "tests"}


def parse(root_dir: str) -> dict[str, Any]:
    """Parse and validate every file of the pack into marshal-able plain data."""
    from pathlib import Path

    from ..match._prepare import BadRegex, prepare
    from ._schema import validate_triggers
    from ._yaml import load_with_lines

    root = Path(root_dir)
    triggers_path = root / TRIGGERS
    triggers, lines = load_with_lines(triggers_path)
    patterns: dict[str, Any] = {}
    for path in map(Path, _source_files(root_dir)[1:]):
        name = path.parent.name
        data, plines = load_with_lines(path)
        patterns[name] = _check_pattern(name, data, plines, str(path))
    declared = validate_triggers(triggers, lines, str(triggers_path), set(patterns))
    for name in declared:
        if name not in patterns:
            expected = root / "patterns" / name / PATTERN_FILE
            raise PackError(
                f"pattern '{name}' is declared but {expected} is missing.",
                path=str(triggers_path),
                line=lines.get(("patterns", name)),
            )
    try:
        compiled = prepare(triggers)
    except BadRegex as exc:
        rule_id, line = _locate_regex(triggers, lines, exc.source)
        raise PackError(
            f"regex {exc.source!r} does not compile: {exc.reason}.",
            path=str(triggers_path),
            line=line,
            rule_id=rule_id,
        ) from None
    return {"triggers": triggers, "patterns": patterns, "compiled": compiled}


def _locate_regex(
    triggers: dict[str, Any], lines: dict[Any, int], source: str
) -> tuple[str | None, int | None]:
    """The rule id and line of the first place ``source`` is written."""
    for i, rule in enumerate(triggers.get("rules") or []):
        for key in ("any", "all", "not"):
            values = rule.get(key)
            values = [values] if isinstance(values, str) else values or []
            for j, value in enumerate(values):
                if value == source:
                    return rule.get("id"), lines.get(("rules", i, key, j), lines.get(("rules", i)))
    return None, None


def _unknown_key(key: str, allowed: set[str], path: str, line: int | None, what: str) -> PackError:
    guess = did_you_mean(key, allowed)
    return PackError(
        f"unknown key '{key}' in {what}.",
        path=path,
        line=line,
        hint=f"Did you mean '{guess}'?" if guess else f"Allowed: {', '.join(sorted(allowed))}.",
    )


def _check_pattern(name: str, data: Any, lines: dict[Any, int], path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PackError("a pattern file must be a mapping.", path=path, line=1)
    for key in data:
        if key not in _PATTERN_KEYS:
            raise _unknown_key(key, _PATTERN_KEYS, path, lines.get((key,)), "a pattern")
    if "files" not in data:
        raise PackError("missing required key 'files'.", path=path, line=1)
    params = data.get("params") or []
    if not isinstance(params, list):
        raise PackError("'params' must be a list.", path=path, line=lines.get(("params",)))
    for i, param in enumerate(params):
        line = lines.get(("params", i))
        if not isinstance(param, dict) or "name" not in param:
            raise PackError("each param needs a 'name'.", path=path, line=line)
        for key in param:
            if key not in _PARAM_KEYS:
                raise _unknown_key(
                    key,
                    _PARAM_KEYS,
                    path,
                    lines.get(("params", i, key)),
                    f"param '{param['name']}'",
                )
        kind = param.get("kind", "text")
        if kind not in _PARAM_KINDS:
            guess = did_you_mean(str(kind), _PARAM_KINDS)
            raise PackError(
                f"unknown param kind '{kind}'.",
                path=path,
                line=lines.get(("params", i, "kind")),
                hint=f"Did you mean '{guess}'?" if guess else None,
            )
    files = data["files"]
    if not isinstance(files, list) or not files:
        raise PackError("'files' must be a non-empty list.", path=path, line=lines.get(("files",)))
    from pathlib import Path

    directory = Path(path).parent
    for i, spec in enumerate(files):
        line = lines.get(("files", i))
        if not isinstance(spec, dict) or not {"path", "template"} <= set(spec):
            raise PackError("each file needs 'path' and 'template'.", path=path, line=line)
        for key in spec:
            if key not in _FILE_KEYS:
                raise _unknown_key(key, _FILE_KEYS, path, lines.get(("files", i, key)), "a file")
        if not (directory / spec["template"]).is_file():
            raise PackError(
                f"template '{spec['template']}' not found in {directory}.", path=path, line=line
            )
    return data
