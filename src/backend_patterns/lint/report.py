"""Findings as text (the shape linters use), JSON, or SARIF 2.1.0 for code scanning.

Every format takes the findings and the rules that ran (default: every registered rule); SARIF
lists those rules, from the registry, and points each result at its rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath, PurePosixPath
from typing import Any, Protocol

from .. import __version__
from ._findings import Finding
from ._syntax import SYNTAX_CODE, SYNTAX_RULE
from .registry import RULES, Rule, all_rules

INFORMATION_URI = "docs/rules/README.md"


class Formatter(Protocol):
    def __call__(self, findings: Sequence[Finding], rules: Sequence[Rule] | None = None) -> str:
        """The findings of a run of ``rules`` (default: every registered rule) as text."""


def _errors(n: int) -> str:
    return f"{n} error{'' if n == 1 else 's'}"


def format_text(
    findings: Sequence[Finding],
    rules: Sequence[Rule] | None = None,
    *,
    fixed: int | None = None,
) -> str:
    """``path:line:col: CODE name: message`` + a ``help:`` line each, then a summary.

    A finding that ``bap check --fix`` can fix ends with ``[*]``, as in ruff. ``fixed`` is the
    number fixed by this run (None: no fixing was asked for); then the findings left without a
    safe fix end with ``(no safe fix)`` and the summary counts what was fixed.
    """
    if not findings and not fixed:
        return "All checks passed!\n"
    out = []
    for f in findings:
        mark = " [*]" if f.fix_edit is not None else " (no safe fix)" if fixed is not None else ""
        out.append(f"{f.path}:{f.line}:{f.col}: {f.code} {f.rule}: {f.message}{mark}\n")
        out.append(f"  help: {f.fix}\n")
    if fixed is not None:
        total = fixed + len(findings)
        summary = f"Found {_errors(total)} ({fixed} fixed, {len(findings)} remaining).\n"
        out.append(f"\n{summary}" if findings else summary)
        return "".join(out)
    out.append(f"\nFound {_errors(len(findings))}.\n")
    return "".join(out)


def format_json(findings: Sequence[Finding], rules: Sequence[Rule] | None = None) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2) + "\n"


def _uri(path: str) -> str:
    p = PurePath(path)
    return p.as_uri() if p.is_absolute() else str(PurePosixPath(*p.parts))


def _paragraph(markdown: str) -> str:
    """The first paragraph of ``markdown`` on one line."""
    return " ".join(markdown.split("\n\n", 1)[0].split())


def sarif_rule(rule: Rule) -> dict[str, Any]:
    """A ``reportingDescriptor``: the rule as code scanning shows it, from the registry."""
    sections = rule.sections()
    what = _paragraph(sections.get("What it does", rule.summary))
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _paragraph(sections.get("Why is this bad?", rule.summary))},
        # the syntax-error diagnostic is no registered rule and has no page of its own
        "helpUri": INFORMATION_URI if rule is SYNTAX_RULE else rule.help_uri,
        "help": {
            "text": f"{what} Suppress a line with `# noqa: {rule.code}`.",
            "markdown": rule.markdown(),
        },
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"tags": list(rule.tags)},
    }


def sarif(findings: Sequence[Finding], rules: Sequence[Rule] | None = None) -> dict[str, Any]:
    ran = list(all_rules() if rules is None else rules)
    for code in sorted({f.code for f in findings} - {r.code for r in ran}):
        if code in RULES:  # a finding of a rule not said to have run: still describe it
            ran.append(RULES[code])
        elif code == SYNTAX_CODE:  # not a registered rule: reported whatever was selected
            ran.append(SYNTAX_RULE)
    index = {rule.code: i for i, rule in enumerate(ran)}
    results = []
    for f in findings:
        result: dict[str, Any] = {"ruleId": f.code}
        if f.code in index:
            result["ruleIndex"] = index[f.code]
            result["level"] = ran[index[f.code]].severity
        result["message"] = {"text": f"{f.message}. Fix: {f.fix}."}
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path)},
                    "region": {"startLine": f.line, "startColumn": f.col},
                }
            }
        ]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bap",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [sarif_rule(rule) for rule in ran],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def format_sarif(findings: Sequence[Finding], rules: Sequence[Rule] | None = None) -> str:
    return json.dumps(sarif(findings, rules), indent=2) + "\n"


FORMATS: dict[str, Formatter] = {"text": format_text, "json": format_json, "sarif": format_sarif}
