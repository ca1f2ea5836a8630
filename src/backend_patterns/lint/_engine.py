"""Runs the rules: parses each text once, hands every selected rule all the files together,
turns violations into findings with the rule's code and name, and drops what ``# noqa``
suppresses. Stdlib only: the hooks call ``check_code`` on every edit.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from ..errors import JsonAttrError
from ._files import NO_EXCLUDE, Exclude, read_sources
from ._findings import FileWarning, Finding, sort_warnings
from ._noqa import suppressed
from .registry import Rule, Settings, SourceFile, all_rules

_ATTR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


def parse_json_attrs(items: Iterable[str]) -> list[tuple[str, str]]:
    """``["Agent.agent_metadata"]`` -> ``[("Agent", "agent_metadata")]``; UsageError if bad."""
    pairs = []
    for item in items:
        if not _ATTR.fullmatch(item.strip()):
            raise JsonAttrError(item)
        model, _, attr = item.strip().partition(".")
        pairs.append((model, attr))
    return pairs


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
    sources: Iterable[tuple[str, str]],
    json_attrs: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
) -> tuple[list[Finding], list[FileWarning]]:
    """Check ``(path, text)`` pairs together: a model in one text is known in all of them.

    ``rules`` are the rules to run (``registry.select(...)`` picks them); None runs them all.
    """
    settings = Settings(tuple(parse_json_attrs(json_attrs)))
    files: list[SourceFile] = []
    warnings: list[FileWarning] = []
    for path, text in sources:
        tree = _parse(path, text)
        if isinstance(tree, FileWarning):
            warnings.append(tree)
        else:
            files.append(SourceFile(path, text, tree))
    lines = {f.path: f.lines for f in files}
    findings: list[Finding] = []
    for rule in all_rules() if rules is None else rules:
        for v in rule.check(files, settings):
            if not suppressed(lines.get(v.path, []), v.line, rule.code):
                findings.append(
                    Finding(v.path, v.line, v.col, v.message, v.fix, rule.code, rule.name)
                )
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return findings, warnings


def check_code(
    code: str,
    path: str | None = None,
    json_attrs: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
) -> list[Finding]:
    """The findings in one source text. ``json_attrs`` adds ``Model.attr`` JSON columns;
    ``rules`` limits the rules run (default: all registered).

    Pure and fast: no I/O. A text that does not parse has no findings.
    """
    return check_sources([(path or "<code>", code)], json_attrs, rules)[0]


def check_tree(
    paths: Iterable[str],
    json_attrs: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
    exclude: Exclude = NO_EXCLUDE,
) -> tuple[list[Finding], list[FileWarning]]:
    """Check files and folders as one tree; warnings name the files that were skipped."""
    sources, warnings = read_sources(paths, exclude)
    findings, more = check_sources(sources, json_attrs, rules)
    return findings, sort_warnings(warnings + more)
