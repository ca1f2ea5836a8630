"""What one Python file declares, as plain data (JSON-able): imports, classes with their bases
and fields, JSON type aliases, ``Annotated`` column aliases, ``Mutable`` subclasses, and the
functions that flag or change their parameters. Nothing is resolved across files here:
``_model`` does that. Stdlib only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from ._names import dotted, last
from ._wiring import wiring

Summary = dict[str, Any]
TypeRef = list[Any]  # [head name, mutable wrapper name or None]

COLUMN_CALLS = frozenset({"mapped_column", "Column", "column_property"})
RELATIONSHIP_CALLS = frozenset({"relationship", "relation", "dynamic_loader", "association_proxy"})
NOT_TYPES = frozenset({"ForeignKey", "Sequence", "Identity", "Computed", "FetchedValue"})
FLAG_CALLS = frozenset({"flag_modified", "flag_dirty"})
IN_PLACE = frozenset(
    {
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "append",
        "extend",
        "remove",
        "insert",
        "sort",
        "reverse",
        "add",
        "discard",
    }
)


def type_ref(node: ast.expr) -> TypeRef | None:
    """The type a column expression names: ``JSONB`` for ``postgresql.JSONB(none_as_null=True)``,
    ``["JSONB", "MutableDict"]`` for ``MutableDict.as_mutable(JSONB)``."""
    if isinstance(node, ast.Name | ast.Attribute):
        name = last(dotted(node))
        return None if name is None else [name, None]
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "as_mutable" and node.args:
            inner = type_ref(node.args[0])
            return None if inner is None else [inner[0], last(dotted(func.value)) or "?"]
        if isinstance(func, ast.Attribute) and func.attr == "with_variant":
            return type_ref(func.value)
        if last(dotted(func)) == "ARRAY" and node.args:  # ARRAY(JSONB): changed in place too
            return type_ref(node.args[0])
        return type_ref(func)
    return None


def _column_types(call: ast.Call) -> list[TypeRef]:
    """Candidate type references of ``mapped_column(...)`` / ``Column(...)`` / SQLModel's
    ``Field(sa_column=Column(JSON))`` / ``Field(sa_type=JSON)``."""
    out: list[TypeRef] = []
    args = [a for a in call.args if not isinstance(a, ast.Constant)]
    args += [k.value for k in call.keywords if k.arg in {"type_", "sa_type"}]
    for arg in args:
        head = arg.func if isinstance(arg, ast.Call) else arg
        if last(dotted(head)) in NOT_TYPES:
            continue
        if isinstance(arg, ast.Call) and last(dotted(arg.func)) in COLUMN_CALLS:
            out += _column_types(arg)
            continue
        ref = type_ref(arg)
        if ref is not None:
            out.append(ref)
    for k in call.keywords:
        if k.arg == "sa_column" and isinstance(k.value, ast.Call):
            out += _column_types(k.value)
    return out


def _explicit_type(call: ast.Call) -> bool:
    return bool(_column_types(call))


def _string_expr(node: ast.expr | None) -> ast.expr | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    return node


def strip_optional(node: ast.expr | None) -> ast.expr | None:
    """``X`` for ``Optional[X]``, ``X | None``, ``"X"``, ``Union[X, None]``."""
    node = _string_expr(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [node.left, node.right]
        kept = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
        return strip_optional(kept[0]) if len(kept) == 1 else node
    if isinstance(node, ast.Subscript) and last(dotted(node.value)) == "Optional":
        return strip_optional(node.slice)
    if isinstance(node, ast.Subscript) and last(dotted(node.value)) == "Union":
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        kept = [p for p in elts if not (isinstance(p, ast.Constant) and p.value is None)]
        return strip_optional(kept[0]) if len(kept) == 1 else node
    return node


def _annotated_column(node: ast.expr | None) -> list[TypeRef] | None:
    """``Annotated[dict, mapped_column(JSONB)]``: the column's type references."""
    node = strip_optional(node)
    if not (isinstance(node, ast.Subscript) and last(dotted(node.value)) == "Annotated"):
        return None
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else []
    for meta in elts[1:]:
        if isinstance(meta, ast.Call) and last(dotted(meta.func)) in COLUMN_CALLS:
            return _column_types(meta)
    return []


def _field(stmt_value: ast.expr | None, annotation: ast.expr | None) -> list[Any]:
    """One class-body attribute: ``["json", [refs]]`` (a column with candidate types),
    ``["annot", inner, explicit]`` (``Mapped[inner]`` typed by an alias or the map), ``["rel"]``,
    or ``["field"]`` (anything else)."""
    value = stmt_value
    if isinstance(value, ast.Call):
        name = last(dotted(value.func))
        if name in RELATIONSHIP_CALLS:
            return ["rel", *_rel_target(value, annotation)]
        if name in COLUMN_CALLS or name == "Field":
            refs = _column_types(value)
            if refs:
                return ["col", refs]
    inner_node = strip_optional(annotation)
    if isinstance(inner_node, ast.Subscript) and last(dotted(inner_node.value)) == "Mapped":
        inner = strip_optional(inner_node.slice)
        annotated = _annotated_column(inner)
        if annotated:
            return ["col", annotated]
        if inner is not None and not (
            isinstance(value, ast.Call) and last(dotted(value.func)) in RELATIONSHIP_CALLS
        ):
            explicit = isinstance(value, ast.Call) and _explicit_type(value)
            if not explicit:
                return ["annot", ast.unparse(inner).replace(" ", "")]
    return ["field"]


