"""The merged view of a project's file summaries: which classes are ORM models (through any
chain of bases and mixins, across files), their JSON attributes with what each tracks at the
top level, their relationships and other fields, the non-ORM classes, and the functions that
flag or change their parameters. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._summary import Summary, TypeRef

JSON_TYPES = frozenset({"JSON", "JSONB", "JSONType"})
ORM_ROOTS = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta", "DeclarativeMeta"})
PLAIN_ROOTS = frozenset(
    {
        "BaseModel",
        "BaseSettings",
        "TypedDict",
        "NamedTuple",
        "Enum",
        "IntEnum",
        "StrEnum",
        "Schema",
        "Struct",
        "Exception",
        "Protocol",
        "Form",
        "FlaskForm",
    }
)
PLAIN_DECORATORS = frozenset({"dataclass", "define", "frozen", "s", "attrs", "mutable"})
DICT_TRACKED = frozenset(
    {"__setitem__", "__delitem__", "update", "setdefault", "pop", "popitem", "clear"}
)
LIST_TRACKED = frozenset(
    {
        "__setitem__",
        "__delitem__",
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "sort",
        "reverse",
        "__iadd__",
    }
)
_KNOWN_WRAPPERS = {
    "MutableDict": DICT_TRACKED,
    "MutableList": LIST_TRACKED,
    "MutableSet": frozenset({"add", "discard", "remove", "update", "clear", "pop"}),
}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One class of the project, merged with what it inherits."""

    qualname: str  # module.Class
    name: str
    path: str
    line: int
    orm: bool
    plain: bool  # pydantic, dataclass, TypedDict, attrs, ...: never an ORM receiver
    json: Mapping[str, frozenset[str]]  # attr -> the methods tracked at the top level
    relationships: frozenset[str]
    fields: frozenset[str]  # every other attribute (columns, plain fields, self.x)
    bases: tuple[str, ...]  # resolved qualnames (or the names as written)
    orm_mixin: bool = False  # not a model, but a base or mixin of one
    rel_targets: Mapping[str, str] = field(default_factory=dict)  # attr -> one model's qualname


@dataclass(frozen=True, slots=True)
class Helper:
    """A function that flags (``flag_modified(param, attr)``) or changes one of its params."""

    name: str
    qualname: str
    index: int
    param: str
    attr: str | None  # flaggers: the attribute flagged, None for any
    returns: bool = False  # changers: returns the parameter it changed
    method: bool = False  # its first parameter is self/cls (not passed at a call via `x.f`)


@dataclass(slots=True)
class Merged:
    models: dict[str, ModelInfo] = field(default_factory=dict)  # qualname -> info
    by_name: dict[str, list[str]] = field(default_factory=dict)  # Class -> qualnames
    json_attrs: dict[str, set[str]] = field(default_factory=dict)  # attr -> ORM qualnames
    flaggers: dict[str, list[Helper]] = field(default_factory=dict)
    changers: dict[str, list[Helper]] = field(default_factory=dict)
    annotated: dict[str, list[TypeRef]] = field(default_factory=dict)
    # function or method qualname -> (the ORM model its return annotation names, a collection)
    returns: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # TypedDict qualname -> {key: the ORM model its annotation names} (one instance each)
    typed: dict[str, dict[str, str]] = field(default_factory=dict)

    def lookup(self, target: str) -> str | None:
        """The qualname a dotted import target names (exactly, or as a suffix)."""
        if target in self.models:
            return target
        name = target.rpartition(".")[2]
        parts = target.split(".")
        for cut in range(len(parts) - 1):  # `src.pkg.mod.C` imported as `pkg.mod.C`
            tail = ".".join(parts[cut:])
            hits = [q for q in self.by_name.get(name, []) if q == tail or q.endswith("." + tail)]
            if len(hits) == 1:
                return hits[0]
        return None

    def resolve_in(self, summary: Summary, written: str) -> str | None:
        """The qualname of the class ``written`` names in the file of ``summary``."""
        head, _, rest = written.partition(".")
        imports = summary["imports"]
        if head in imports:
            return self.lookup(imports[head] + ("." + rest if rest else ""))
        if not rest and written in summary["classes"]:
            return f"{summary['module']}.{written}" if summary["module"] else written
        return None


