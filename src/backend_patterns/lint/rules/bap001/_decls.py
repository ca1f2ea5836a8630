"""BAP001, part 1: which attributes are JSON/JSONB columns, across every file checked.

Stdlib only (``ast``): the hooks call the checker on their hot path.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

_COLUMN_CALLS = frozenset({"mapped_column", "Column"})
_BASE_TYPES = frozenset({"JSON", "JSONB"})
_NOT_TYPES = frozenset({"ForeignKey", "Sequence", "Identity", "Computed", "FetchedValue"})


@dataclass(slots=True)
class ClassInfo:
    """What one class says about its attributes: JSON columns, other columns, plain attributes."""

    json: dict[str, bool] = field(default_factory=dict)  # attr -> tracked at top level
    other: set[str] = field(default_factory=set)  # non-JSON columns and self.x attributes


@dataclass(slots=True)
class Decls:
    """The JSON attributes of a tree, by attribute name, plus per-class detail."""

    json: dict[str, set[str]] = field(default_factory=dict)  # attr -> declaring models
    mutable: dict[str, list[bool]] = field(default_factory=dict)  # attr -> per declaration
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    type_names: set[str] = field(default_factory=lambda: set(_BASE_TYPES))
    annotations: set[str] = field(default_factory=set)  # Mapped[...] inner types mapped to JSON

    def add(self, model: str, attr: str, mutable: bool) -> None:
        self.json.setdefault(attr, set()).add(model)
        self.mutable.setdefault(attr, []).append(mutable)

    def top_level_tracked(self, attr: str) -> bool:
        """True when every declaration of ``attr`` is a ``Mutable*.as_mutable`` column."""
        flags = self.mutable.get(attr, [])
        return bool(flags) and all(flags)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def json_type(node: ast.expr, names: set[str]) -> tuple[bool, bool] | None:
    """``(is_json, mutable)`` for a column type expression, or None when it is no JSON type.

    Knows ``JSONB``, ``sa.JSON``, ``postgresql.JSONB(none_as_null=True)``,
    ``JSON().with_variant(JSONB(), "postgresql")``, ``MutableDict.as_mutable(JSONB)`` and the
    aliases/TypeDecorators collected in ``names``.
    """
    if isinstance(node, ast.Name | ast.Attribute):
        return (True, False) if _name(node) in names else None
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "as_mutable" and node.args:
            inner = json_type(node.args[0], names)
            return (True, True) if inner else None
        if isinstance(func, ast.Attribute) and func.attr == "with_variant":
            return json_type(func.value, names)
        return json_type(func, names)
    return None


def _column_type(call: ast.Call, names: set[str]) -> tuple[bool, bool] | None:
    for arg in [*call.args, *(k.value for k in call.keywords if k.arg == "type_")]:
        found = json_type(arg, names)
        if found:
            return found
    return None


def _is_column_call(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) in _COLUMN_CALLS


def _is_type_arg(arg: ast.expr) -> bool:
    """A positional argument of ``mapped_column`` that gives the column an explicit type."""
    if isinstance(arg, ast.Constant):
        return False  # the column name
    target = arg.func if isinstance(arg, ast.Call) else arg
    return _name(target) not in _NOT_TYPES


def _mapped_inner(annotation: ast.expr | None) -> str | None:
    """``dict[str, Any]`` for ``Mapped[dict[str, Any] | None]`` (also Optional, strings)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if not (isinstance(annotation, ast.Subscript) and _name(annotation.value) == "Mapped"):
        return None
    inner = annotation.slice
    if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.BitOr):
        parts = [inner.left, inner.right]
        kept = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
        inner = kept[0] if len(kept) == 1 else inner
    if isinstance(inner, ast.Subscript) and _name(inner.value) == "Optional":
        inner = inner.slice
    return ast.unparse(inner).replace(" ", "")


def collect_type_names(tree: ast.Module, decls: Decls) -> None:
    """Names that stand for a JSON type: import aliases, module-level aliases, TypeDecorators."""
    names = decls.type_names
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in _BASE_TYPES:
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if json_type(node.value, names):
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "impl" for t in stmt.targets)
                    and json_type(stmt.value, names)
                ):
                    names.add(node.name)
                if (
                    isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and isinstance(stmt.value, ast.Dict)
                    and _target_name(stmt) == "type_annotation_map"
                ):
                    for key, value in zip(stmt.value.keys, stmt.value.values, strict=True):
                        if key is not None and json_type(value, names):
                            decls.annotations.add(ast.unparse(key).replace(" ", ""))


def _target_name(stmt: ast.Assign | ast.AnnAssign) -> str | None:
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
    return target.id if isinstance(target, ast.Name) else None


def _self_attrs(cls: ast.ClassDef) -> Iterable[str]:
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and (isinstance(node.value, ast.Name) and node.value.id == "self")
        ):
            yield node.attr


def _collect_class(cls: ast.ClassDef, decls: Decls) -> None:
    info = decls.classes.setdefault(cls.name, ClassInfo())
    names = decls.type_names
    for stmt in cls.body:
        if isinstance(stmt, ast.ClassDef):
            _collect_class(stmt, decls)
            continue
        if not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        attr = _target_name(stmt)
        if attr is None:
            continue
        value = stmt.value
        found: tuple[bool, bool] | None = None
        is_column = _is_column_call(value)
        if is_column and isinstance(value, ast.Call):
            found = _column_type(value, names)
        annotated = _mapped_inner(stmt.annotation) if isinstance(stmt, ast.AnnAssign) else None
        if found is None and annotated is not None and annotated in decls.annotations:
            explicit = isinstance(value, ast.Call) and any(_is_type_arg(a) for a in value.args)
            if not explicit:
                found = (True, False)
        if found:
            info.json[attr] = found[1]
            decls.add(cls.name, attr, found[1])
        else:  # a non-JSON column, a relationship, a plain field of a schema or DTO
            info.other.add(attr)
    info.other.update(a for a in _self_attrs(cls) if a not in info.json)


def _collect_tables(tree: ast.Module, decls: Decls) -> None:
    """``Table("agents", meta, Column("payload", JSONB))``: the column name is the attribute."""
    stmts = [s for s in tree.body if isinstance(s, ast.Assign | ast.AnnAssign | ast.Expr)]
    for node in (n for s in stmts for n in ast.walk(s)):
        if not (isinstance(node, ast.Call) and _name(node.func) == "Table"):
            continue
        table = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
        for arg in node.args:
            if (
                isinstance(arg, ast.Call)
                and _name(arg.func) == "Column"
                and arg.args
                and isinstance(arg.args[0], ast.Constant)
                and isinstance(arg.args[0].value, str)
            ):
                found = _column_type(arg, decls.type_names)
                if found:
                    decls.add(str(table), arg.args[0].value, found[1])


def collect_decls(
    trees: Iterable[ast.Module], json_attrs: Iterable[tuple[str, str]] = ()
) -> Decls:
    """Every JSON attribute declared in ``trees``, plus the ``(Model, attr)`` pairs given."""
    trees = list(trees)
    decls = Decls()
    for _ in range(2):  # a second round resolves aliases defined in another file
        for tree in trees:
            collect_type_names(tree, decls)
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                _collect_class(node, decls)
        _collect_tables(tree, decls)
    for model, attr in json_attrs:
        decls.add(model, attr, False)
        decls.classes.setdefault(model, ClassInfo()).json[attr] = False
    return decls
