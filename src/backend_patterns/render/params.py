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


FIELD_TYPES = ("str", "int", "float", "bool", "datetime", "Decimal", "dict", "list[str]")
# ``owner:ref[User]``: a foreign key ``owner_id`` to the table of the existing model ``User``.
REF_TYPE = "ref[Model]"
# A trailing ``?`` makes a field optional: a nullable column, ``None`` by default in Create.
OPTIONAL_MARK = "?"
_REF = re.compile(r"ref\[([A-Z][A-Za-z0-9]*)\]\Z")
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


def _field_text(item: Mapping[str, Any]) -> str:
    """One parsed field (as ``parse_fields`` returns it) back in ``name:type`` form."""
    mark = OPTIONAL_MARK if item.get("optional") else ""
    if item.get("type") == "ref":
        return f"{item.get('relation', '')}:ref[{item.get('ref', '')}]{mark}"
    return f"{item.get('name', '')}:{item.get('type', '')}{mark}"


def _fields_text(value: Any) -> str:
    """Accept ``"a:str,b:int"``, ``["a:str", "b:int"]`` or ``[{"name": "a", "type": "str"}]``."""
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, Mapping):
                parts.append(_field_text(item))
            else:
                parts.append(str(item))
        return ",".join(parts)
    return str(value)


def _split_fields(value: str) -> list[str]:
    """``a:str,b:list[str]`` -> ``["a:str", "b:list[str]"]`` (commas inside brackets stay)."""
    chunks, depth, start = [], 0, 0
    for i, char in enumerate(value):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            chunks.append(value[start:i])
            start = i + 1
    chunks.append(value[start:])
    return [c.strip() for c in chunks]


def parse_fields(value: str, spec: ParamSpec, pattern: str) -> list[dict[str, Any]]:
    """``title:str,nickname:str?,owner:ref[User]`` -> ``[{"name": "title", "type": "str",
    "optional": False}, {"name": "nickname", "type": "str", "optional": True}, {"name":
    "owner_id", "type": "ref", "ref": "User", "relation": "owner", "optional": False}]``.

    A trailing ``?`` makes a field optional (nullable). ``list[str]`` is a list of strings.
    ``ref[Model]`` is a foreign key to ``Model``'s primary key, in a column ``<name>_id``.
    """
    fields: list[dict[str, Any]] = []
    seen: set[str] = set()
    for chunk in _split_fields(value):
        if not chunk:
            continue
        name, sep, ftype = (s.strip() for s in chunk.partition(":"))
        if not sep:
            raise _bad(spec, pattern, value, f"'{chunk}' is not name:type")
        optional = ftype.endswith(OPTIONAL_MARK)
        ftype = ftype.removesuffix(OPTIONAL_MARK).strip()
        ref = _REF.match(ftype)
        relation = name
        if ref:
            name = f"{relation}_id"
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
        if ref:
            seen.add(name)
            fields.append(
                {
                    "name": name,
                    "type": "ref",
                    "ref": ref.group(1),
                    "relation": relation,
                    "optional": optional,
                }
            )
            continue
        if ftype not in FIELD_TYPES:
            allowed = (*FIELD_TYPES, REF_TYPE)
            guess = did_you_mean(ftype, allowed)
            raise ParamError(
                f"bad value {value!r} for '{spec.name}' of {pattern}: unknown type '{ftype}' "
                f"(choose from: {', '.join(allowed)}; add ? for an optional field).",
                pattern=pattern,
                param=spec.name,
                allowed=allowed,
                hint=f"Did you mean '{guess}'?" if guess else None,
            )
        seen.add(name)
        fields.append({"name": name, "type": ftype, "optional": optional})
    if not fields:
        raise _bad(spec, pattern, value, "at least one name:type field is needed")
    return fields


def _field_choices(context: Mapping[str, Any]) -> list[str]:
    """Names a ``field`` parameter may take: the key-like (not dict, list, bool, reference or
    optional) fields of the last ``fields`` value."""
    fields: list[dict[str, Any]] = []
    for value in context.values():
        if isinstance(value, list) and all(isinstance(f, dict) and "type" in f for f in value):
            fields = value
    return [
        f["name"]
        for f in fields
        if f["type"] not in {"dict", "bool", "list[str]", "ref"} and not f.get("optional")
    ]


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
        resource = (context or {}).get("resource")
        for field in fields:
            if field["type"] == "ref" and field["ref"] == resource:
                raise _bad(
                    spec,
                    pattern,
                    _field_text(field),
                    f"a reference of {resource} to itself is not supported",
                )
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
