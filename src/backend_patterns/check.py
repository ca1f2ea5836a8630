"""BAP001 jsonb-in-place-mutation: JSON/JSONB attributes changed in place and never flagged.

(Interface settled; the analysis is being written.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CODE = "BAP001"
RULE = "jsonb-in-place-mutation"


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
        return {"path": self.path, "line": self.line, "col": self.col, "code": self.code,
                "rule": self.rule, "message": self.message, "fix": self.fix}


def check_code(code: str, path: str | None = None,
               json_attrs: Iterable[str] = ()) -> list[Finding]:
    """The BAP001 findings in one source text. ``json_attrs`` adds ``Model.attr`` names."""
    return []
