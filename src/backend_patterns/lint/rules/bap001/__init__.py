"""BAP001 jsonb-in-place-mutation: JSON/JSONB attributes changed in place and never flagged.

The analysis has three parts: ``_decls`` finds the JSON columns of every file checked,
``_refs`` tells which expressions stand for a column's value, ``_flow`` follows each function
and reports the changes no ``flag_modified`` follows. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ...registry import Rule, Settings, SourceFile, Violation
from ._decls import collect_decls
from ._doc import DOC
from ._flow import check_module
from ._refs import Unsaved


def _violation(source: SourceFile, unsaved: Unsaved) -> Violation:
    m = unsaved.mutation
    where = "a value nested in " if m.ref.nested else ""
    message = (
        f"{m.how} changes {where}JSON attribute `{m.ref.recv}.{m.ref.attr}` in place "
        f"and nothing flags it before {unsaved.end}: the change is never saved"
    )
    fix = f'call `flag_modified({m.ref.recv}, "{m.ref.attr}")` before commit'
    return source.violation(m.node, message, fix)


def check(sources: Sequence[SourceFile], settings: Settings) -> Iterator[Violation]:
    """The JSON columns are collected from all ``sources`` (plus ``settings.json_attrs``), then
    each file that names one of them is followed function by function."""
    decls = collect_decls((s.tree for s in sources), settings.json_attrs)
    for source in sources:
        if not any(attr in source.text for attr in decls.json):
            continue
        found: list[Unsaved] = []
        check_module(source.tree, decls, found.append)
        for unsaved in found:
            yield _violation(source, unsaved)


RULE = Rule(
    code="BAP001",
    name="jsonb-in-place-mutation",
    summary="JSON/JSONB attribute changed in place and never flagged: the change is not saved",
    doc=DOC,
    check=check,
    severity="error",
    tags=("correctness", "sqlalchemy", "jsonb"),
)
