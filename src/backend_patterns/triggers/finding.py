"""``kind: finding``: lint findings in the code context, by rule code (``any: [BAP001]``).

The strongest evidence there is: the code in front of the assistant has the very bug a pattern
fixes. Each finding is reported under its lint code, with its line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ._base import Kind, Prep

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule

# Parsing costs about 0.3 s per MB; past this size the code rules' regexes carry the signal.
CHECK_MAX_CHARS = 128_000
MAX_REPORTED = 3


class Finding(Kind):
    name = "finding"
    summary = "lint findings in the code context, by rule code"
    item_schema: ClassVar[dict[str, Any]] = {
        "type": "string",
        "pattern": "^[A-Z]+[0-9]+$",
        "x-message": "'{value}' is not a lint rule code such as BAP001.",
    }

    def reads(self, raw: dict[str, Any]) -> str:
        return "code"

    def needs(self, raw: dict[str, Any]) -> str | None:
        return "code"

    def prepare(self, item: str, prep: Prep, raw: dict[str, Any]) -> list[Any]:
        return [item]

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        findings = self._findings(inputs)
        wanted = set(rule.any)
        return [
            rule.hit(f"line {line}: {message}", label=code)
            for code, line, message in findings
            if code in wanted
        ][:MAX_REPORTED]

    @staticmethod
    def _findings(inputs: Inputs) -> list[tuple[str, int, str]]:
        """The lint findings of the code context, computed once per task."""
        found: list[tuple[str, int, str]] | None = inputs.memo.get("findings")
        if found is not None:
            return found
        code = inputs.code
        found = []
        if code and "JSON" in code and len(code) <= CHECK_MAX_CHARS:
            from ..lint import check_code

            try:
                found = [(f.code, f.line, f.message) for f in check_code(code, inputs.path)]
            except (SyntaxError, ValueError, RecursionError):
                found = []
        inputs.memo["findings"] = found
        return found