class _Resolver:
    def __init__(self, summaries: Mapping[str, Summary]) -> None:
        self.summaries = summaries
        self.classes: dict[str, tuple[str, dict[str, Any], Summary]] = {}
        self.by_name: dict[str, list[str]] = {}
        for path, s in summaries.items():
            for name, cls in s["classes"].items():
                q = f"{s['module']}.{name}" if s["module"] else name
                self.classes[q] = (path, cls, s)
                self.by_name.setdefault(name, []).append(q)
        self.modules: dict[str, Summary] = {s["module"]: s for s in summaries.values()}
        self.aliases: dict[str, TypeRef] = {}
        self.annotated: dict[str, list[TypeRef]] = {}
        self.annotation_map: dict[str, str] = {}
        self.mutables: dict[str, frozenset[str]] = dict(_KNOWN_WRAPPERS)
        self.decl_bases: set[str] = set()
        for s in summaries.values():
            self.aliases.update({k: list(v) for k, v in s["aliases"].items()})
            self.annotated.update(s["annotated"])
            for b in s["bases"]:
                self.decl_bases.add(f"{s['module']}.{b}" if s["module"] else b)
            for name, cls in s["classes"].items():
                if cls["impl"]:
                    self.aliases[name] = list(cls["impl"])
                amap = cls["annotation_map"]
                for i in range(0, len(amap) - 1, 2):
                    self.annotation_map[amap[i]] = amap[i + 1]
                if any(last_part(b).startswith("Mutable") for b in cls["bases"]):
                    self.mutables[name] = frozenset(
                        m for m in cls["tracked"] if not m.startswith("coerce")
                    )

    def lookup(self, target: str) -> str | None:
        """The qualname a dotted import target names (exactly, or as a suffix)."""
        if target in self.classes:
            return target
        name = target.rpartition(".")[2]
        hits = [q for q in self.by_name.get(name, []) if q.endswith("." + target)]
        if len(hits) == 1:
            return hits[0]
        parts = target.split(".")
        for cut in range(1, len(parts) - 1):  # `src.pkg.mod.C` imported as `pkg.mod.C`
            tail = ".".join(parts[cut:])
            hits = [q for q in self.by_name.get(name, []) if q == tail or q.endswith("." + tail)]
            if len(hits) == 1:
                return hits[0]
        return self._reexported(target)

    def _reexported(self, target: str, depth: int = 0) -> str | None:
        """``pkg.models.C`` where ``pkg/models/__init__.py`` imports ``C`` from elsewhere."""
        module, _, name = target.rpartition(".")
        summary = self.modules.get(module)
        if summary is None or depth > 4:
            return None
        source = summary["imports"].get(name)
        if not isinstance(source, str) or source == target:
            return None
        if source in self.classes:
            return source
        return self._reexported(source, depth + 1)

    def resolve_in(self, summary: Summary, written: str) -> str | None:
        """The qualname of the class ``written`` names in the file of ``summary``."""
        head, _, rest = written.partition(".")
        imports = summary["imports"]
        if head in imports:
            return self.lookup(imports[head] + ("." + rest if rest else ""))
        if not rest and written in summary["classes"]:
            q = f"{summary['module']}.{written}" if summary["module"] else written
            return q
        return None

    def type_head(self, summary: Summary | None, ref: TypeRef, depth: int = 0) -> TypeRef | None:
        """``ref`` resolved to a JSON type (with its mutable wrapper), or None."""
        head, wrapper = ref[0], ref[1]
        if summary is not None and head in summary["imports"]:
            head = summary["imports"][head].rpartition(".")[2]
        if head in JSON_TYPES:
            return [head, wrapper]
        if depth < 8 and head in self.aliases:
            inner = self.type_head(None, self.aliases[head], depth + 1)
            if inner is not None:
                return [inner[0], wrapper or inner[1]]
        return None

    def tracked(self, wrapper: str | None) -> frozenset[str]:
        if wrapper is None:
            return frozenset()
        return self.mutables.get(wrapper, DICT_TRACKED | LIST_TRACKED)


def last_part(name: str) -> str:
    return name.rpartition(".")[2]


