"""Validating render parameters against a pattern's declaration.

Every value that reaches a template has passed through here, so templates can trust that an
identifier is an identifier: nothing a user types can inject code into a rendering.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping
from typing import Any

from ..errors import ParamError, did_you_mean
from ..pack import ParamSpec, PatternSpec


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIELD_TYPES = ("str", "int", "float", "bool", "datetime", "Decimal", "dict")
# Names a field may not take: columns every model has, attributes of SQLAlchemy's declarative
# base and of Pydantic's BaseModel (shadowing them warns or breaks), and the type names the
# templates use in annotations (a field named ``datetime`` would shadow the type in a class body).
RESERVED_FIELDS = _words(
    """
    id metadata registry created_at updated_at
    copy dict json schema schema_json construct validate parse_obj parse_raw parse_file from_orm
    update_forward_refs fields
    str int float bool bytes list set tuple object
    datetime date time timedelta decimal uuid any annotated
    """
)
# Class names a PascalCase parameter may not take: builtins, and the names rendered modules
# import from the libraries they use, which a class of the same name would shadow.
RESERVED_CLASSES = frozenset(
    {name for name in dir(builtins) if name[:1].isupper()}
    | _words(
        """
        Any Annotated Generic TypeVar Decimal UUID AsyncIterator
        FastAPI APIRouter Depends HTTPException Path Query Body Request Response
        WebSocket WebSocketDisconnect BaseModel ConfigDict Field AwareDatetime FiniteFloat
        Base DeclarativeBase AsyncAttrs Mapped MetaData AsyncEngine AsyncSession IntegrityError
        Page Dialect TypeDecorator JSON JSONB String Text Integer BigInteger Float Boolean
        Numeric DateTime Uuid Redis
        """
    )
)
MAX_IDENTIFIER = 63  # PostgreSQL truncates longer identifiers

_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*\Z")
_ROUTE = re.compile(r"(/[a-z0-9][a-z0-9_-]*)*\Z")
_IDENTIFIER_KINDS = frozenset({"pascal", "snake", "field"})


def _bad(
    spec: ParamSpec,
    pattern: str,
    value: str,
    why: str,
    allowed: list[str] | tuple[str, ...] | None = None,
) -> ParamError:
    options = list(spec.choices if allowed is None else allowed)
    hint = None
    if options:
        guess = did_you_mean(value, options)
        hint = f"Did you mean '{guess}'?" if guess else f"Allowed: {', '.join(options)}."
    return ParamError(
        f"bad value {value!r} for '{spec.name}' of {pattern}: {why}.",
        pattern=pattern,
        param=spec.name,
        allowed=options,
        hint=hint,
    )


def _fields_text(value: Any) -> str:
    """Accept ``"a:str,b:int"``, ``["a:str", "b:int"]`` or ``[{"name": "a", "type": "str"}]``."""
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, Mapping):
                parts.append(f"{item.get('name', '')}:{item.get('type', '')}")
            else:
                parts.append(str(item))
        return ",".join(parts)
    return str(value)


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
        if len(name) > (spec.max or MAX_IDENTIFIER):  # for fields, ``max`` bounds each name
            raise _bad(
                spec,
                pattern,
                value,
                f"field name '{name}' is longer than {spec.max or MAX_IDENTIFIER}",
            )
        if name in RESERVED_FIELDS or name.startswith("model_"):
            raise _bad(
                spec, pattern, value, f"'{name}' is reserved (it clashes with a generated name)"
            )
        if name in seen:
            raise _bad(spec, pattern, value, f"field '{name}' is repeated")
        if ftype not in FIELD_TYPES:
            guess = did_you_mean(ftype, FIELD_TYPES)
            raise ParamError(
                f"bad value {value!r} for '{spec.name}' of {pattern}: unknown type '{ftype}' "
                f"(choose from: {', '.join(FIELD_TYPES)}).",
                pattern=pattern,
                param=spec.name,
                allowed=FIELD_TYPES,
                hint=f"Did you mean '{guess}'?" if guess else None,
            )
        seen.add(name)
        fields.append({"name": name, "type": ftype})
    if not fields:
        raise _bad(spec, pattern, value, "at least one name:type field is needed")
    return fields


def _field_choices(context: Mapping[str, Any]) -> list[str]:
    """Names a ``field`` parameter may take: the key-like (not dict, not bool) fields of the last
    ``fields`` value."""
    fields: list[dict[str, str]] = []
    for value in context.values():
        if isinstance(value, list) and all(isinstance(f, dict) and "type" in f for f in value):
            fields = value
    return [f["name"] for f in fields if f["type"] not in {"dict", "bool"}]


def _identifier(spec: ParamSpec, pattern: str, text: str, context: Mapping[str, Any]) -> str:
    kind = spec.kind
    if kind == "field":
        choices = _field_choices(context)
        if text not in choices:
            raise _bad(
                spec,
                pattern,
                text,
                f"expected one of the fields (choose from: {', '.join(choices) or 'none'}"
                ", or leave it empty)",
                allowed=choices,
            )
        return text
    longest = spec.max or MAX_IDENTIFIER  # for identifiers, ``max`` bounds the length
    if len(text) > longest:
        raise _bad(spec, pattern, text, f"longer than {longest} characters")
    if kind == "pascal":
        if not _PASCAL.match(text) or keyword.iskeyword(text):
            raise _bad(spec, pattern, text, "expected a PascalCase name such as BlogPost")
        if text in RESERVED_CLASSES:
            raise _bad(
                spec, pattern, text, "it is a builtin or an imported library name; pick another"
            )
        return text
    if not _SNAKE.match(text) or keyword.iskeyword(text) or keyword.issoftkeyword(text):
        raise _bad(spec, pattern, text, "expected a snake_case name such as blog_posts")
    return text


def convert(
    spec: ParamSpec, pattern: str, value: Any, context: Mapping[str, Any] | None = None
) -> Any:
    """Check one value against its declaration and return what templates receive.

    ``context`` holds the values of the parameters declared before this one (a ``field``
    parameter names one of an earlier ``fields`` parameter's fields).
    """
    kind = spec.kind
    if kind == "fields":
        fields = parse_fields(_fields_text(value).strip(), spec, pattern)
        for field in fields:
            if field["name"] in spec.reserved:
                raise _bad(
                    spec,
                    pattern,
                    field["name"],
                    f"it is reserved (avoid: {', '.join(spec.reserved)})",
                )
        return fields
    text = ("true" if value else "false") if isinstance(value, bool) else str(value).strip()
    if text in spec.reserved:
        raise _bad(spec, pattern, text, f"it is reserved (avoid: {', '.join(spec.reserved)})")
    if kind in _IDENTIFIER_KINDS:
        if not text and spec.default == "":  # `default: ""` declares "may be left empty"
            return None
        return _identifier(spec, pattern, text, context or {})
    if kind == "choice":
        if text not in spec.choices:
            raise _bad(spec, pattern, text, f"choose from: {', '.join(spec.choices)}")
        return text
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
            low = "" if spec.min is None else spec.min
            high = "" if spec.max is None else spec.max
            raise _bad(spec, pattern, text, f"expected {low}..{high}")
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


def _derive(spec: ParamSpec, pattern: PatternSpec, env: Any, values: dict[str, Any]) -> str:
    from jinja2 import TemplateError

    from ..errors import PackError

    try:
        return str(env.from_string(spec.derive).render(**values))
    except TemplateError as exc:
        raise PackError(
            f"param '{spec.name}' of {pattern.name}: its derive expression "
            f"{spec.derive!r} fails: {exc}.",
            path=str(pattern.directory / "pattern.yaml"),
        ) from None


def resolve(pattern: PatternSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``given`` and fill in defaults and derived values, in declaration order."""
    from ._jinja import environment

    known = [p.name for p in pattern.params]
    for name in given:
        if name not in known:
            guess = did_you_mean(name, known)
            raise ParamError(
                f"unknown parameter '{name}' for {pattern.name} "
                f"(choose from: {', '.join(known) or 'none'}).",
                pattern=pattern.name,
                param=name,
                allowed=known,
                hint=f"Did you mean '{guess}'?" if guess else None,
                reason="unknown",
            )
    env = environment()
    values: dict[str, Any] = {}
    for spec in pattern.params:
        derived = False
        if spec.name in given and given[spec.name] is not None:
            raw: Any = given[spec.name]
        elif spec.derive:
            raw = _derive(spec, pattern, env, values)
            derived = True
        elif spec.default is not None:
            raw = spec.default
        elif spec.required:
            raise ParamError(
                f"missing required parameter '{spec.name}' for {pattern.name}: {spec.help}",
                pattern=pattern.name,
                param=spec.name,
                reason="missing",
            )
        else:
            values[spec.name] = None
            continue
        try:
            values[spec.name] = convert(spec, pattern.name, raw, values)
        except ParamError as exc:
            if derived:
                exc.message = f"{exc.message} (derived automatically)"
                exc.derived = True
            raise
    return values
