"""The on-disk cache of parsed packs: one marshal file per pack folder, keyed by content.

Only plain data is stored (the validated YAML and the prepared rules: strings, numbers, lists
and dicts), so any interpreter reads it back the same way or misses it and parses afresh.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import zlib
from typing import Any

from .. import __version__
from ..errors import PackError
from ._locate import source_files


def cache_key(root: str) -> str:
    """A key that changes with any file of the pack, the engine's code or the interpreter."""
    key_parts = [__version__, sys.version, _engine_stamp()]
    crc = 0
    for path in source_files(root):
        try:
            with open(path, "rb") as handle:
                blob = handle.read()
        except OSError as exc:
            raise PackError(f"cannot read it ({exc.strerror}).", path=path) from None
        name = os.path.relpath(path, root).encode()
        crc = zlib.crc32(blob, zlib.crc32(name, crc))
        key_parts.append(f"{len(blob)}")
    return f"{zlib.crc32(''.join(key_parts).encode(), crc):08x}{len(key_parts):02x}"


def _engine_stamp() -> str:
    """Changes whenever the code that prepares a pack changes, so a stale cache is never read:
    the size and mtime of every module and data file of ``pack/``, ``triggers/`` and
    ``match/``."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamp = []
    for folder in ("pack", "triggers", "match"):
        try:
            entries = sorted(os.scandir(os.path.join(package, folder)), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".py", ".txt")):
                info = entry.stat()
                stamp.append(f"{entry.name}:{info.st_mtime_ns}:{info.st_size}")
    for name in ("inflect.py", "inflect_keep.txt"):  # stems are part of the prepared rules
        try:
            info = os.stat(os.path.join(package, name))
        except OSError:
            continue
        stamp.append(f"{name}:{info.st_mtime_ns}:{info.st_size}")
    return ",".join(stamp)


def _cache_file(root: str, key: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"{zlib.crc32(os.path.abspath(root).encode()):08x}"
    return os.path.join(base, "backend-api-patterns", f"pack-{tag}-{key}.marshal")


def read_cache(root: str, key: str) -> dict[str, Any] | None:
    try:
        with open(_cache_file(root, key), "rb") as handle:
            raw = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return raw if isinstance(raw, dict) and raw.get("key") == key else None


def write_cache(root: str, key: str, raw: dict[str, Any]) -> None:
    target = _cache_file(root, key)
    try:
        data = marshal.dumps({**raw, "key": key})
        os.makedirs(os.path.dirname(target), exist_ok=True)
        from .._fs import write_atomic

        write_atomic(target, data)
        _prune(target)
    except (OSError, ValueError):
        pass  # a cache we cannot write only costs speed


def _prune(current: str) -> None:
    """Remove this pack's older cache files: one file per pack folder is all that is read."""
    folder, name = os.path.split(current)
    prefix = name.rsplit("-", 1)[0] + "-"  # pack-<folder tag>-
    for other in os.listdir(folder):
        if other.startswith(prefix) and other != name:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, other))
