"""What every front end needs at a terminal: an argument parser whose mistakes read like our
other errors, and the one place where an error becomes an ``Error:`` line and an exit code.

Front ends import this; the engine never does. Stdlib only, imported on every prompt.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from .errors import BapError


def make_parser(command: str, description: str) -> argparse.ArgumentParser:
    """An ArgumentParser whose errors read ``Error: ...`` and exit 2, like every other error."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            sys.stderr.write(f"Error: {message}. See 'bap {command} --help'.\n")
            raise SystemExit(2)

    return _Parser(prog=f"bap {command}", description=description)


def error_line(exc: BapError, word: Callable[[BapError], str] | None = None) -> str:
    """``Error: <what went wrong>``, worded by the front end (flag names are the CLI's)."""
    return f"Error: {word(exc) if word else exc.describe()}"


def render_command(pattern: str, params: dict[str, str]) -> str:
    """The ``bap render`` command line for a suggestion, with its inferred parameters."""
    sets = "".join(f" --set {_quote(f'{k}={v}')}" for k, v in params.items())
    return f"bap render {pattern}{sets}"


_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-=.,:/@%+")


def _quote(word: str) -> str:
    """``shlex.quote`` without its regex for the words that need no quoting (the usual)."""
    if word and all(c in _SAFE for c in word):
        return word
    import shlex

    return shlex.quote(word)
