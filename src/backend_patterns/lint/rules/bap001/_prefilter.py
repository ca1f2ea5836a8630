"""BAP001, what a file's text rules out before any analysis: a change needs an attribute of a
JSON column written in the function that makes it (``obj.attr``), and, unless receivers of
unknown type count, a model's name for the receiver's evidence. Both are identifiers of the
text, so a file, a function or a top level without them cannot hold a finding. Exact: the
words of a text are a superset of its identifiers (strings and comments add words, never take
one away). Stdlib only.
"""

from __future__ import annotations

import bisect
import string
from collections.abc import Mapping

from ....project import ModelInfo

# every ASCII character that cannot be part of an identifier becomes a space
_SPACES = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)
_WORD = frozenset(string.ascii_letters + string.digits + "_")
_NAMES: dict[int, tuple[Mapping[str, ModelInfo], frozenset[str]]] = {}


def words(text: str) -> set[str]:
    """The words of ``text``: every identifier it holds, and more. A non-ASCII identifier is
    also taken as Python reads it (NFKC-normalised)."""
    found = set(text.translate(_SPACES).split())
    if not text.isascii():
        import unicodedata  # only for a non-ASCII text

        found |= set(unicodedata.normalize("NFKC", text).translate(_SPACES).split())
    return found


def model_json_names(models: Mapping[str, ModelInfo]) -> frozenset[str]:
    """The JSON attributes of every ORM model or mixin of ``models`` (a mixin's may be
    overridden in its models, and then not be among the project's), once per project."""
    cached = _NAMES.get(id(models))
    if cached is not None and cached[0] is models:
        return cached[1]
    names = frozenset(
        attr for info in models.values() if info.orm or info.orm_mixin for attr in info.json
    )
    if len(_NAMES) > 8:
        _NAMES.clear()
    _NAMES[id(models)] = (models, names)
    return names


def word_lines(text: str, attrs: set[str]) -> list[int] | None:
    """The sorted line numbers where one of ``attrs`` is written as a word; None when lines
    cannot be told this way (non-ASCII text, or a line ended by ``\\r``)."""
    if not text.isascii() or "\r" in text:
        return None
    starts: list[int] = []
    for attr in attrs:
        size = len(attr)
        at = text.find(attr)
        while at >= 0:
            end = at + size
            if (at == 0 or text[at - 1] not in _WORD) and (
                end == len(text) or text[end] not in _WORD
            ):
                starts.append(at)
            at = text.find(attr, end)
    starts.sort()
    lines: list[int] = []
    line, pos = 1, 0
    for start in starts:
        line += text.count("\n", pos, start)
        pos = start
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


class Spans:
    """Which line ranges of a file hold a JSON attribute's name (``attrs``), which a name an
    event call can have (``calls``: a mutator, a helper, ``flag_modified``, a commit...), and
    which a ``def`` or ``class`` (``defs``: a nested function)."""

    __slots__ = ("_attrs", "_calls", "_defs")

    def __init__(self, attrs: list[int], calls: list[int], defs: list[int]) -> None:
        self._attrs = attrs
        self._calls = calls
        self._defs = defs

    def defs(self, first: int, last: int) -> bool:
        return _holds(self._defs, first, last)

    def attrs(self, first: int, last: int) -> bool:
        return _holds(self._attrs, first, last)

    def calls(self, first: int, last: int) -> bool:
        return _holds(self._calls, first, last)


def _holds(lines: list[int], first: int, last: int) -> bool:
    i = bisect.bisect_left(lines, first)
    return i < len(lines) and lines[i] <= last