def merge(summaries: Mapping[str, Summary]) -> Merged:
    """Resolve bases, ORM-ness, fields and helpers across every file of ``summaries``."""
    r = _Resolver(summaries)
    out = Merged(annotated=r.annotated)
    resolved_bases: dict[str, list[str]] = {}
    for q, (_, cls, s) in r.classes.items():
        resolved_bases[q] = [r.resolve_in(s, b) or b for b in cls["bases"]]

    orm_memo: dict[str, bool] = {}
    plain_memo: dict[str, bool] = {}

    def is_orm(q: str, seen: frozenset[str] = frozenset()) -> bool:
        if q in orm_memo:
            return orm_memo[q]
        if q in seen:
            return False
        if q in r.decl_bases:
            return True
        item = r.classes.get(q)
        if item is None:  # a base as written, not found in the project
            name = last_part(q)
            return name in ORM_ROOTS or name == "Base" or q.endswith(".Model")
        _, cls, _ = item
        result = cls["table_kw"] or "as_declarative" in cls["decorators"]
        if not result:
            result = any(is_orm(b, seen | {q}) for b in resolved_bases[q])
        if not result and cls["tablename"] and not is_plain(q):
            result = True
        orm_memo[q] = result
        return result

    def is_plain(q: str, seen: frozenset[str] = frozenset()) -> bool:
        if q in plain_memo:
            return plain_memo[q]
        if q in seen:
            return False
        item = r.classes.get(q)
        if item is None:
            return last_part(q) in PLAIN_ROOTS or last_part(q) == "SQLModel"
        _, cls, _ = item
        result = any(d in PLAIN_DECORATORS for d in cls["decorators"]) or any(
            is_plain(b, seen | {q}) for b in resolved_bases[q]
        )
        if cls["table_kw"]:
            result = False
        plain_memo[q] = result
        return result

    fields_memo: dict[str, tuple[dict[str, frozenset[str]], set[str], set[str]]] = {}

    def fields_of(
        q: str, seen: frozenset[str] = frozenset()
    ) -> tuple[dict[str, frozenset[str]], set[str], set[str]]:
        if q in fields_memo:
            return fields_memo[q]
        json: dict[str, frozenset[str]] = {}
        rels: set[str] = set()
        other: set[str] = set()
        item = r.classes.get(q)
        if item is None or q in seen:
            return json, rels, other
        _, cls, s = item
        for b in reversed(resolved_bases[q]):
            bj, br, bo = fields_of(b, seen | {q})
            for attr in [*bj, *br, *bo]:
                json.pop(attr, None)
                rels.discard(attr)
                other.discard(attr)
            json.update(bj)
            rels |= br
            other |= bo
        for attr, spec in cls["fields"].items():
            json.pop(attr, None)
            rels.discard(attr)
            other.discard(attr)
            kind = spec[0]
            found: TypeRef | None = None
            if kind == "col":
                for ref in spec[1]:
                    found = r.type_head(s, ref)
                    if found:
                        break
            elif kind == "annot":
                inner = spec[1]
                bare = inner.rpartition(".")[2]
                if bare in r.annotated:
                    for ref in r.annotated[bare]:
                        found = r.type_head(s, ref)
                        if found:
                            break
                elif inner in r.annotation_map:
                    found = r.type_head(s, [r.annotation_map[inner], None])
            if found:
                json[attr] = r.tracked(found[1])
            elif kind == "rel":
                rels.add(attr)
            else:
                other.add(attr)
        other |= {a for a in cls["self_attrs"] if a not in json and a not in rels}
        fields_memo[q] = (json, rels, other)
        return json, rels, other

    def targets_of(q: str) -> dict[str, str]:
        out: dict[str, str] = {}
        item = r.classes.get(q)
        if item is None:
            return out
        _, cls, s = item
        for attr, spec in cls["fields"].items():
            if spec[0] == "rel" and len(spec) == 3 and spec[1] and not spec[2]:
                target = r.resolve_in(s, spec[1])
                if target is None:
                    hits = r.by_name.get(spec[1].rpartition(".")[2], [])
                    target = hits[0] if len(hits) == 1 else None
                if target is not None:
                    out[attr] = target
        return out

    orm_mixins: set[str] = set()
    for q in r.classes:
        if is_orm(q):
            todo = list(resolved_bases[q])
            while todo:
                b = todo.pop()
                if b in r.classes and b not in orm_mixins and not is_orm(b):
                    orm_mixins.add(b)
                    todo.extend(resolved_bases[b])
    for q, (path, cls, _) in r.classes.items():
        orm = is_orm(q)
        plain = not orm and is_plain(q)
        json, rels, other = fields_of(q)
        name = last_part(q)
        info = ModelInfo(
            q,
            name,
            path,
            cls["line"],
            orm,
            plain,
            dict(json),
            frozenset(rels),
            frozenset(other),
            tuple(resolved_bases[q]),
            q in orm_mixins,
            targets_of(q),
        )
        out.models[q] = info
        out.by_name.setdefault(name, []).append(q)
        if orm:
            for attr in json:
                out.json_attrs.setdefault(attr, set()).add(q)
    for s in summaries.values():
        mod = s["module"]
        for name, entries in s["flaggers"].items():
            for index, param, attr, method in entries:
                out.flaggers.setdefault(name, []).append(
                    Helper(name, f"{mod}.{name}", index, param, attr, False, method)
                )
        for name, entries in s["changers"].items():
            for index, param, returns, method in entries:
                out.changers.setdefault(name, []).append(
                    Helper(name, f"{mod}.{name}", index, param, None, returns, method)
                )
        for name, cls in s["classes"].items():
            keys: dict[str, str] = {}
            for key, (written, many) in cls.get("typed", {}).items():
                model = r.resolve_in(s, written)
                found = None if model is None else out.models.get(model)
                if model is not None and found is not None and found.orm and not many:
                    keys[key] = model
            if keys:
                out.typed[f"{mod}.{name}" if mod else name] = keys
    for s in summaries.values():
        mod = s["module"]
        for name, (written, many) in s.get("returns", {}).items():
            model = r.resolve_in(s, written)
            found = None if model is None else out.models.get(model)
            if model is not None and found is not None and (found.orm or model in out.typed):
                out.returns[f"{mod}.{name}" if mod else name] = (model, bool(many))
    return out
