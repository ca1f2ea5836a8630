"""A task as the matcher sees it: words, stems with typos corrected, and its text.

Typo correction only ever maps an unknown word onto a word of the pack's vocabulary, so it
can make a rule fire on "websokcet" but can never invent a match for a word the pack does not
care about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..inflect import stem
from ._tokens import words


class TaskView:
    """A task seen by the matcher: its tokens, their (typo-corrected) stems, its text."""

    __slots__ = ("tokens", "stems", "text", "corrected", "corrections", "positions")

    def __init__(
        self,
        tokens: list[str],
        stems: list[str],
        text: str,
        corrected: str,
        corrections: dict[int, str],
        positions: dict[str, list[int]],
    ) -> None:
        self.tokens = tokens
        self.stems = stems
        self.text = text
        self.corrected = corrected  # the text with typos of vocabulary words corrected
        self.corrections = corrections
        self.positions = positions

    def find(self, phrase: Sequence[str]) -> str | None:
        """The words of the first occurrence of ``phrase`` (a sequence of stems), or None."""
        first = self.positions.get(phrase[0])
        if not first:
            return None
        n = len(phrase)
        if n == 1:
            return self.tokens[first[0]]
        stems = self.stems
        want = list(phrase)
        for i in first:
            if stems[i : i + n] == want:
                return " ".join(self.tokens[i : i + n])
        return None


_SUFFIXES = ("s", "es", "d", "ed", "r", "er", "ing", "ly", "e")


def _inflection(a: str, b: str) -> bool:
    """Whether one word is the other plus an ending ("manage"/"manager"), not a typo."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    suffix = long[len(short) :]
    if suffix == "s" and len(short) <= 4:  # "clas" is a typo of "class", not its singular
        return False
    return long.startswith(short) and suffix in _SUFFIXES


class Vocabulary:
    """The words of a pack's keyword rules, and how to read a task against them."""

    def __init__(self, prepared: dict[str, Any]) -> None:
        self.known_stems = set(prepared["known_stems"])
        self.fuzzy_words: list[str] = prepared["fuzzy_words"]
        self.fuzzy_stems: dict[str, str] = prepared["fuzzy_stems"]
        self.common = frozenset(prepared.get("common", ()))
        self._by_letter: dict[str, list[str]] = {}
        for w in self.fuzzy_words:
            self._by_letter.setdefault(w[0], []).append(w)
        self._cache: dict[str, str | None] = {}

    def correct(self, token: str) -> str | None:
        """The vocabulary word ``token`` is a typo of, if any.

        One edit (a transposition counts as one), two when either word has nine letters. The
        first letter must agree: typos rarely touch it, and real words that differ from the
        vocabulary by one letter mostly differ there ("later" and "layer" do not).
        """
        if token in self._cache:
            return self._cache[token]
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = 2 if len(token) >= 6 else 1
        candidates = self._by_letter.get(token[0], [])
        best = process.extractOne(token, candidates, scorer=OSA.distance, score_cutoff=limit)
        word = None
        if best is not None and best[1] == 2 and max(len(token), len(best[0])) < 9:
            best = None  # two edits only when one of the words is long ("websokt")
        if best is not None and abs(len(best[0]) - len(token)) <= limit:
            candidate = str(best[0])
            # "manage" is not a typo of "manager", nor "stream" of "streams".
            # Short words: a swapped letter is a typo ("jsnob"), a changed one usually another
            # word ("crude" is not "cruds").
            substitution = len(candidate) == len(token) and sorted(candidate) != sorted(token)
            if not _inflection(token, candidate) and not (substitution and len(token) <= 5):
                word = candidate
        self._cache[token] = word
        return word

    def view(self, task: str, max_chars: int) -> TaskView:
        """``task`` as tokens, stems (typos of vocabulary words corrected) and text."""
        task = task[:max_chars]
        tokens = words(task)
        stems = [stem(t) for t in tokens]
        corrections: dict[int, str] = {}
        known = self.known_stems
        for i, token in enumerate(tokens):
            if (
                len(token) >= 4
                and stems[i] not in known
                and token not in self.common
                and not token.isdigit()
            ):
                word = self.correct(token)
                if word is not None and word != token:
                    stems[i] = self.fuzzy_stems[word]
                    corrections[i] = word
        positions: dict[str, list[int]] = {}
        for i, s in enumerate(stems):
            positions.setdefault(s, []).append(i)
        text = corrected = " ".join(task.split())
        for i, word in corrections.items():
            # Intent regexes see the corrected words too: "scafold endpoitns" reads "endpoints".
            corrected = re.sub(
                rf"\b{re.escape(tokens[i])}\b", word, corrected, flags=re.IGNORECASE
            )
        return TaskView(tokens, stems, text, corrected, corrections, positions)
