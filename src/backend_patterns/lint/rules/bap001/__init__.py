"""BAP001 jsonb-in-place-mutation: JSON/JSONB attributes changed in place and never flagged.

The analysis has three parts: the project model (``backend_patterns.project``) finds the ORM
models and their JSON columns in every file of the project, ``_refs`` tells which expressions
stand for a column's value (a receiver needs evidence that it is an instance of such a model),
``_flow`` follows each function and reports the changes no ``flag_modified`` follows. Stdlib
only.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ....project import ClassTable, FileView, ModelInfo, Project
from ....project._view import models_named
from ...registry import Rule, Settings, SourceFile, Violation
from ._doc import DOC
from ._fixtures import Fixtures, Function, Lookup, Shape, fixtures_for
from ._flow import MUTATORS, check_module
from ._prefilter import Spans, model_json_names, word_lines, words
from ._refs import Types, Unsaved, collect_types
from ._walk import walk

_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Delete)
_ODD = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.IfExp)
_ODD_WORDS = frozenset({"lambda", "for", "if"})  # the keywords without which no _ODD node is
_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # not Python's


def _fix_edit(source: SourceFile, unsaved: Unsaved, aligned: bool) -> tuple[int, int, str] | None:
    """Where ``flag_modified(recv, "attr")`` goes: after the statement that made the change,
    at its indentation; None when no insertion there is safe."""
    m = unsaved.mutation
    stmt = m.stmt
    if m.detached is not None or stmt is None or not isinstance(stmt, _SIMPLE):
        return None
    if not all(isinstance(n, ast.Name | ast.Attribute) for n in _receiver_nodes(m.ref.recv)):
        return None
    if not aligned or _ODD_WORDS & words(
        "\n".join(source.lines[stmt.lineno - 1 : stmt.end_lineno])
    ):
        for sub in walk(stmt):  # a lambda, comprehension or `x if c else y` may hold the change
            if isinstance(sub, _ODD) and any(n is m.node for n in walk(sub)):
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
    parts = recv.split(".")
    if all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        return [ast.Name(p) for p in parts]  # a dotted name: names and attributes only
    try:
        expr = ast.parse(recv, mode="eval").body
    except SyntaxError:
        return [ast.Constant(None)]
    return [n for n in ast.walk(expr) if not isinstance(n, ast.Load)]


def _violation(source: SourceFile, unsaved: Unsaved, aligned: bool) -> Violation:
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
        return source.violation(m.node, message, fix)
    message = (
        f"{m.how} changes {where}JSON attribute {target} in place "
        f"and nothing flags it before {unsaved.end}: the change is never saved"
    )
    fix = f'call `flag_modified({m.ref.recv}, "{m.ref.attr}")` before commit'
    edit = _fix_edit(source, unsaved, aligned)
    found = source.violation(m.node, message, fix)
    if edit is None:
        return found
    return Violation(found.path, found.line, found.col, message, fix, edit)


def _with_explicit(view: FileView, pairs: Sequence[tuple[str, str]]) -> FileView:
    """``settings.json_attrs`` (``Model.attr`` given by the user) added to a file's view."""
    if not pairs:
        return view
    classes: dict[str, ModelInfo] = {}
    for model, attr in pairs:
        info = (
            classes.get(model)
            or view.classes.get(model)
            or ModelInfo(model, model, "", 0, True, False, {}, frozenset(), frozenset(), ())
        )
        json = dict(info.json)
        json.setdefault(attr, frozenset())
        classes[model] = replace(info, orm=True, plain=False, json=json)
    attrs = view.json_attrs | {attr for _, attr in pairs}
    table = view.classes
    merged = table.with_local(classes) if isinstance(table, ClassTable) else {**table, **classes}
    return FileView(merged, attrs, view.flaggers, view.changers, view.models, view.returns)


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
    by_path = {os.path.abspath(s.path): s for s in sources}

    def view_of(path: str, tree: ast.Module) -> FileView:
        return _with_explicit(project.decls_for(path, tree), settings.json_attrs)

    for source in sources:
        view = view_of(source.path, source.tree)
        text_words = words(source.text)
        attrs = (text_words & view.json_attrs) | (text_words & model_json_names(view.models))
        if not attrs:
            continue  # no JSON attribute written: nothing can change one
        fixtures = _Lazy(source, view, by_path, project.root, view_of)
        if (
            not settings.untyped_receivers
            and not models_named(view.classes, text_words)
            and not (view.returns is not None and view.returns.named(text_words))
            and not fixtures.named(text_words)
        ):
            continue  # no model, getter of one or fixture named: no receiver has evidence
        spans = _spans(source.text, text_words, attrs, view)
        found: list[Unsaved] = []
        check_module(source.tree, view, found.append, settings.untyped_receivers, spans, fixtures)
        lines: set[int] = set()
        aligned = _LINE_BREAKS.search(source.text) is None  # source.lines are the AST's lines
        for unsaved in sorted(found, key=lambda u: _position(u.mutation.node)):
            stmt = unsaved.mutation.stmt
            line = stmt.lineno if stmt is not None else _position(unsaved.mutation.node)[0]
            if line in lines:
                continue
            lines.add(line)
            yield _violation(source, unsaved, aligned)


_EVENT_NAMES = MUTATORS | {
    "flag_modified",
    "commit",
    "flush",
    "rollback",
    "expunge",
    "close",
    "add",
    "merge",
}  # an `update(M)...values(attr=d)` statement names `update`


def _spans(text: str, text_words: set[str], attrs: set[str], view: FileView) -> Spans | None:
    """Where ``text`` names a JSON attribute, and where a call an event can come from."""
    attr_lines = word_lines(text, attrs)
    if attr_lines is None:
        return None
    names = text_words & _EVENT_NAMES
    names |= text_words & view.flaggers.keys()
    names |= text_words & view.changers.keys()
    call_lines = word_lines(text, names)
    def_lines = word_lines(text, text_words & {"def", "class"})
    if call_lines is None or def_lines is None:
        return None
    return Spans(attr_lines, call_lines, def_lines)


class _Lazy:
    """A file's pytest fixtures (``_fixtures``), found the first time a test asks for one."""

    def __init__(
        self,
        source: SourceFile,
        view: FileView,
        others: Mapping[str, SourceFile],
        root: Path | None,
        view_of: Callable[[str, ast.Module], FileView],
    ) -> None:
        self.args = (source, view, others, root, view_of)
        self.found: Fixtures | None = None
        self.done = False

    def _fixtures(self) -> Fixtures | None:
        if not self.done:
            self.done = True
            self.found = fixtures_for(*self.args, collect=_collect)
        return self.found

    def __call__(self, name: str) -> Shape:
        found = self._fixtures()
        return None if found is None else found(name)

    def named(self, text_words: set[str]) -> bool:
        if "def" not in text_words:
            return False  # no function: no test
        found = self._fixtures()
        return found is not None and found.named(text_words)


def _collect(fn: Function, view: FileView, fixtures: Lookup) -> Types:
    return collect_types(fn, view, None, fixtures)


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
