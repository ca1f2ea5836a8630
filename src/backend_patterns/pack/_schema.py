"""The schemas of a pack's files, checked by ``jsonschema`` when a pack is parsed (never on a
warm start), and the translation of a schema error into a ``PackError`` with ``file:line``, the
rule id and "Did you mean ...?".

The schemas are data. A schema may carry, beside the standard keywords, ``x-what`` (how an
object is named in a message, e.g. ``a rule``), ``x-message`` and ``x-hint`` (the sentence for
a value it refuses; ``{value}`` and ``{key}`` are filled in) and ``x-required`` (a sentence per
missing key). Each trigger kind contributes the schema of its own rules (``triggers/``).
"""

from __future__ import annotations

from typing import Any

from ..errors import PackError, did_you_mean

SCHEMA_VERSION = 1
STRINGS = {  # a string or a list of them: loaders turn a lone string into a list first
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "minItems": 1,
    "x-message": "'{key}' must be a non-empty string or a list of them.",
}
WORDS = {"type": "array", "items": {"type": "string"}}

TRIGGERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-what": "triggers.yaml",
    "x-message": "triggers.yaml must be a mapping.",
    "required": ["version", "patterns", "rules"],
    "x-required": {
        "version": f"'version' must be {SCHEMA_VERSION}.",
        "patterns": "'patterns' must map each pattern name to its description.",
        "rules": "'rules' must be a non-empty list.",
    },
    "additionalProperties": False,
    "properties": {
        "version": {"const": SCHEMA_VERSION, "x-message": f"'version' must be {SCHEMA_VERSION}."},
        "settings": {
            "type": "object",
            "x-what": "settings",
            "x-message": "'settings' must be a mapping.",
            "additionalProperties": False,
            "properties": {
                "threshold": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "x-message": "'threshold' must be a number from 0 to 1.",
                },
                "max_task_chars": {
                    "type": "integer",
                    "minimum": 1,
                    "x-message": "'max_task_chars' must be a whole number of at least 1.",
                },
                "max_code_chars": {
                    "type": "integer",
                    "minimum": 1,
                    "x-message": "'max_code_chars' must be a whole number of at least 1.",
                },
                "common_words": {**WORDS, "x-message": "'common_words' must be a list of words."},
            },
        },
        "patterns": {
            "type": "object",
            "minProperties": 1,
            "x-message": "'patterns' must map each pattern name to its description.",
            "additionalProperties": {
                "type": "object",
                "x-what": "pattern '{key}'",
                "required": ["description"],
                "x-required": {"description": "pattern '{key}' needs a 'description'."},
                "x-message": "pattern '{key}' needs a 'description'.",
                "additionalProperties": False,
                "properties": {
                    "description": {"type": "string"},
                    "usage": {"type": "string"},
                    "when": {"type": "string"},
                },
            },
        },
        "selection": {
            "type": "array",
            "items": {
                "type": "object",
                "x-what": "a selection row",
                "x-message": "each selection row needs 'task' and 'pattern'.",
                "required": ["task", "pattern"],
                "additionalProperties": False,
                "properties": {"task": {"type": "string"}, "pattern": {"type": "string"}},
            },
        },
        "vocabulary": {
            "type": "object",
            "x-message": "'vocabulary' must map a word to the words it stands for.",
            "additionalProperties": STRINGS,
        },
        "inference": {
            "type": "object",
            "x-what": "inference",
            "additionalProperties": False,
            "properties": {
                name: {**WORDS, "x-message": f"'{name}' must be a list of words."}
                for name in ("not_names", "not_files", "suffixes", "not_columns")
            },
        },
        "rules": {
            "type": "array",
            "minItems": 1,
            "x-message": "'rules' must be a non-empty list.",
            "items": {
                "type": "object",
                "x-message": "each rule must be a mapping.",
                "required": ["id", "kind"],
                "x-required": {
                    "id": "each rule needs an 'id' of lower-case letters, digits, '.', '-', '_'.",
                    "kind": "each rule needs a 'kind'.",
                },
                "properties": {
                    "id": {
                        "type": "string",
                        "pattern": "^[a-z0-9][a-z0-9_.-]*$",
                        "x-message": "each rule needs an 'id' of lower-case letters, digits, "
                        "'.', '-', '_'.",
                    },
                },
            },
        },
    },
}

