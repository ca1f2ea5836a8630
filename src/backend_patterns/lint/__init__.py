"""BAP001 jsonb-in-place-mutation: JSON/JSONB attributes changed in place and never flagged.

``check_code`` checks one text (pure, no I/O: the hooks and the MCP server call it);
``check_tree`` checks files and folders as ``bap check`` does, resolving the JSON columns of
models declared in one file and used in another by attribute name. Stdlib only.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import JsonAttrError, UsageError
from ._decls import collect_decls
from ._flow import check_module
from ._refs import Unsaved

CODE = "BAP001"
RULE = "jsonb-in-place-mutation"
SKIP_DIRS = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".git-rewrite",
        ".hg",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".nox",
        ".pants.d",
        ".pyenv",
        ".pytest_cache",
        ".pytype",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        ".vscode",
        "__pycache__",
        "__pypackages__",
        "_build",
        "buck-out",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "venv",
    }
)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
_ATTR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    col: int
    message: str  # names the problem
    fix: str  # the fix, on its own line in text output
    code: str = CODE
    rule: str = RULE

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class FileWarning:
    """A file that was skipped: it does not parse, or it is not UTF-8."""

    path: str
    line: int
    col: int
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: warning: {self.message}"


def parse_json_attrs(items: Iterable[str]) -> list[tuple[str, str]]:
    """``["Agent.agent_metadata"]`` -> ``[("Agent", "agent_metadata")]``; UsageError if bad."""
    pairs = []
    for item in items:
        if not _ATTR.fullmatch(item.strip()):
            raise JsonAttrError(item)
        model, _, attr = item.strip().partition(".")
        pairs.append((model, attr))
    return pairs


def _suppressed(lines: list[str], line: int) -> bool:
    if not 0 < line <= len(lines):
        return False
    match = _NOQA.search(lines[line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    return codes is None or CODE in re.split(r"[\s,]+", codes.upper())


def _column(lines: list[str], line: int, byte_offset: int) -> int:
    """The 1-based character column of a 0-based UTF-8 byte offset (what ``ast`` gives)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode()[:byte_offset].decode(errors="ignore")) + 1


def _finding(path: str, lines: list[str], unsaved: Unsaved) -> Finding | None:
    m = unsaved.mutation
    line = getattr(m.node, "lineno", 1)
    if _suppressed(lines, line):
        return None
    where = "a value nested in " if m.ref.nested else ""
    message = (
        f"{m.how} changes {where}JSON attribute `{m.ref.recv}.{m.ref.attr}` in place "
        f"and nothing flags it before {unsaved.end}: the change is never saved"
    )
    fix = f'call `flag_modified({m.ref.recv}, "{m.ref.attr}")` before commit'
    col = _column(lines, line, getattr(m.node, "col_offset", 0))
    return Finding(path, line, col, message, fix)


def _parse(path: str, text: str) -> ast.Module | FileWarning:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        return FileWarning(
            path, exc.lineno or 1, exc.offset or 1, f"cannot parse ({exc.msg}); file skipped"
        )
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileWarning(path, 1, 1, f"cannot parse ({exc}); file skipped")


def check_sources(
    sources: Iterable[tuple[str, str]], json_attrs: Iterable[str] = ()
) -> tuple[list[Finding], list[FileWarning]]:
    """Check ``(path, text)`` pairs together: a model in one text is known in all of them."""
    attrs = parse_json_attrs(json_attrs)
    parsed: list[tuple[str, str, ast.Module]] = []
    warnings: list[FileWarning] = []
    for path, text in sources:
        tree = _parse(path, text)
        if isinstance(tree, FileWarning):
            warnings.append(tree)
        else:
            parsed.append((path, text, tree))
    decls = collect_decls((tree for _, _, tree in parsed), attrs)
    findings: list[Finding] = []
    for path, text, tree in parsed:
        if not any(attr in text for attr in decls.json):
            continue
        lines = text.splitlines()
        found: list[Unsaved] = []
        check_module(tree, decls, found.append)
        findings.extend(f for u in found if (f := _finding(path, lines, u)) is not None)
    findings.sort(key=lambda f: (f.path, f.line, f.col))
    return findings, warnings


def check_code(
    code: str, path: str | None = None, json_attrs: Iterable[str] = ()
) -> list[Finding]:
    """The BAP001 findings in one source text. ``json_attrs`` adds ``Model.attr`` names.

    Pure and fast: no I/O. A text that does not parse has no findings.
    """
    return check_sources([(path or "<code>", code)], json_attrs)[0]


def iter_python_files(paths: Iterable[str]) -> Iterator[Path]:
    """The ``.py`` files below ``paths`` (files given by name always count), sorted, skipping
    virtualenvs, VCS folders, caches and ``node_modules``. UsageError for a missing path."""
    for given in paths:
        root = Path(given)
        if root.is_file():
            yield root
        elif root.is_dir():
            found: list[Path] = []
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(
                    d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")
                )
                found.extend(Path(folder) / f for f in files if f.endswith((".py", ".pyi")))
            yield from sorted(found)
        else:
            raise UsageError(f"{given}: no such file or directory.")


def read_source(path: Path) -> str | FileWarning:
    """The text of ``path``, or a warning saying where it stops being UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return FileWarning(
            str(path), line, col, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); file skipped"
        )


def read_sources(paths: Iterable[str]) -> tuple[list[tuple[str, str]], list[FileWarning]]:
    sources: list[tuple[str, str]] = []
    warnings: list[FileWarning] = []
    seen: set[Path] = set()
    for path in iter_python_files(paths):
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        try:
            text = read_source(path)
        except OSError as exc:
            warnings.append(FileWarning(str(path), 1, 1, f"cannot read ({exc.strerror})"))
            continue
        if isinstance(text, FileWarning):
            warnings.append(text)
        else:
            sources.append((str(path), text))
    return sources, warnings


def check_tree(
    paths: Iterable[str], json_attrs: Iterable[str] = ()
) -> tuple[list[Finding], list[FileWarning]]:
    """Check files and folders as one tree; warnings name the files that were skipped."""
    sources, warnings = read_sources(paths)
    findings, more = check_sources(sources, json_attrs)
    return findings, sort_warnings(warnings + more)


def sort_warnings(warnings: Iterable[FileWarning]) -> list[FileWarning]:
    return sorted(warnings, key=lambda w: (w.path, w.line, w.col))
