"""The project model: every Python file of a project, indexed once and cached on disk, so a
check of one file knows the models, JSON columns and helpers the others declare.

``find_root(path)`` is the nearest folder holding ``pyproject.toml``, ``setup.cfg`` or ``.git``;
``Project.load(path)`` indexes that root (a summary per file, plain data, re-parsed only when a
file's size or mtime changes) and merges the summaries (``models``, ``json_attrs``,
``flaggers``, ``changers``); ``Project.from_sources`` builds one from texts in memory, and
``project.with_sources`` overrides files by texts not yet saved. ``decls_for(path, tree)`` is
what a check of one file needs: the classes its names stand for. Stdlib only; ``lint`` imports
this package, never the other way round.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._model import Helper, Merged, ModelInfo, merge
from ._summary import Summary, summarize

__all__ = [
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "STATS",
    "FileView",
    "Helper",
    "ModelInfo",
    "Project",
    "find_root",
    "module_name",
]

CACHE_VERSION = 6
MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 20_000
ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
# Folders that hold no project code of the user's (lint/_files.py skips the same ones).
SKIP_DIRS = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".git-rewrite",
        ".hg",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".nox",
        ".pants.d",
        ".pyenv",
        ".pytest_cache",
        ".pytype",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        ".vscode",
        "__pycache__",
        "__pypackages__",
        "_build",
        "buck-out",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "venv",
    }
)
STATS = {"parsed": 0, "loads": 0}  # files parsed and projects loaded, for tests


def find_root(path: str | os.PathLike[str]) -> Path | None:
    """The nearest folder at or above ``path`` holding a root marker; None if there is none."""
    try:
        here = Path(path).absolute()
    except (OSError, ValueError):
        return None
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        if any(os.path.lexists(folder / marker) for marker in ROOT_MARKERS):
            return folder
    return None


def module_name(path: str, root: Path | None) -> str:
    """``pkg.mod`` for ``<root>/pkg/mod.py`` (``__init__`` dropped)."""
    p = Path(path)
    if root is not None:
        with contextlib.suppress(ValueError):
            p = p.absolute().relative_to(root)
    parts = [x for x in p.with_suffix("").parts if x not in {"/", "", "."}]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(x for x in parts if x.isidentifier())


@dataclass(frozen=True, slots=True)
class FileView:
    """What one file's names stand for, for a check of that file."""

    classes: Mapping[str, ModelInfo]  # a name usable in the file (Class, mod.Class) -> info
    json_attrs: frozenset[str]  # JSON attributes of any ORM model of the project
    flaggers: Mapping[str, list[Helper]]
    changers: Mapping[str, list[Helper]]
    models: Mapping[str, ModelInfo] = field(default_factory=dict)  # by qualname


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=16).hexdigest()


