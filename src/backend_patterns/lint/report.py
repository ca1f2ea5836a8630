"""BAP001 findings as text (the shape linters use), JSON, or SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath, PurePosixPath
from typing import Any

from .. import __version__
from . import CODE, RULE, Finding

HELP_URI = "docs/rules/BAP001.md"
SHORT = "JSON/JSONB attribute changed in place and never flagged: the change is not saved"
FULL = (
    "SQLAlchemy does not see in-place changes to a JSON or JSONB column (item assignment, del, "
    "update(), setdefault(), pop(), |=, append() on a nested list, ...). Unless "
    'flag_modified(obj, "attr") marks the attribute before the commit or flush, the UPDATE '
    "leaves the column out and the change is silently lost."
)
HELP = (
    'Call sqlalchemy.orm.attributes.flag_modified(obj, "attr") after the change and before '
    "the commit, or assign a new object: obj.attr = {**obj.attr, key: value}. A "
    "MutableDict.as_mutable(JSONB) column tracks changes at its top level only; nested "
    "changes still need flag_modified. Suppress a line with `# noqa: BAP001`."
)


def format_text(findings: Sequence[Finding]) -> str:
    """``path:line:col: BAP001 rule: message`` + a ``help:`` line each, then a summary."""
    if not findings:
        return "All checks passed!\n"
    out = [
        f"{f.path}:{f.line}:{f.col}: {f.code} {f.rule}: {f.message}\n  help: {f.fix}\n"
        for f in findings
    ]
    n = len(findings)
    out.append(f"\nFound {n} error{'' if n == 1 else 's'}.\n")
    return "".join(out)


def format_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2) + "\n"


def _uri(path: str) -> str:
    p = PurePath(path)
    return p.as_uri() if p.is_absolute() else str(PurePosixPath(*p.parts))


def sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    rule = {
        "id": CODE,
        "name": RULE,
        "shortDescription": {"text": SHORT},
        "fullDescription": {"text": FULL},
        "helpUri": HELP_URI,
        "help": {"text": HELP, "markdown": HELP},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["correctness", "sqlalchemy", "jsonb"]},
    }
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": f"{f.message}. Fix: {f.fix}."},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": f.line, "startColumn": f.col},
                    }
                }
            ],
        }
        for f in findings
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bap",
                        "version": __version__,
                        "informationUri": HELP_URI,
                        "rules": [rule],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def format_sarif(findings: Sequence[Finding]) -> str:
    return json.dumps(sarif(findings), indent=2) + "\n"


FORMATS = {"text": format_text, "json": format_json, "sarif": format_sarif}
