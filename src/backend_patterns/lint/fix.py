"""Safe fixes: the statements findings ask for (``Finding.fix_edit``), inserted into a text with
libcst so everything else keeps its formatting, and the import they need added when missing.

``fix_text(text, findings)`` is a plain function: the text and its findings in, the new text
and the findings it fixed out. A finding without ``fix_edit`` is never touched; a fix whose
statement is already there is not inserted again, so fixing a fixed text changes nothing.
libcst is imported here only, when there is something to fix: ``bap check`` without
``--fix``/``--diff`` and the hooks never load it.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._findings import Finding

if TYPE_CHECKING:
    import libcst as cst

IMPORT_MODULE = "sqlalchemy.orm.attributes"
IMPORT_NAME = "flag_modified"
IMPORT_LINE = f"from {IMPORT_MODULE} import {IMPORT_NAME}"


@dataclass(frozen=True, slots=True)
class Fixed:
    """The text after the fixes, and the findings they fixed (in the order given)."""

    text: str
    fixed: tuple[Finding, ...]

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def _dotted(node: Any) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _imports(stmt: Any) -> list[Any]:
    """The import small statements of a top-level statement line (empty for anything else)."""
    import libcst as cst

    if not isinstance(stmt, cst.SimpleStatementLine):
        return []
    small = list(stmt.body)
    if small and all(isinstance(s, cst.Import | cst.ImportFrom) for s in small):
        return small
    return []


def _binds_flag_modified(module: cst.Module) -> bool:
    import libcst as cst

    for stmt in module.body:
        for imp in _imports(stmt):
            if isinstance(imp, cst.ImportFrom) and not isinstance(imp.names, cst.ImportStar):
                for alias in imp.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name) and bound.value == IMPORT_NAME:
                        return True
    return False


def _is_docstring(stmt: Any) -> bool:
    import libcst as cst

    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _import_index(module: cst.Module) -> tuple[int, bool]:
    """Where the import goes in ``module.body`` (isort's order among the sqlalchemy imports,
    else after the last import), and whether it needs a blank line before it."""
    import libcst as cst

    last_import = last_sa = -1
    before_sa: int | None = None
    for i, stmt in enumerate(module.body):
        imports = _imports(stmt)
        if not imports:
            continue
        last_import = i
        for imp in imports:
            name = _dotted(imp.module) if isinstance(imp, cst.ImportFrom) and imp.module else ""
            if isinstance(imp, cst.Import):
                name = _dotted(imp.names[0].name)
            if name.split(".")[0] != "sqlalchemy":
                continue
            last_sa = i
            if isinstance(imp, cst.ImportFrom) and name > IMPORT_MODULE and before_sa is None:
                before_sa = i
    if before_sa is not None:
        return before_sa, False
    if last_sa >= 0:
        return last_sa + 1, False
    if last_import >= 0:
        return last_import + 1, False
    if module.body and _is_docstring(module.body[0]):
        return 1, True
    return 0, False


class _Inserter:
    """Builds the libcst transformer lazily (libcst is imported only when fixing)."""

    @staticmethod
    def make(edits: dict[int, list[tuple[int, str, Finding]]]) -> Any:
        import libcst as cst
        from libcst.metadata import PositionProvider

        class Insert(cst.CSTTransformer):
            METADATA_DEPENDENCIES = (PositionProvider,)

            def __init__(self) -> None:
                super().__init__()
                self.fixed: list[Finding] = []

            def _body(self, original: Sequence[Any], updated: Sequence[Any]) -> list[Any] | None:
                out: list[Any] = []
                changed = False
                for i, (orig, upd) in enumerate(zip(original, updated, strict=True)):
                    out.append(upd)
                    if not isinstance(orig, cst.SimpleStatementLine):
                        continue
                    pos = self.get_metadata(PositionProvider, orig)
                    following = original[i + 1] if i + 1 < len(original) else None
                    done: set[str] = set()
                    for col, text, finding in edits.get(pos.end.line, []):
                        if pos.start.column != col:
                            continue  # not the statement the finding means
                        if text in done or _same_statement(following, text):
                            self.fixed.append(finding)  # already there: nothing to insert
                            continue
                        out.append(cst.parse_statement(text + "\n"))
                        done.add(text)
                        changed = True
                        self.fixed.append(finding)
                return out if changed else None

            def leave_IndentedBlock(
                self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
            ) -> cst.IndentedBlock:
                body = self._body(original_node.body, updated_node.body)
                return updated_node if body is None else updated_node.with_changes(body=body)

            def leave_Module(
                self, original_node: cst.Module, updated_node: cst.Module
            ) -> cst.Module:
                body = self._body(original_node.body, updated_node.body)
                return updated_node if body is None else updated_node.with_changes(body=body)

        return Insert()


def _same_statement(stmt: Any, text: str) -> bool:
    import libcst as cst

    if stmt is None or not isinstance(stmt, cst.SimpleStatementLine):
        return False
    code = cst.Module(body=[stmt.with_changes(leading_lines=[])]).code
    return " ".join(code.split()) == " ".join(text.split())


def fix_text(text: str, findings: Sequence[Finding]) -> Fixed:
    """``text`` with the ``fix_edit`` of each of ``findings`` applied (and ``flag_modified``
    imported when a statement was inserted and the module does not import it). A text libcst
    cannot parse, or whose fixed form would not parse, is returned unchanged."""
    edits: dict[int, list[tuple[int, str, Finding]]] = {}
    for finding in findings:
        if finding.fix_edit is not None:
            line, col, stmt = finding.fix_edit
            edits.setdefault(line, []).append((col, stmt, finding))
    if not edits:
        return Fixed(text, ())
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return Fixed(text, ())
    inserter = _Inserter.make(edits)
    new = MetadataWrapper(module).visit(inserter)
    fixed: list[Finding] = inserter.fixed
    if not fixed:
        return Fixed(text, ())
    needs_import = any(IMPORT_NAME in f.fix_edit[2] for f in fixed if f.fix_edit)
    if needs_import and not _binds_flag_modified(new):
        index, blank = _import_index(new)
        added = cst.parse_statement(IMPORT_LINE + "\n")
        if blank:
            added = added.with_changes(leading_lines=[cst.EmptyLine()])
        body = list(new.body)
        body.insert(index, added)
        new = new.with_changes(body=body)
    out = new.code
    try:
        ast.parse(out)
    except (SyntaxError, ValueError):
        return Fixed(text, ())
    return Fixed(out, tuple(fixed))