# Keys every rule takes, whatever its kind; a kind adds its own (``Kind.properties``).
_RULE_COMMON: dict[str, Any] = {
    "id": {"type": "string"},
    "kind": {"type": "string"},
    "pattern": {"type": "string"},
    "weight": {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 1,
        "x-message": "'weight' must be a number in (0, 1].",
    },
    "min": {
        "type": "integer",
        "minimum": 1,
        "x-message": "'min' must be a whole number of at least 1.",
    },
    "needs": {"enum": ["code", "path", "context"], "x-message": "unknown needs '{value}'."},
    "paths": {
        "type": "object",
        "x-what": "paths",
        "x-message": "'paths' must be a mapping with include/exclude.",
        "additionalProperties": False,
        "properties": {"include": STRINGS, "exclude": STRINGS},
    },
    "message": {"type": "string"},
}


def rule_schema(item: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """The schema of a rule of one kind: the common keys, the kind's own, its entries."""
    entries = {**STRINGS, "items": item}
    return {
        "type": "object",
        "x-what": "a rule",
        "additionalProperties": False,
        "anyOf": [{"required": ["any"]}, {"required": ["all"]}],
        "x-message": "a rule needs 'any' or 'all'.",
        "properties": {
            **_RULE_COMMON,
            **properties,
            "any": entries,
            "all": entries,
            "not": entries,
        },
    }


PARAM_KINDS = ["pascal", "snake", "choice", "fields", "field", "route", "int", "bool", "text"]
_HINT = {
    "anyOf": [
        {"enum": ["entity", "json_column", "json_owner"]},
        {
            "type": "object",
            "required": ["when", "value"],
            "additionalProperties": False,
            "properties": {"when": {"type": "string"}, "value": {"type": "string"}},
        },
    ],
    "x-message": "an 'infer' hint is entity, json_column, json_owner or {when: REGEX, value: V}.",
}

PATTERN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-what": "a pattern",
    "x-message": "a pattern file must be a mapping.",
    "required": ["files"],
    "additionalProperties": False,
    "properties": {
        "summary": {"type": "string"},
        "params": {
            "type": "array",
            "x-message": "'params' must be a list.",
            "items": {
                "type": "object",
                "x-what": "param '{name}'",
                "x-message": "each param needs a 'name'.",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "kind": {"enum": PARAM_KINDS, "x-message": "unknown param kind '{value}'."},
                    "default": {"type": ["string", "integer", "boolean"]},
                    "derive": {"type": "string"},
                    "required": {"type": "boolean"},
                    "choices": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "help": {"type": "string"},
                    "min": {"type": "integer"},
                    "max": {"type": "integer"},
                    "reserved": {"type": "array", "items": {"type": "string"}},
                    "infer": {
                        "anyOf": [_HINT, {"type": "array", "items": _HINT}],
                        "x-message": _HINT["x-message"],
                    },
                },
            },
        },
        "files": {
            "type": "array",
            "minItems": 1,
            "x-message": "'files' must be a non-empty list.",
            "items": {
                "type": "object",
                "x-what": "a file",
                "x-message": "each file needs 'path' and 'template'.",
                "required": ["path", "template"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "template": {"type": "string"},
                    "tests": {"type": "boolean"},
                    "role": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "standalone": {"type": "boolean"},
                    "shared": {"type": "boolean"},
                },
            },
        },
        "dependencies": {
            "type": "array",
            "x-message": "'dependencies' must be a list.",
            "items": {
                "type": "object",
                "x-what": "a dependency",
                "x-message": "each dependency needs a 'spec' (a PEP 508 requirement).",
                "required": ["spec"],
                "additionalProperties": False,
                "properties": {
                    "spec": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\[\\],-]*"},
                    "tests": {"type": "boolean"},
                    "when": {"type": "string"},
                },
            },
        },
    },
}


