"""What a check reports: ``Finding`` (a rule's violation, with the rule's code and name) and
``FileWarning`` (a file that was skipped). Stdlib only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    col: int
    message: str  # names the problem
    fix: str  # the fix, on its own line in text output
    code: str  # the rule's code, e.g. BAP001
    rule: str  # the rule's name, e.g. jsonb-in-place-mutation
    # (1-based line after which to insert, indentation column, statement text); None: no safe fix
    fix_edit: tuple[int, int, str] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }
        if self.fix_edit is not None:
            out["fix_edit"] = list(self.fix_edit)
        return out


@dataclass(frozen=True, slots=True)
class FileWarning:
    """A file that was skipped: it does not parse, or it is not UTF-8."""

    path: str
    line: int
    col: int
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: warning: {self.message}"


def sort_warnings(warnings: Iterable[FileWarning]) -> list[FileWarning]:
    return sorted(warnings, key=lambda w: (w.path, w.line, w.col))
