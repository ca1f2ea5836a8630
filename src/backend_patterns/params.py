"""Validating render parameters against a pattern's declaration.

Every value that reaches a template has passed through here, so templates can trust that an
identifier is an identifier: nothing a user types can inject code into a rendering.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

from .errors import ParamError, did_you_mean
from .pack import ParamSpec, PatternSpec

FIELD_TYPES = ("str", "int", "float", "bool", "datetime", "Decimal", "dict")
RESERVED_FIELDS = frozenset({"id", "metadata", "registry", "created_at", "updated_at"})

_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*\Z")
_ROUTE = re.compile(r"(/[a-z0-9][a-z0-9_-]*)*\Z")


def snake(name: str) -> str:
    """``BlogPost`` -> ``blog_post``; ``HTTPRequest`` -> ``http_request``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.replace("-", "_").lower()


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")


def pluralize(word: str) -> str:
    """English plural of the last word of a snake_case name: ``blog_post`` -> ``blog_posts``."""
    head, _, last = word.rpartition("_")
    if re.search(r"(s|x|z|ch|sh)\Z", last):
        last += "es"
    elif re.search(r"[^aeiou]y\Z", last):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head}_{last}" if head else last


def _bad(spec: ParamSpec, pattern: str, value: str, why: str) -> ParamError:
    allowed = list(spec.choices)
    hint = None
    if allowed:
        guess = did_you_mean(value, allowed)
        hint = f"Did you mean '{guess}'?" if guess else f"Allowed: {', '.join(allowed)}."
    return ParamError(f"bad value {value!r} for '{spec.name}' of {pattern}: {why}.",
                      pattern=pattern, param=spec.name, allowed=allowed, hint=hint)


def parse_fields(value: str, spec: ParamSpec, pattern: str) -> list[dict[str, str]]:
    """``title:str,body:str,meta:dict`` -> ``[{"name": "title", "type": "str"}, ...]``."""
    fields: list[dict[str, str]] = []
    seen: set[str] = set()
    for chunk in (c.strip() for c in value.split(",")):
        if not chunk:
            continue
        name, sep, ftype = (s.strip() for s in chunk.partition(":"))
        if not sep:
            raise _bad(spec, pattern, value, f"'{chunk}' is not name:type")
        if not _SNAKE.match(name) or keyword.iskeyword(name):
            raise _bad(spec, pattern, value, f"'{name}' is not a snake_case field name")
        if name in RESERVED_FIELDS:
            raise _bad(spec, pattern, value, f"'{name}' is reserved")
        if name in seen:
            raise _bad(spec, pattern, value, f"field '{name}' is repeated")
        if ftype not in FIELD_TYPES:
            guess = did_you_mean(ftype, FIELD_TYPES)
            raise ParamError(
                f"bad value {value!r} for '{spec.name}' of {pattern}: unknown type '{ftype}' "
                f"(choose from: {', '.join(FIELD_TYPES)}).",
                pattern=pattern, param=spec.name, allowed=FIELD_TYPES,
                hint=f"Did you mean '{guess}'?" if guess else None,
            )
        seen.add(name)
        fields.append({"name": name, "type": ftype})
    if not fields:
        raise _bad(spec, pattern, value, "at least one name:type field is needed")
    return fields


def convert(spec: ParamSpec, pattern: str, value: Any) -> Any:
    """Check one value against its declaration and return what templates receive."""
    text = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
    if text in spec.reserved:
        raise _bad(spec, pattern, text, f"it is reserved (avoid: {', '.join(spec.reserved)})")
    kind = spec.kind
    if kind == "pascal":
        if not _PASCAL.match(text) or keyword.iskeyword(text):
            raise _bad(spec, pattern, text, "expected a PascalCase name such as BlogPost")
        return text
    if kind == "snake":
        if not _SNAKE.match(text) or keyword.iskeyword(text):
            raise _bad(spec, pattern, text, "expected a snake_case name such as blog_posts")
        return text
    if kind == "choice":
        if text not in spec.choices:
            raise _bad(spec, pattern, text, f"choose from: {', '.join(spec.choices)}")
        return text
    if kind == "fields":
        return parse_fields(text, spec, pattern)
    if kind == "route":
        text = "/" + text.strip("/") if text.strip("/") else ""
        if not _ROUTE.match(text):
            raise _bad(spec, pattern, text, "expected a route prefix such as /blog-posts")
        return text
    if kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise _bad(spec, pattern, text, "expected a whole number") from None
        if (spec.min is not None and number < spec.min) or (
            spec.max is not None and number > spec.max
        ):
            raise _bad(spec, pattern, text, f"expected {spec.min}..{spec.max}")
        return number
    if kind == "bool":
        lowered = text.lower()
        if lowered in {"true", "yes", "1", "on"}:
            return True
        if lowered in {"false", "no", "0", "off"}:
            return False
        raise _bad(spec, pattern, text, "expected true or false")
    if any(ord(c) < 32 for c in text) or len(text) > 200:
        raise _bad(spec, pattern, text, "expected one short line of text")
    return text


def resolve(pattern: PatternSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``given`` and fill in defaults and derived values, in declaration order."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    known = [p.name for p in pattern.params]
    for name in given:
        if name not in known:
            guess = did_you_mean(name, known)
            raise ParamError(
                f"unknown parameter '{name}' for {pattern.name} "
                f"(choose from: {', '.join(known) or 'none'}).",
                pattern=pattern.name, param=name, allowed=known,
                hint=f"Did you mean '{guess}'?" if guess else None,
            )
    env = SandboxedEnvironment(undefined=StrictUndefined)
    env.filters.update(snake=snake, kebab=kebab, pluralize=pluralize)
    values: dict[str, Any] = {}
    for spec in pattern.params:
        if spec.name in given and given[spec.name] is not None:
            raw: Any = given[spec.name]
        elif spec.derive:
            raw = env.from_string(spec.derive).render(**values)
        elif spec.default is not None:
            raw = spec.default
        elif spec.required:
            raise ParamError(
                f"missing required parameter '{spec.name}' for {pattern.name}: {spec.help}",
                pattern=pattern.name, param=spec.name,
                hint=f"Pass it with --set {spec.name}=VALUE.",
            )
        else:
            values[spec.name] = None
            continue
        values[spec.name] = convert(spec, pattern.name, raw)
    return values
