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
import functools
import operator
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import _index
from ._index import digest_of, summary_digest
from ._model import Helper, Merged, ModelInfo, merge
from ._summary import Summary, summarize
from ._view import ClassTable, ReturnTable, Shared

__all__ = [
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "STATS",
    "ClassTable",
    "FileView",
    "Helper",
    "ModelInfo",
    "Project",
    "ReturnTable",
    "find_root",
    "module_name",
]

CACHE_VERSION = 9
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
STATS = {"parsed": 0, "loads": 0, "merges": 0}  # files parsed, projects loaded, merges


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
    """The dotted module of ``path`` as it is imported. A file inside a package is named from
    its top package (``<root>/src/pkg/mod.py`` and ``<root>/apps/api/src/pkg/mod.py`` are
    both ``pkg.mod``: the folders above the top package are import roots); any other file by
    its path from ``root`` (``tests/test_x.py`` is ``tests.test_x``). ``__init__`` dropped."""
    p = Path(path)
    if root is not None and not p.is_absolute():
        p = root / p
    rel = p
    if root is not None:
        with contextlib.suppress(ValueError):
            rel = p.absolute().relative_to(root)
    parts = [x for x in rel.with_suffix("").parts if x not in {"/", "", "."}]
    if root is not None and len(parts) > 1 and _is_package(str(p.absolute().parent)):
        top = len(parts) - 2  # the file's own folder is a package: climb while they are
        while top > 0 and _is_package(str(root.joinpath(*parts[:top]))):
            top -= 1
        parts = parts[top:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(x for x in parts if x.isidentifier())


def _is_init(path: str) -> bool:
    return os.path.basename(path) == "__init__.py"


@functools.lru_cache(maxsize=8192)
def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


@dataclass(frozen=True, slots=True)
class FileView:
    """What one file's names stand for, for a check of that file."""

    classes: Mapping[str, ModelInfo]  # a name usable in the file (Class, mod.Class) -> info
    json_attrs: frozenset[str]  # JSON attributes of any ORM model of the project
    flaggers: Mapping[str, list[Helper]]
    changers: Mapping[str, list[Helper]]
    models: Mapping[str, ModelInfo] = field(default_factory=dict)  # by qualname
    returns: ReturnTable | None = None  # what the functions it calls return


def _digest(text: str) -> str:
    return digest_of(text.encode(errors="surrogatepass"), 16)


def _cache_dir(root: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = digest_of(str(root).encode(), 8)
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


def _summary_of(text: str, module: str, package: bool = False) -> Summary | None:
    STATS["parsed"] += 1
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        return summarize(tree, module, package=package)
    except RecursionError:
        return None


_NAME = operator.attrgetter("name")


def _scan(root: Path) -> dict[str, tuple[int, int]]:
    """``relative path -> (size, mtime_ns)`` of the project's regular ``.py`` files, in the
    order of a top-down walk with sorted names that enters no linked folder."""
    found: dict[str, tuple[int, int]] = {}
    todo = [(str(root), "")]
    while todo:
        folder, rel = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
            entries.sort(key=_NAME)
        except OSError:
            continue
        below = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir():
                    skip = name in SKIP_DIRS or name.endswith(".egg-info")
                    if not skip and not entry.is_symlink():
                        below.append((entry.path, rel + name + os.sep))
                    continue
                if not name.endswith(".py"):
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                continue  # symlinks, FIFOs, devices, huge files
            found[rel + name] = (info.st_size, info.st_mtime_ns)
            if len(found) >= MAX_FILES:
                return found
        todo.extend(reversed(below))
    return found


@dataclass(slots=True)
class Project:
    """A project's files, their summaries and the merged view of them. A loaded project reads
    its summaries from the index only when one is asked for (``summaries``, ``decls_for``):
    a warm load needs the merged view alone."""

    root: Path | None
    _summaries: dict[str, Summary] | None = field(repr=False)  # None: not read yet
    merged: Merged = field(repr=False)
    digests: dict[str, str] = field(default_factory=dict, repr=False)  # path -> text digest
    _hashes: dict[str, str] = field(default_factory=dict, repr=False)  # path -> summary digest
    _loader: Callable[[], dict[str, Summary]] | None = field(default=None, repr=False)
    _overrides: dict[str, Summary] = field(default_factory=dict, repr=False)
    _shared: Shared | None = field(default=None, repr=False)

    @property
    def summaries(self) -> dict[str, Summary]:
        """path (absolute, or as given) -> summary, for every file of the project."""
        if self._summaries is None:
            assert self._loader is not None, "a project without summaries nor their loader"
            self._summaries, self._loader = self._loader(), None
        if self._overrides:
            self._summaries = {**self._summaries, **self._overrides}
            self._overrides = {}
        return self._summaries

    def _summary(self, key: str) -> Summary | None:
        found = self._overrides.get(key)
        return found if found is not None else self.summaries.get(key)

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
        summaries = {
            path: summarize(tree, module_name(path, root), package=_is_init(path))
            for path, tree in sources
        }
        return cls.from_summaries(root, summaries)

    def with_sources(
        self, sources: Iterable[tuple[str, ast.Module] | tuple[str, ast.Module, str]]
    ) -> Project:
        """This project with some files replaced by (or added as) the texts given; a text
        whose digest is the indexed one keeps its summary (``(path, tree, text)``), and a
        summary equal to the indexed one keeps the merged view."""
        digests = self.digests
        changed: dict[str, Summary] = {}
        same = True
        for source in sources:
            path, tree = source[0], source[1]
            key = str(Path(path).absolute()) if self.root is not None else path
            if len(source) == 3:
                digest = _digest(source[2])
                if digests.get(key) == digest and self._indexed(key):
                    continue
                if digests is self.digests:
                    digests = dict(digests)
                digests[key] = digest
            summary = summarize(tree, module_name(key, self.root), package=_is_init(key))
            changed[key] = summary
            same = same and self._hashes.get(key) == summary_digest(summary)
        if not changed:
            return self if digests is self.digests else replace(self, digests=digests)
        if same:  # the same declarations: only the checked texts' own summaries change
            return replace(self, digests=digests, _overrides={**self._overrides, **changed})
        summaries = {**self.summaries, **changed}
        return Project.from_summaries(self.root, summaries, digests)

    def _indexed(self, key: str) -> bool:
        """Whether the file ``key`` has a summary (without reading the summaries)."""
        if key in self._hashes or key in self._overrides:
            return True
        return self._summaries is not None and key in self._summaries

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, cache: bool = True, max_parse: int | None = None
    ) -> Project:
        """The project around ``path`` (its root, or ``path`` itself when no root is found),
        from the on-disk index where files did not change (``_index``).

        ``max_parse`` bounds the files parsed in this call (the hooks: an edit never waits for
        a cold index of a large project); the others are left out, and parsed by later calls
        as the cache fills up."""
        STATS["loads"] += 1
        root = find_root(path)
        if root is None:
            here = Path(path).absolute()
            root = here if here.is_dir() else here.parent
        return _load(cls, root.resolve(), cache, max_parse)

    # --- what a check needs --------------------------------------------------------------
    def decls_for(self, path: str, tree: ast.Module | None = None) -> FileView:
        """The classes the names of the file ``path`` stand for (``tree`` when it is not in the
        project or has changed), with the project's JSON attributes and helpers."""
        key = str(Path(path).absolute()) if self.root is not None else path
        summary = self._summary(key) or self._summary(path)
        if summary is None:
            summary = summarize(
                tree or ast.Module([], []), module_name(key, self.root), package=_is_init(key)
            )
        m = self.merged
        if self._shared is None:
            self._shared = Shared(m)
        shared = self._shared
        local: dict[str, ModelInfo] = {}
        hidden: set[str] = set()
        modules: dict[str, str] = {}
        for name, target in summary["imports"].items():
            q = m.lookup(target)
            if q is not None:
                local[name] = m.models[q]
                hidden.discard(name)
                modules.pop(name, None)
            else:  # imported from outside the project (or unknown): not the project's class
                local.pop(name, None)
                hidden.add(name)
                if target in shared.orm_modules:  # a module of models: `mod.Class`
                    modules[name] = target
                else:
                    modules.pop(name, None)
        mod = summary["module"]
        for name in summary["classes"]:
            q = f"{mod}.{name}" if mod else name
            if q in m.models:
                local[name] = m.models[q]
        return FileView(
            ClassTable(shared, local, frozenset(hidden), modules),
            shared.json_attrs,
            m.flaggers,
            m.changers,
            m.models,
            ReturnTable(shared, mod, summary["imports"]),
        )


def _load(cls: type[Project], root: Path, cache: bool, max_parse: int | None) -> Project:
    """``Project.load`` for a resolved root: scan, reuse the index's stamps where a file's size
    and mtime did not change, parse the others (at most ``max_parse``), and keep the index's
    merged view while every summary is the same; write the index back when it changed."""
    folder = _cache_dir(root)
    key = _index.engine_key(CACHE_VERSION)
    old = _index.read_stamps(folder, key, str(root)) if cache else None
    old_files, packed, generation = old if old is not None else ({}, None, "")
    entries: dict[str, _index.Stamp] = {}
    fresh: dict[str, Summary] = {}  # parsed in this call
    same = old is not None  # every summary is the indexed one: the merged view holds
    for rel, (size, mtime) in _scan(root).items():
        prev = old_files.get(rel)
        if prev is not None and prev[0] == size and prev[1] == mtime:
            entries[rel] = prev
            continue
        if max_parse is not None and len(fresh) >= max_parse:
            same = same and (prev is None or prev[3] is None)  # left out, as if absent
            continue
        text = _read_regular(str(root / rel))
        summary = (
            None if text is None else _summary_of(text, module_name(rel, root), _is_init(rel))
        )
        digest = None if summary is None else _index.summary_digest(summary)
        entries[rel] = (size, mtime, None if text is None else _digest(text), digest)
        if summary is not None:
            fresh[rel] = summary
        same = same and digest == (prev[3] if prev is not None else None)
    gone = old_files.keys() - entries.keys()
    same = same and all(old_files[rel][3] is None for rel in gone)
    prefix = os.path.join(str(root), "")

    def summaries() -> dict[str, Summary]:
        stored, stored_generation = _index.read_summaries(folder, key) if cache else ({}, None)
        out: dict[str, Summary] = {}
        for rel, entry in entries.items():
            if entry[3] is None:
                continue
            found = fresh.get(rel)
            if found is None:
                found = stored.get(rel)
                trusted = stored_generation == generation
                if found is None or not (trusted or _index.summary_digest(found) == entry[3]):
                    text = _read_regular(str(root / rel))
                    found = (
                        None
                        if text is None
                        else _summary_of(text, module_name(rel, root), _is_init(rel))
                    )
                if found is None:
                    continue
            out[prefix + rel] = found
        return out

    merged = _index.unpack_merged(packed) if same else None
    loaded: dict[str, Summary] | None = None
    if merged is None:
        loaded = summaries()
        merged = merge(loaded)
        STATS["merges"] += 1
    if cache and (merged is not None and (loaded is not None or fresh or gone)):
        if loaded is not None:  # the summaries changed: both files, in a new generation
            generation = _index.new_generation()
            rels = {prefix + rel: rel for rel in entries}
            plain = {rels[path]: summary for path, summary in loaded.items()}
            _index.write(
                folder, "summaries.marshal", {"key": key, "files": plain, "generation": generation}
            )
        _index.write(
            folder,
            "stamps.marshal",
            {
                "key": key,
                "root": str(root),
                "files": entries,
                "merged": _index.pack_merged(merged),
                "generation": generation,
            },
        )
    digests = {prefix + rel: e[2] for rel, e in entries.items() if e[2] is not None}
    hashes = {prefix + rel: e[3] for rel, e in entries.items() if e[3] is not None}
    return cls(root, loaded, merged, digests, hashes, None if loaded is not None else summaries)
