"""BAP001 jsonb-in-place-mutation: JSON/JSONB attributes changed in place and never flagged.

The analysis has three parts: the project model (``backend_patterns.project``) finds the ORM
models and their JSON columns in every file of the project, ``_refs`` tells which expressions
stand for a column's value (a receiver needs evidence that it is an instance of such a model),
``_flow`` follows each function and reports the changes no ``flag_modified`` follows. Stdlib
only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import replace

from ....project import FileView, ModelInfo, Project
from ...registry import Rule, Settings, SourceFile, Violation
from ._doc import DOC
from ._flow import check_module
from ._refs import Unsaved

_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Delete)
_ODD = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.IfExp)


def _fix_edit(source: SourceFile, unsaved: Unsaved) -> tuple[int, int, str] | None:
    """Where ``flag_modified(recv, "attr")`` goes: after the statement that made the change,
    at its indentation; None when no insertion there is safe."""
    m = unsaved.mutation
    stmt = m.stmt
    if m.detached is not None or stmt is None or not isinstance(stmt, _SIMPLE):
        return None
    if not all(isinstance(n, ast.Name | ast.Attribute) for n in _receiver_nodes(m.ref.recv)):
        return None
    for sub in ast.walk(stmt):
        if isinstance(sub, _ODD) and any(n is m.node for n in ast.walk(sub)):
            return None
    end = stmt.end_lineno or stmt.lineno
    lines = source.lines
    if end > len(lines) or stmt.lineno > len(lines):
        return None
    first = lines[stmt.lineno - 1]
    indent = len(first) - len(first.lstrip())
    if indent != stmt.col_offset or lines[end - 1].rstrip().endswith((";", "\\")):
        return None
    tail = lines[end - 1].encode()[stmt.end_col_offset or 0 :].decode(errors="ignore").strip()
    if tail and not tail.startswith("#"):
        return None  # another statement follows on the same line
    return (end, indent, f'flag_modified({m.ref.recv}, "{m.ref.attr}")')


def _receiver_nodes(recv: str) -> list[ast.AST]:
    try:
        expr = ast.parse(recv, mode="eval").body
    except SyntaxError:
        return [ast.Constant(None)]
    return [n for n in ast.walk(expr) if not isinstance(n, ast.Load)]


def _violation(source: SourceFile, unsaved: Unsaved) -> Violation:
    m = unsaved.mutation
    where = "a value nested in " if m.ref.nested else ""
    target = f"`{m.ref.recv}.{m.ref.attr}`"
    if m.detached is not None:
        message = (
            f"{m.how} changes {where}JSON attribute {target} of an object not in a session "
            f"({m.detached}): the value is not saved, and `flag_modified` would not save it"
        )
        fix = (
            f"copy the value (`value = copy.deepcopy({m.ref.recv}.{m.ref.attr})`), change the "
            f"copy and assign it to `{m.ref.attr}` of an object loaded in a session"
        )
        return replace(source.violation(m.node, message, fix), fix_edit=None)
    message = (
        f"{m.how} changes {where}JSON attribute {target} in place "
        f"and nothing flags it before {unsaved.end}: the change is never saved"
    )
    fix = f'call `flag_modified({m.ref.recv}, "{m.ref.attr}")` before commit'
    return replace(source.violation(m.node, message, fix), fix_edit=_fix_edit(source, unsaved))


def _with_explicit(view: FileView, pairs: Sequence[tuple[str, str]]) -> FileView:
    """``settings.json_attrs`` (``Model.attr`` given by the user) added to a file's view."""
    if not pairs:
        return view
    classes = dict(view.classes)
    for model, attr in pairs:
        info = classes.get(model) or ModelInfo(
            model, model, "", 0, True, False, {}, frozenset(), frozenset(), ()
        )
        json = dict(info.json)
        json.setdefault(attr, frozenset())
        classes[model] = replace(info, orm=True, plain=False, json=json)
    attrs = view.json_attrs | {attr for _, attr in pairs}
    return FileView(classes, attrs, view.flaggers, view.changers, view.models)


def check(sources: Sequence[SourceFile], settings: Settings) -> Iterator[Violation]:
    """The models and JSON columns come from the project (``settings.project``, else the
    ``sources`` themselves) with the checked texts overriding their files, plus
    ``settings.json_attrs``; each file that names a JSON attribute is followed function by
    function. One statement gives at most one finding."""
    given = settings.project
    if given is None:
        project = Project.from_sources((s.path, s.tree) for s in sources)
    else:
        project = given.with_sources((s.path, s.tree, s.text) for s in sources)
    for source in sources:
        view = _with_explicit(project.decls_for(source.path, source.tree), settings.json_attrs)
        if not any(attr in source.text for attr in view.json_attrs):
            continue
        if not settings.untyped_receivers and not any(
            name in source.text
            for name, info in view.classes.items()
            if info.orm or info.orm_mixin
        ):
            continue  # no model named: no receiver can have evidence
        found: list[Unsaved] = []
        check_module(source.tree, view, found.append, settings.untyped_receivers)
        lines: set[int] = set()
        for unsaved in sorted(found, key=lambda u: _position(u.mutation.node)):
            stmt = unsaved.mutation.stmt
            line = stmt.lineno if stmt is not None else _position(unsaved.mutation.node)[0]
            if line in lines:
                continue
            lines.add(line)
            yield _violation(source, unsaved)


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


RULE = Rule(
    code="BAP001",
    name="jsonb-in-place-mutation",
    summary="JSON/JSONB attribute changed in place and never flagged: the change is not saved",
    doc=DOC,
    check=check,
    severity="error",
    tags=("correctness", "sqlalchemy", "jsonb"),
)
