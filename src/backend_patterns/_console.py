"""What every front end needs at a terminal: an argument parser whose mistakes read like our
other errors, and the one place where an error becomes an ``Error:`` line and an exit code.

Front ends import this; the engine never does. Stdlib only, imported on every prompt.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import TYPE_CHECKING, Any

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


def render_command(pattern: str, params: dict[str, str], cwd: str | None = None) -> str:
    """The command line for a suggestion, with its inferred parameters: ``bap add`` in a
    project ``bap init`` has set up (around ``cwd``, default the current folder), else
    ``bap render``."""
    sets = "".join(f" --set {_quote(f'{k}={v}')}" for k, v in params.items())
    verb = "add" if initialised(cwd) else "render"
    return f"bap {verb} {pattern}{sets}"


_MARKERS = ("pyproject.toml", "setup.cfg", ".git")


def initialised(cwd: str | None = None) -> bool:
    """Whether the project around ``cwd`` records its conventions (``[tool.bap]`` with a
    ``layout``). Plain text, no TOML parser: this runs on every prompt."""
    import os

    try:
        here = os.path.abspath(cwd or os.getcwd())
    except OSError:
        return False
    for _ in range(64):
        candidate = os.path.join(here, "pyproject.toml")
        if os.path.isfile(candidate) and not os.path.islink(candidate):
            try:
                with open(candidate, "rb") as f:
                    text = f.read(256 * 1024).decode("utf-8", "replace")
            except OSError:
                return False
            return _records_layout(text)
        if any(os.path.lexists(os.path.join(here, m)) for m in _MARKERS):
            return False
        parent = os.path.dirname(here)
        if parent == here:
            return False
        here = parent
    return False


def _records_layout(text: str) -> bool:
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line.replace(" ", "") == "[tool.bap]"
        elif inside and line.partition("=")[0].strip() == "layout":
            return True
    return False


_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-=.,:/@%+")


def _quote(word: str) -> str:
    """``shlex.quote`` without its regex for the words that need no quoting (the usual)."""
    if word and all(c in _SAFE for c in word):
        return word
    import shlex

    return shlex.quote(word)


# ---- the standard streams: closed, full, or a pipe whose reader left ---------------------------


class ClosedStreamError(OSError):
    """Reading or writing a standard stream the process was started without."""

    def __init__(self, stream: str) -> None:
        super().__init__(errno.EBADF, f"{stream} is closed")
        self.stream = stream


class _ClosedStream(io.RawIOBase):
    """What ``sys.stdin`` / ``sys.stdout`` become when the process started with it closed.

    Python leaves a closed standard stream as ``None``; reading or writing it then fails with an
    ``AttributeError`` (a traceback). This one fails as an OS error: EBADF, "stdin is closed".
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name_ = name
        self.silenced = False

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise ClosedStreamError(self.name_)

    def write(self, data: Any) -> int:
        if self.silenced:
            return len(data)
        raise ClosedStreamError(self.name_)


def adopt_closed_std_streams() -> None:
    """Give a closed stdin or stdout (``<&-``, ``>&-``) a stream that fails with EBADF.

    The file descriptor is also held on the null device, so that a file opened later cannot
    take descriptor 0 or 1 and be read as the input or overwritten as the output.
    """
    for fd, name in ((0, "stdin"), (1, "stdout")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:
            held = os.open(os.devnull, os.O_RDWR)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
        setattr(sys, name, io.TextIOWrapper(_ClosedStream(name), encoding="utf-8"))


def silence_stdout() -> None:
    """After a failed write, send what is left for stdout nowhere (no second error at exit)."""
    stream = sys.stdout
    raw = getattr(getattr(stream, "buffer", None), "raw", getattr(stream, "buffer", None))
    if isinstance(raw, _ClosedStream):
        raw.silenced = True
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def output_failed(command: str, exc: OSError) -> int:
    """A failed write on stdout (ENOSPC from ``/dev/full``, EIO), or a read of a closed stdin:
    one ``Error:`` line, exit 2.

    A closed pipe (EPIPE, ``| head -0``) is not an error: the reader has what it wanted, and the
    program exits 0 without a word. A hook fails open: exit 0, with the line on stderr.
    """
    silence_stdout()
    if isinstance(exc, BrokenPipeError):
        return 0
    if isinstance(exc, ClosedStreamError) and exc.stream == "stdin":
        line = f"Error: stdin is closed; 'bap {command}' reads its input there."
    elif exc.filename is not None:  # not a write on stdout: a file we failed to open or read
        line = f"Error: {exc.filename}: {exc.strerror or exc}."
    else:
        line = f"Error: cannot write the output: {exc.strerror or exc}."
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    return 0 if command == "hook" else 2
