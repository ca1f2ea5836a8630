"""Which files a check reads, and their text: ``.py`` files below the paths given, skipping
virtualenvs, VCS folders, caches and the ``exclude`` globs of the project. Stdlib only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from .._fs import FileTooLargeError, NotRegularFileError, read_bytes_bounded
from ..errors import UsageError
from ..project import SKIP_DIRS as PROJECT_SKIP_DIRS
from ._findings import FileWarning

MAX_FILE_BYTES = 2 * 1024 * 1024  # larger files are skipped (``max-file-bytes`` in the config)

SKIP_DIRS = PROJECT_SKIP_DIRS  # the project model skips the same folders


def _glob_match(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether glob segments ``pattern`` match a leading run of path segments ``parts``
    (``**`` stands for any number of segments, ``*`` and ``?`` for characters in one)."""
    if not pattern:
        return True  # the pattern names a folder that holds the path
    if pattern[0] == "**":
        return any(_glob_match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return (
        bool(parts) and fnmatchcase(parts[0], pattern[0]) and _glob_match(pattern[1:], parts[1:])
    )


@dataclass(frozen=True, slots=True)
class Exclude:
    """Glob patterns of paths to skip, ruff's way: a pattern without ``/`` (``migrations``,
    ``*_pb2.py``) matches a file or folder of that name anywhere; one with ``/``
    (``app/legacy``, ``src/**/generated/*.py``) matches paths relative to ``root``."""

    root: Path
    patterns: tuple[str, ...]

    def __call__(self, path: Path) -> bool:
        if not self.patterns:
            return False
        full = path.absolute()
        try:
            parts = full.relative_to(self.root.absolute()).parts
        except ValueError:
            parts = full.parts
        for raw in self.patterns:
            pattern = raw.strip().removeprefix("./").strip("/")
            if not pattern:
                continue
            if "/" not in pattern:
                if any(fnmatchcase(part, pattern) for part in parts):
                    return True
            elif _glob_match(pattern.split("/"), parts):
                return True
        return False


NO_EXCLUDE = Exclude(Path("."), ())


def iter_python_files(paths: Iterable[str], exclude: Exclude = NO_EXCLUDE) -> Iterator[Path]:
    """The ``.py`` files below ``paths`` (files given by name always count, unless excluded),
    sorted, skipping virtualenvs, VCS folders, caches and ``node_modules``. UsageError for a
    missing path."""
    for given in paths:
        root = Path(given)
        if root.is_dir():
            if exclude(root):
                continue
            found: list[Path] = []
            for folder, dirs, files in os.walk(root):
                here = Path(folder)
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if d not in SKIP_DIRS and not d.endswith(".egg-info") and not exclude(here / d)
                )
                found.extend(
                    here / f
                    for f in files
                    if f.endswith((".py", ".pyi")) and not exclude(here / f)
                )
            yield from sorted(found)
        elif root.is_file() or os.path.lexists(root):  # a FIFO or device too: the reader warns
            if not exclude(root):
                yield root
        else:
            raise UsageError(f"{given}: no such file or directory.")


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str | FileWarning:
    """The text of ``path``, or a warning saying why it is skipped: not a regular file (a FIFO,
    a device, a socket: never opened for reading), larger than ``max_bytes``, or where it stops
    being UTF-8. OSError as ``open`` raises it."""
    try:
        data = read_bytes_bounded(path, max_bytes, follow_symlinks=True)
    except NotRegularFileError:
        return FileWarning(
            str(path), 1, 1, "not a regular file (a FIFO, device or socket); skipped"
        )
    except FileTooLargeError:
        return FileWarning(
            str(path), 1, 1, f"larger than {max_bytes:,} bytes (max-file-bytes); file skipped"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return FileWarning(
            str(path), line, col, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); file skipped"
        )


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return str(path.absolute())


def resolved_python_files(
    paths: Iterable[str], exclude: Exclude = NO_EXCLUDE
) -> list[tuple[Path, str]]:
    """``iter_python_files``, each file once, with its resolved path. Below a folder (the walk
    enters no link) a file that is not a link resolves to the folder's resolved path and its
    place under it: only links and files given by name are resolved one by one."""
    found: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for given in paths:
        walked = str(Path(given))
        real = os.path.realpath(walked) if os.path.isdir(walked) else None
        prefix = "" if walked == "." else walked + os.sep  # Path("." / "a.py") is "a.py"
        for path in iter_python_files([given], exclude):
            text = str(path)
            if real is not None and text.startswith(prefix) and not os.path.islink(text):
                key = os.path.join(real, text[len(prefix) :])
            else:
                key = _resolved(path)
            if key not in seen:
                seen.add(key)
                found.append((path, key))
    return found


def python_files(paths: Iterable[str], exclude: Exclude = NO_EXCLUDE) -> list[Path]:
    """``iter_python_files``, each file once (by its resolved path)."""
    return [path for path, _ in resolved_python_files(paths, exclude)]


def read_sources(
    paths: Iterable[str], exclude: Exclude = NO_EXCLUDE, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[tuple[str, str]], list[FileWarning]]:
    """``(path, text)`` of every file ``iter_python_files`` finds, once each, and warnings for
    the files that cannot be read (not regular, too large, not UTF-8)."""
    return read_all(python_files(paths, exclude), max_bytes)


def read_all(
    paths: Iterable[Path], max_bytes: int
) -> tuple[list[tuple[str, str]], list[FileWarning]]:
    """``(path, text)`` of each of ``paths``, and a warning for each that cannot be read."""
    sources: list[tuple[str, str]] = []
    warnings: list[FileWarning] = []
    for path in paths:
        try:
            text = read_source(path, max_bytes)
        except OSError as exc:
            warnings.append(FileWarning(str(path), 1, 1, f"cannot read ({exc.strerror})"))
            continue
        if isinstance(text, FileWarning):
            warnings.append(text)
        else:
            sources.append((str(path), text))
    return sources, warnings
