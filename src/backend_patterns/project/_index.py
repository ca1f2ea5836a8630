"""The project index on disk: two marshal files of plain data per project root.

``stamps.marshal`` holds what a warm load reads: each file's size, mtime, text digest and
summary digest, and the merged view of every summary (models, JSON attributes, helpers) as
tuples. ``summaries.marshal`` holds the summaries themselves, read only when a summary is
needed (a check of a file, a merge after a file's declarations changed). Both carry a key that
changes with the cache version, the interpreter and the code of this package (its modules'
sizes and mtimes), so a stale index is never read; and a generation, so summaries written by
another process are checked one by one against their digests. Stdlib only.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from ._model import Helper, Merged, ModelInfo

try:  # hashlib would load OpenSSL first, for a digest the interpreter has built in
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

FORMAT = 1
Stamp = tuple[int, int, "str | None", "str | None"]  # size, mtime_ns, text digest, summary digest


def engine_key(version: int) -> str:
    """Changes with ``version``, the interpreter, and any module of this package."""
    parts = [str(FORMAT), str(version), sys.version]
    folder = os.path.dirname(os.path.abspath(__file__))
    with contextlib.suppress(OSError):
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                info = entry.stat()
                parts.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    return blake2b("|".join(parts).encode(), digest_size=12).hexdigest()


def digest_of(data: bytes, size: int) -> str:
    return blake2b(data, digest_size=size).hexdigest()


def summary_digest(summary: Any) -> str:
    """A digest of a summary's content (plain data: its ``repr`` is its value)."""
    return blake2b(repr(summary).encode(), digest_size=12).hexdigest()


def _read(path: Path) -> Any:
    try:
        with open(path, "rb") as handle:
            return marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def read_stamps(folder: Path, key: str, root: str) -> tuple[dict[str, Stamp], Any, str] | None:
    """``(stamps by relative path, packed merged view or None, generation)``; None on a miss."""
    data = _read(folder / "stamps.marshal")
    if not isinstance(data, dict) or data.get("key") != key or data.get("root") != root:
        return None
    files, merged, generation = data.get("files"), data.get("merged"), data.get("generation")
    if not isinstance(files, dict) or not isinstance(generation, str):
        return None
    return files, merged, generation


def read_summaries(folder: Path, key: str) -> tuple[dict[str, Any], str | None]:
    """``(summaries by relative path, generation)``; empty on a miss."""
    data = _read(folder / "summaries.marshal")
    if not isinstance(data, dict) or data.get("key") != key:
        return {}, None
    files = data.get("files")
    generation = data.get("generation")
    if not isinstance(files, dict):
        return {}, None
    return files, generation if isinstance(generation, str) else None


def write(folder: Path, name: str, data: dict[str, Any]) -> None:
    """Write ``data`` to ``folder/name`` through a temporary file; a failure is only slower."""
    import tempfile  # only when the index changed: not on the hook's warm path

    try:
        blob = marshal.dumps(data)
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(temp, folder / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except (OSError, ValueError):
        pass  # a cache that cannot be written (or a value marshal cannot hold) is only slower


def new_generation() -> str:
    return os.urandom(8).hex()


# ---- the merged view as plain data ----------------------------------------------------------


def _row(item: ModelInfo | Helper) -> tuple[Any, ...]:
    return tuple(getattr(item, f.name) for f in fields(item))


def pack_merged(merged: Merged) -> dict[str, Any]:
    """The merged view as dicts, lists and tuples (what marshal holds)."""
    out: dict[str, Any] = {}
    for f in fields(merged):
        value = getattr(merged, f.name)
        if f.name == "models":
            out[f.name] = {q: _row(info) for q, info in value.items()}
        elif f.name in {"flaggers", "changers"}:
            out[f.name] = {name: [_row(h) for h in hs] for name, hs in value.items()}
        else:
            out[f.name] = value
    out["shape"] = _shape()
    return out


def unpack_merged(data: Any) -> Merged | None:
    """``pack_merged``'s value back; None when it is not one (another shape of the classes)."""
    if not isinstance(data, dict) or data.get("shape") != _shape():
        return None
    try:
        values: dict[str, Any] = {}
        for f in fields(Merged):
            raw = data[f.name]
            if f.name == "models":
                values[f.name] = {q: ModelInfo(*row) for q, row in raw.items()}
            elif f.name in {"flaggers", "changers"}:
                values[f.name] = {n: [Helper(*row) for row in hs] for n, hs in raw.items()}
            else:
                values[f.name] = raw
        return Merged(**values)
    except (KeyError, TypeError, AttributeError):
        return None


def _shape() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(f.name for f in fields(c)) for c in (Merged, ModelInfo, Helper))
