"""``lint._noqa``: which rules a ``# noqa`` comment suppresses on its line."""

from __future__ import annotations

import pytest

from backend_patterns.lint._noqa import noqa_codes, suppressed


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("x = 1", None),
        ("x = 1  # noqa", frozenset()),
        ("x = 1  #noqa", frozenset()),
        ("x = 1  # NOQA", frozenset()),
        ("x = 1  # noqa: BAP001", frozenset({"BAP001"})),
        ("x = 1  # noqa:bap001,E501", frozenset({"BAP001", "E501"})),
        ("x = 1  # noqa: BAP001 BAP999", frozenset({"BAP001", "BAP999"})),
        ("x = 1  # noqa: BAP001, E501  # why", frozenset({"BAP001", "E501"})),
        ("x = 1  # noqa:", frozenset()),  # no code after the colon: flake8 reads it as bare
        ("x = 1  # type: ignore  # noqa: BAP002", frozenset({"BAP002"})),
    ],
)
def test_noqa_codes(line: str, codes: frozenset[str] | None) -> None:
    assert noqa_codes(line) == codes


def test_suppressed_by_line() -> None:
    lines = ["a  # noqa: BAP001", "b  # noqa", "c  # noqa: E501", "d"]
    assert [suppressed(lines, n, "BAP001") for n in range(0, 6)] == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    assert suppressed(lines, 1, "BAP999") is False
    assert suppressed(lines, 2, "BAP999") is True