def _rel_target(call: ast.Call, annotation: ast.expr | None) -> list[Any]:
    """``[target class as written, is a collection]`` of a relationship (target None when it
    cannot be told): ``relationship("User")``, ``Mapped["User"]``, ``Mapped[list[User]]``."""
    many = any(
        k.arg == "uselist" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )
    target: str | None = None
    inner = strip_optional(annotation)
    if isinstance(inner, ast.Subscript) and last(dotted(inner.value)) == "Mapped":
        inner = strip_optional(inner.slice)
        if isinstance(inner, ast.Subscript):
            many = True
            inner = strip_optional(inner.slice)
        target = dotted(inner)
    if target is None and call.args:
        first = strip_optional(call.args[0])
        target = dotted(first)
        # a classic relationship() may be a list; only code using it as one object (its
        # attributes) makes it a receiver, and that code is wrong for a list anyway
    return [target, many]


def _is_declared_attr(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("declared_attr" in (dotted(d) or "") for d in fn.decorator_list)


def _class(cls: ast.ClassDef) -> dict[str, Any]:
    fields: dict[str, list[Any]] = {}
    methods: list[str] = []
    tracked: list[str] = []
    impl: TypeRef | None = None
    annotation_map: list[str] = []
    tablename = False
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if _is_declared_attr(stmt):
                for ret in ast.walk(stmt):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        fields[stmt.name] = _field(ret.value, stmt.returns)
                        break
                continue
            methods.append(stmt.name)
            if any(
                isinstance(c, ast.Call) and last(dotted(c.func)) == "changed"
                for c in ast.walk(stmt)
            ):
                tracked.append(stmt.name)
            continue
        if not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        if not isinstance(target, ast.Name):
            continue
        attr = target.id
        if attr in {"__tablename__", "__table__"}:
            tablename = True
            continue
        if attr == "impl" and stmt.value is not None:
            impl = type_ref(stmt.value)
            continue
        if attr == "type_annotation_map" and isinstance(stmt.value, ast.Dict):
            for key, val in zip(stmt.value.keys, stmt.value.values, strict=True):
                ref = type_ref(val)
                if key is not None and ref is not None:
                    annotation_map.append(ast.unparse(key).replace(" ", ""))
                    annotation_map.append(ref[0])
            continue
        annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
        fields[attr] = _field(stmt.value, annotation)
    self_attrs = sorted(
        {
            node.attr
            for node in ast.walk(cls)
            if isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        }
        - set(fields)
    )
    out: dict[str, Any] = {
        "line": cls.lineno,
        "bases": [dotted(b) or "?" for b in cls.bases],
        "table_kw": any(
            k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in cls.keywords
        ),
        "decorators": [
            last(dotted(d.func if isinstance(d, ast.Call) else d)) or "?"
            for d in cls.decorator_list
        ],
        "tablename": tablename,
        "fields": fields,
        "self_attrs": self_attrs,
        "methods": methods,
        "tracked": tracked,
        "impl": impl,
        "annotation_map": annotation_map,
    }
    if any(last(dotted(b)) == "TypedDict" for b in cls.bases):
        typed = {}  # key -> [class as written, many]: what a TypedDict's keys hold
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                ref = annotation_ref(stmt.annotation)
                if ref is not None:
                    typed[stmt.target.id] = ref
        out["typed"] = typed
    return out


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module statements, entering ``if``/``with``/``try`` blocks (not functions)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.With | ast.AsyncWith | ast.For | ast.While):
            yield from _module_level(stmt.body)
            yield from _module_level(getattr(stmt, "orelse", []))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            yield from _module_level(stmt.body)
            for handler in stmt.handlers:
                yield from _module_level(handler.body)
            yield from _module_level(stmt.orelse)
            yield from _module_level(stmt.finalbody)


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    a = fn.args
    return [p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]]


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``fn``'s body, not entering nested functions or classes."""
    todo: list[ast.AST] = list(fn.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo.extend(ast.iter_child_nodes(node))


def _functions(tree: ast.Module) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Flaggers: ``{name: [[index, param, attr or None, method], ...]}`` for
    ``flag_modified(param, ...)``; changers: ``{name: [[index, param, returns it, method], ...]}``
    for in-place changes of a parameter."""
    flaggers: dict[str, list[Any]] = {}
    changers: dict[str, list[Any]] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = _params(fn)
        if not params:
            continue
        index = {p: i for i, p in enumerate(params)}
        method = params[0] in {"self", "cls"}
        returned: set[str] = set()
        changed: set[str] = set()
        for node in _own_nodes(fn):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
                returned.add(node.value.id)
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in FLAG_CALLS and node.args and isinstance(node.args[0], ast.Name):
                    param = node.args[0].id
                    if param in index:
                        key = node.args[1] if len(node.args) > 1 else None
                        attr = key.value if isinstance(key, ast.Constant) else None
                        entry = [index[param], param, attr if isinstance(attr, str) else None]
                        flaggers.setdefault(fn.name, []).append([*entry, method])
                elif (
                    name in IN_PLACE
                    and isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id in index
                ):
                    changed.add(func.value.id)
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store | ast.Del)
                and isinstance(node.value, ast.Name)
                and node.value.id in index
            ):
                changed.add(node.value.id)
        for param in sorted(changed - {"self", "cls"}):
            changers.setdefault(fn.name, []).append(
                [index[param], param, param in returned, method]
            )
    return flaggers, changers


_NOT_MODELS = frozenset(
    {"None", "bool", "int", "float", "str", "bytes", "dict", "Dict", "Any", "object", "NoReturn"}
)
_MANY_HEADS = frozenset(
    {"list", "List", "Sequence", "Iterable", "set", "Set", "Iterator", "AsyncIterator"}
)


def _return_annotation(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Any] | None:
    """``[class as written, a collection of it]`` for a return annotation that may name a
    class: ``-> M``, ``-> "M"``, ``-> Optional[mod.M]``, ``-> M | None``, ``-> list[M]``."""
    return None if fn.returns is None else annotation_ref(fn.returns)


def annotation_ref(annotation: ast.expr) -> list[Any] | None:
    """``[class as written, a collection of it]`` for an annotation (``_return_annotation``)."""
    node = strip_optional(annotation)
    many = False
    if isinstance(node, ast.Subscript):
        if last(dotted(node.value)) not in _MANY_HEADS or isinstance(node.slice, ast.Tuple):
            return None
        node = strip_optional(node.slice)
        many = True
    written = dotted(node) if isinstance(node, ast.Name | ast.Attribute) else None
    if written is None or written in _NOT_MODELS:
        return None
    return [written, many]


def _returns(body: list[ast.stmt]) -> dict[str, list[Any]]:
    """``{function or Class.method: [class as written, many]}`` (``_return_annotation``) of
    the module's functions and of its classes' methods (entering ``if``/``try`` blocks)."""
    out: dict[str, list[Any]] = {}
    for stmt in _module_level(body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            found = _return_annotation(stmt)
            if found is not None:
                out[stmt.name] = found
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found = _return_annotation(item)
                    if found is not None:
                        out[f"{stmt.name}.{item.name}"] = found
    return out


def summarize(tree: ast.Module, module: str, *, package: bool = False) -> Summary:
    """The plain-data summary of one parsed file whose dotted module name is ``module``;
    ``package`` for a package's ``__init__.py`` (its relative imports start at itself)."""
    imports: dict[str, str] = {}
    aliases: dict[str, TypeRef] = {}  # name -> the type it stands for
    annotated: dict[str, list[TypeRef]] = {}  # Annotated column aliases
    bases: list[str] = []  # Base = declarative_base()
    here = module if package else (module.rpartition(".")[0] if module else "")
    for stmt in _module_level(tree.body):
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    imports[a.asname] = a.name
                else:
                    imports[a.name.partition(".")[0]] = a.name.partition(".")[0]
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                parts = here.split(".") if here else []
                keep = parts[: len(parts) - (stmt.level - 1)] if stmt.level > 1 else parts
                base = ".".join([*keep, base] if base else keep)
            for a in stmt.names:
                if a.name != "*":
                    imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            value = stmt.value
            cols = _annotated_column(value)
            if cols:
                for n in names:
                    annotated[n] = cols
                continue
            if isinstance(value, ast.Call):
                func = last(dotted(value.func))
                if func in {"declarative_base", "generate_base"}:
                    bases.extend(names)
                    continue
                if func in COLUMN_CALLS:
                    continue
            ref = type_ref(value)
            if ref is not None and (isinstance(value, ast.Call) or ref[0] != (names or [""])[0]):
                for n in names:
                    aliases[n] = ref
        elif type(stmt).__name__ == "TypeAlias":  # `type X = Annotated[...]` (3.12)
            name_node = getattr(stmt, "name", None)
            cols = _annotated_column(getattr(stmt, "value", None))
            if cols and isinstance(name_node, ast.Name):
                annotated[name_node.id] = cols
    classes: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name not in classes:
            classes[node.name] = _class(node)
            if any(d == "as_declarative" for d in classes[node.name]["decorators"]):
                bases.append(node.name)
    flaggers, changers = _functions(tree)
    return {
        "module": module,
        "imports": imports,
        "aliases": aliases,
        "annotated": annotated,
        "bases": bases,
        "classes": classes,
        "flaggers": flaggers,
        "changers": changers,
        "returns": _returns(tree.body),
        "wiring": wiring(tree, list(_module_level(tree.body))),
    }
