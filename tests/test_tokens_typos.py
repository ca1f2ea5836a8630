"""Typo correction onto the pack's vocabulary: how many edits, which words, which letters.

One edit (a transposition counts as one); two only when one of the words has nine letters or
more; the first letter must agree; a changed letter in a word of five letters or fewer is
another word, not a typo; an inflection ("manage"/"manager") is not a typo either.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from backend_patterns.inflect import stem
from backend_patterns.match._suggest import compiled
from backend_patterns.pack import load_pack
from backend_patterns.triggers._tokens import common_words, read_words, words
from backend_patterns.triggers._view import Vocabulary


def vocabulary(fuzzy: Iterable[str], common: Iterable[str] = ()) -> Vocabulary:
    fuzzy = list(fuzzy)
    return Vocabulary(
        {
            "known_stems": sorted({stem(w) for w in fuzzy}),
            "fuzzy_words": fuzzy,
            "fuzzy_stems": {w: stem(w) for w in fuzzy},
            "common": list(common),
        }
    )


@pytest.mark.parametrize(
    ("token", "word"),
    [
        ("websockt", "websocket"),  # one deletion
        ("websokcet", "websocket"),  # one transposition
        ("websockeet", "websocket"),  # one insertion
        ("websckt", "websocket"),  # two edits: the word has nine letters
        ("endpoit", "endpoint"),  # one edit on an eight-letter word
        ("jsno", "json"),  # a swapped letter in a short word is a typo
        ("clas", "class"),  # not the singular of "class"
    ],
)
def test_corrected(token: str, word: str) -> None:
    vocab = vocabulary(["websocket", "endpoint", "json", "class", "migration"])
    assert vocab.correct(token) == word
    assert vocab.correct(token) == word  # the second answer comes from the cache


@pytest.mark.parametrize(
    "token",
    [
        "endpnt",  # two edits, and neither word has nine letters
        "endpnit",  # two edits on an eight-letter word
        "wbsckt",  # three edits, even on a long word
        "xebsocket",  # the first letter differs
        "jsob",  # a changed letter in a short word is another word
        "clast",  # likewise, in a five-letter word
        "manage",  # an inflection of "manager", not a typo
        "streams",  # the plural of "stream"
        "migrate",  # two edits, the word has nine letters, but the lengths differ by two
    ],
)
def test_not_corrected(token: str) -> None:
    vocab = vocabulary(
        ["websocket", "endpoint", "json", "class", "manager", "stream", "migration"]
    )
    assert vocab.correct(token) is None
    assert vocab.correct(token) is None


def test_a_plural_is_an_inflection_from_five_letters_on() -> None:
    assert vocabulary(["table"]).correct("tables") is None  # "tables" is not a typo
    assert vocabulary(["tables"]).correct("table") is None
    assert vocabulary(["class"]).correct("clas") == "class"  # four letters: a typo


def test_a_prepared_pack_without_common_words_still_reads_tasks() -> None:
    vocab = Vocabulary(
        {"known_stems": [], "fuzzy_words": ["json"], "fuzzy_stems": {"json": "json"}}
    )
    assert vocab.view("jsno", 100).corrections == {0: "json"}


def test_a_changed_letter_in_a_six_letter_word_is_a_typo() -> None:
    assert vocabulary(["socket"]).correct("sockit") == "socket"
    assert vocabulary(["socks"]).correct("socka") is None


def test_the_length_may_differ_by_the_edits_allowed_only() -> None:
    # "migrat" is two deletions from "migration" (9 letters): lengths differ by three
    vocab = vocabulary(["migration"])
    assert vocab.correct("migratio") == "migration"
    assert vocab.correct("migrtion") == "migration"
    assert vocab.correct("migrati") == "migration"
    assert vocab.correct("migrat") is None


def test_no_substitution_of_a_short_vocabulary_word_is_corrected_onto_it() -> None:
    """Every one-letter substitution (past the first letter) of every 4-5-letter word of the
    bundled pack's vocabulary: none is read as that word (it is another word, or noise)."""
    vocab = compiled(load_pack()).vocabulary
    short = [w for w in vocab.fuzzy_words if 4 <= len(w) <= 5 and w.isalpha()]
    assert len(short) > 50
    tried = 0
    for word in short:
        for i in range(1, len(word)):
            for letter in "aeioustnrl":
                token = word[:i] + letter + word[i + 1 :]
                if token == word or token in vocab.fuzzy_stems:
                    continue
                tried += 1
                assert vocab.correct(token) != word, token
    assert tried > 1000


