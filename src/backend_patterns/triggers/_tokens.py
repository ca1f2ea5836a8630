"""Turning free text into the tokens the matcher compares: words and camelCase parts."""

from __future__ import annotations

import os
import re

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def read_words(path: str) -> frozenset[str]:
    """The lower-case words of a word-list file: white-space separated, ``#`` comments."""
    with open(path, encoding="utf-8") as handle:
        return frozenset(w.lower() for line in handle for w in line.split("#", 1)[0].split())


def common_words() -> frozenset[str]:
    """Everyday words that are never read as typos, nor as targets of a typo correction
    ("where" is not a misspelt "there"): ``common_words.txt``, read when a pack is prepared,
    never per prompt (the prepared rules carry the list)."""
    return read_words(os.path.join(os.path.dirname(os.path.abspath(__file__)), "common_words.txt"))


def words(text: str) -> list[str]:
    """Lower-case words of ``text``; camelCase and PascalCase names also give their parts.

    Parts are split where a lower-case letter meets an upper-case one, so ``RESTful`` and
    ``HTTPServer`` stay whole.

    ``InvoiceService`` yields ``invoiceservice``, ``invoice``, ``service``; snake_case names
    are split at the underscores, since ``_`` is not part of a word here.
    """
    out: list[str] = []
    text = text.replace("'", "").replace("\u2019", "")  # "doesn't" reads as "doesnt"
    for match in _WORD.finditer(text):
        token = match.group()
        out.append(token.lower())
        if not token.islower() and not token.isupper() and len(token) > 3:
            parts = _CAMEL.split(token)  # InvoiceService -> Invoice, Service; not RESTful
            if len(parts) > 1:
                out.extend(p.lower() for p in parts)
    return out