def _cache_dir(root: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return Path(base) / "backend-api-patterns" / f"project-{digest}"


def _read_regular(path: str) -> str | None:
    """The UTF-8 text of a regular file of at most ``MAX_FILE_BYTES``; None otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        data = os.read(fd, MAX_FILE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _summary_of(text: str, module: str) -> Summary | None:
    STATS["parsed"] += 1
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        return summarize(tree, module)
    except RecursionError:
        return None


def _scan(root: Path) -> dict[str, tuple[int, int]]:
    """``relative path -> (size, mtime_ns)`` of the project's regular ``.py`` files."""
    found: dict[str, tuple[int, int]] = {}
    prefix = len(str(root)) + 1
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            full = os.path.join(folder, name)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                continue  # symlinks, FIFOs, devices, huge files
            found[full[prefix:]] = (info.st_size, info.st_mtime_ns)
            if len(found) >= MAX_FILES:
                return found
    return found


@dataclass(slots=True)
class Project:
    """A project's files, their summaries and the merged view of them."""

    root: Path | None
    summaries: dict[str, Summary]  # path (absolute, or as given) -> summary
    merged: Merged = field(repr=False)
    digests: dict[str, str] = field(default_factory=dict, repr=False)  # path -> text digest
    _bare: dict[str, ModelInfo] | None = field(default=None, repr=False)

    @property
    def files(self) -> list[str]:
        return sorted(self.summaries)

    @property
    def models(self) -> dict[str, ModelInfo]:
        """Every ORM model class, by qualname."""
        return {q: m for q, m in self.merged.models.items() if m.orm}

    @property
    def classes(self) -> dict[str, ModelInfo]:
        """Every class (ORM, plain, other), by qualname."""
        return self.merged.models

    @property
    def json_attrs(self) -> dict[str, set[str]]:
        """JSON attribute -> the ORM models (qualnames) that have it."""
        return self.merged.json_attrs

    @property
    def flaggers(self) -> dict[str, list[Helper]]:
        return self.merged.flaggers

    @property
    def changers(self) -> dict[str, list[Helper]]:
        return self.merged.changers

    # --- building ------------------------------------------------------------------------
    @classmethod
    def from_summaries(
        cls,
        root: Path | None,
        summaries: dict[str, Summary],
        digests: dict[str, str] | None = None,
    ) -> Project:
        return cls(root, summaries, merge(summaries), dict(digests or {}))

    @classmethod
    def from_sources(
        cls, sources: Iterable[tuple[str, ast.Module]], root: Path | None = None
    ) -> Project:
        """A project of parsed texts in memory (no I/O)."""
        summaries = {path: summarize(tree, module_name(path, root)) for path, tree in sources}
        return cls.from_summaries(root, summaries)

    def with_sources(
        self, sources: Iterable[tuple[str, ast.Module] | tuple[str, ast.Module, str]]
    ) -> Project:
        """This project with some files replaced by (or added as) the texts given; a text
        whose digest is the indexed one keeps its summary (``(path, tree, text)``)."""
        summaries = dict(self.summaries)
        digests = dict(self.digests)
        changed = False
        for source in sources:
            path, tree = source[0], source[1]
            key = str(Path(path).absolute()) if self.root is not None else path
            if len(source) == 3:
                digest = _digest(source[2])
                if key in summaries and digests.get(key) == digest:
                    continue
                digests[key] = digest
            summaries[key] = summarize(tree, module_name(key, self.root))
            changed = True
        return Project.from_summaries(self.root, summaries, digests) if changed else self

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, cache: bool = True, max_parse: int | None = None
    ) -> Project:
        """The project around ``path`` (its root, or ``path`` itself when no root is found),
        from the on-disk cache where files did not change.

        ``max_parse`` bounds the files parsed in this call (the hooks: an edit never waits for
        a cold index of a large project); the others are left out, and parsed by later calls
        as the cache fills up."""
        STATS["loads"] += 1
        root = find_root(path)
        if root is None:
            here = Path(path).absolute()
            root = here if here.is_dir() else here.parent
        root = root.resolve()
        cache_file = _cache_dir(root) / "index.json"
        old: dict[str, Any] = {}
        if cache:
            try:
                data = json.loads(cache_file.read_text())
                if data.get("version") == CACHE_VERSION and data.get("root") == str(root):
                    old = data["files"]
            except (OSError, ValueError, KeyError, TypeError):
                old = {}
        entries: dict[str, Any] = {}
        dirty = False
        parsed = 0
        for rel, (size, mtime) in _scan(root).items():
            prev = old.get(rel)
            if prev is not None and prev[0] == size and prev[1] == mtime:
                entries[rel] = prev
                continue
            if max_parse is not None and parsed >= max_parse:
                continue
            parsed += 1
            dirty = True
            text = _read_regular(str(root / rel))
            summary = None if text is None else _summary_of(text, module_name(rel, None))
            entries[rel] = [size, mtime, summary, None if text is None else _digest(text)]
        if set(old) - set(entries):
            dirty = True
        if cache and dirty:
            _write_cache(
                cache_file, {"version": CACHE_VERSION, "root": str(root), "files": entries}
            )
        base = str(root)
        summaries = {
            os.path.join(base, rel): e[2] for rel, e in entries.items() if e[2] is not None
        }
        digests = {os.path.join(base, rel): e[3] for rel, e in entries.items() if e[3] is not None}
        return cls.from_summaries(root, summaries, digests)

    # --- what a check needs --------------------------------------------------------------
    def decls_for(self, path: str, tree: ast.Module | None = None) -> FileView:
        """The classes the names of the file ``path`` stand for (``tree`` when it is not in the
        project or has changed), with the project's JSON attributes and helpers."""
        key = str(Path(path).absolute()) if self.root is not None else path
        summary = self.summaries.get(key) or self.summaries.get(path)
        if summary is None:
            summary = summarize(tree or ast.Module([], []), module_name(key, self.root))
        m = self.merged
        if self._bare is None:
            self._bare = {}
            for name, qs in m.by_name.items():  # bare names: only when they cannot be mistaken
                infos = [m.models[q] for q in qs]
                if all(i.orm for i in infos) and len({tuple(sorted(i.json)) for i in infos}) == 1:
                    self._bare[name] = infos[0]
        classes = dict(self._bare)
        for local, target in summary["imports"].items():
            q = m.lookup(target)
            if q is not None:
                classes[local] = m.models[q]
            else:  # imported from outside the project (or unknown): not the project's class
                classes.pop(local, None)
        mod = summary["module"]
        for name in summary["classes"]:
            q = f"{mod}.{name}" if mod else name
            if q in m.models:
                classes[name] = m.models[q]
        return FileView(
            classes,
            frozenset(m.json_attrs),
            m.flaggers,
            m.changers,
            m.models,
        )


def _write_cache(cache_file: Path, data: Mapping[str, Any]) -> None:
    import tempfile  # only when the index changed: not on the hook's warm path

    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=cache_file.parent, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(data, out, separators=(",", ":"))
            os.replace(temp, cache_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError:
        pass  # a cache that cannot be written is only slower