def line_of(lines: dict[Any, int], where: tuple[Any, ...]) -> int | None:
    """The line of ``where``, or of the nearest enclosing value that has one."""
    while True:
        if where in lines:
            return lines[where]
        if not where:
            return None
        where = where[:-1]


def refuse_non_finite(data: Any, lines: dict[Any, int], path: str) -> None:
    """``.nan`` and ``.inf`` pass every numeric bound of a schema; refuse them everywhere."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and (value != value or value in (float("inf"), -float("inf"))):
            key = where[-1] if where else "value"
            raise PackError(
                f"'{key}' must be a finite number, not {value}.",
                path=path,
                line=line_of(lines, where),
            )
        if isinstance(value, dict):
            stack.extend(((*where, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in enumerate(value))


class Checker:
    """Validate data against a schema; the first error (by line) becomes a ``PackError``."""

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

        self.validator = Draft202012Validator(schema)

    def check(
        self,
        data: Any,
        lines: dict[Any, int],
        path: str,
        *,
        base: tuple[Any, ...] = (),
        rule_id: str | None = None,
    ) -> None:
        refuse_non_finite(data, lines, path)
        errors = list(self.validator.iter_errors(data))
        if not errors:
            return
        found = [_translate(e, lines, path, base, rule_id) for e in errors]
        found.sort(key=lambda e: (e.line or 0, 0 if "unknown key" in e.message else 1))
        raise found[0]


def _what(schema: dict[str, Any], instance: Any, key: Any) -> str:
    what = str(schema.get("x-what", "a mapping"))
    values = instance if isinstance(instance, dict) else {}
    try:
        return what.format(key=key, **{k: v for k, v in values.items() if isinstance(k, str)})
    except (KeyError, IndexError, ValueError):
        return what


def _translate(
    error: Any, lines: dict[Any, int], path: str, base: tuple[Any, ...], rule_id: str | None
) -> PackError:
    where = (*base, *error.absolute_path)
    key = where[-1] if where else ""
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    parent = where[-2] if len(where) >= 2 else ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties") or {})
        extra = sorted(k for k in error.instance if k not in allowed)
        name = extra[0] if extra else "?"
        guess = did_you_mean(str(name), allowed)
        what = _what(schema, error.instance, key)
        return PackError(
            f"unknown key '{name}' in {what}.",
            path=path,
            line=line_of(lines, (*where, name)),
            rule_id=rule_id,
            hint=f"Did you mean '{guess}'?"
            if guess
            else f"Allowed: {', '.join(sorted(allowed))}.",
        )
    if error.validator == "required":
        missing = next((m for m in schema.get("required", []) if m not in error.instance), "?")
        text = (schema.get("x-required") or {}).get(missing, f"missing required key '{missing}'.")
        return PackError(
            str(text).format(key=key), path=path, line=line_of(lines, where) or 1, rule_id=rule_id
        )
    message: str | None = schema.get("x-message")
    hint: str | None = schema.get("x-hint")
    if error.validator == "enum" and isinstance(error.instance, str):
        choices = [str(c) for c in schema.get("enum", [])]
        guess = did_you_mean(error.instance, choices)
        hint = hint or (
            f"Did you mean '{guess}'?" if guess else f"Allowed: {', '.join(sorted(choices))}."
        )
        message = message or f"unknown {key} '{{value}}'."
    if message is None:
        message = f"'{key or parent}' is not valid: {error.message}."
    try:
        text = str(message).format(value=error.instance, key=key)
    except (KeyError, IndexError, ValueError):
        text = str(message)
    line = line_of(lines, where) or (1 if not where else None)
    return PackError(text, path=path, line=line, rule_id=rule_id, hint=hint)