def test_long_vocabulary_words_tolerate_one_deletion() -> None:
    vocab = compiled(load_pack()).vocabulary
    long = [w for w in vocab.fuzzy_words if len(w) >= 8 and w.isalpha()]
    assert len(long) > 20
    for word in long:
        token = word[:3] + word[4:]  # one letter dropped, the first ones kept
        if token not in vocab.fuzzy_stems:
            assert vocab.correct(token) is not None, token


def test_the_view_corrects_typos_in_stems_and_text() -> None:
    vocab = vocabulary(["websocket", "endpoints", "table"], common=["tabel"])
    view = vocab.view("Add  a Websokcet  endpoitns tabel", 1000)
    assert view.tokens == ["add", "a", "websokcet", "endpoitns", "tabel"]
    assert view.corrections == {2: "websocket", 3: "endpoints"}
    assert view.stems[2:] == ["websocket", "endpoint", "tabel"]
    assert view.text == "Add a Websokcet endpoitns tabel"
    assert view.corrected == "Add a websocket endpoints tabel"
    assert view.positions["websocket"] == [2]
    assert view.find(["websocket", "endpoint"]) == "websokcet endpoitns"
    assert view.find(["endpoint", "websocket"]) is None
    assert view.find(["nothing"]) is None
    twice = vocab.view("websocket and websocket endpoints", 1000)
    assert twice.find(["websocket"]) == "websocket"
    assert twice.find(["websocket", "endpoint"]) == "websocket endpoints"


def test_the_view_leaves_short_known_and_numeric_tokens_alone() -> None:
    vocab = vocabulary(["orm", "json", "12345", "tables", "tabel"])
    view = vocab.view("omr jsno 12354 table", 1000)
    assert view.corrections == {1: "json"}  # 3 letters, a number, a known stem: left alone
    assert view.corrected == "omr json 12354 table"
    unchanged = vocab.view("nothing to see", 1000)
    assert unchanged.corrected == unchanged.text == "nothing to see"
    assert unchanged.corrections == {}


def test_the_view_reads_only_the_first_max_chars() -> None:
    view = vocabulary(["websocket"]).view("websokcet " * 10, 25)
    assert view.tokens == ["websokcet", "websokcet", "webso"]
    assert view.corrections == {0: "websocket", 1: "websocket"}


def test_words_split_camel_case_but_not_acronyms() -> None:
    assert words("InvoiceService") == ["invoiceservice", "invoice", "service"]
    assert words("RESTful HTTPServer doesn't user_id 42") == [
        "restful",
        "httpserver",
        "doesnt",
        "user",
        "id",
        "42",
    ]
    assert words("getId") == ["getid", "get", "id"]
    assert words("aB") == ["ab"]
    assert words("aBc") == ["abc"]  # three letters: never split
    assert words("getX") == ["getx", "get", "x"]  # four: split
    assert words("it\u2019s") == ["its"]


def test_word_lists_are_lower_case_words_without_comments(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("# a comment line\nAlpha beta  # after the words\nGAMMA#delta\nx # y # z\n")
    assert read_words(str(path)) == {"alpha", "beta", "gamma", "x"}
    common = common_words()
    assert {"where", "there", "later"} <= common
    assert all(w == w.lower() and "#" not in w for w in common)
