"""``# noqa`` comments: a bare ``# noqa`` suppresses every rule on its line, ``# noqa: CODE[,
CODE ...]`` the rules named (any registered code; case and spacing as flake8 and ruff allow).
"""

from __future__ import annotations

import re

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)


def noqa_codes(line: str) -> frozenset[str] | None:
    """None when ``line`` has no ``# noqa``; the codes it names (upper case), empty for all."""
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    return frozenset(re.split(r"[\s,]+", codes.upper())) if codes else frozenset()


def suppressed(lines: list[str], line: int, code: str) -> bool:
    """Whether a ``# noqa`` on 1-based ``line`` of ``lines`` suppresses ``code``."""
    if not 0 < line <= len(lines):
        return False
    codes = noqa_codes(lines[line - 1])
    return codes is not None and (not codes or code in codes)
