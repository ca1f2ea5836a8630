"""Runs the rules: parses each text once, hands every selected rule all the files together,
turns violations into findings with the rule's code and name, and drops what ``# noqa``
suppresses. A text that does not parse is itself a finding (``BAP000 syntax-error``, never
suppressed), and Python's warnings while parsing are file warnings. Stdlib only: the hooks call
``check_code`` on every edit.

A large tree (``PARALLEL_MIN_FILES`` files or more, with a project model that holds what every
file declares) is checked in ``jobs`` worker processes, each reading, parsing and checking one
chunk of files at a time, so no process holds every tree at once; a rule then sees one chunk
of files plus the project model.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import JsonAttrError
from ..project import Project, find_root
from ._files import MAX_FILE_BYTES, NO_EXCLUDE, Exclude, read_all, resolved_python_files
from ._findings import FileWarning, Finding, sort_warnings
from ._noqa import suppressed
from ._syntax import SYNTAX_CODE, parse_source
from .registry import RULES, Rule, Settings, SourceFile, all_rules

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

_ATTR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
PARALLEL_MIN_FILES = 400  # below this, one process: starting workers costs more than it saves
CHUNK_FILES = 64  # files a worker reads, parses and checks together


def parse_json_attrs(items: Iterable[str]) -> list[tuple[str, str]]:
    """``["Agent.agent_metadata"]`` -> ``[("Agent", "agent_metadata")]``; UsageError if bad."""
    pairs = []
    for item in items:
        if not _ATTR.fullmatch(item.strip()):
            raise JsonAttrError(item)
        model, _, attr = item.strip().partition(".")
        pairs.append((model, attr))
    return pairs


@contextmanager
def _no_gc() -> Iterator[None]:
    """Trees hold no cycles: collecting while thousands of them are alive only walks them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _project_of(paths: list[str], resolved: Sequence[str] | None = None) -> Project | None:
    """The project model of files on disk that all lie below one project root; else None.
    ``resolved`` are the paths resolved, when the caller knows them."""
    real = [p for p in paths if os.path.isfile(p)]
    if not real or len(real) != len(paths):
        return None
    root = find_root(real[0])
    if root is None:
        return None
    base = os.path.join(str(root.resolve()), "")
    keys = resolved if resolved is not None else [str(Path(p).resolve()) for p in real]
    if not all(k.startswith(base) for k in keys):
        return None
    return Project.load(root)


def _settings(
    json_attrs: Iterable[str], project: Project | None, untyped_receivers: bool
) -> Settings:
    return Settings(
        tuple(parse_json_attrs(json_attrs)), project=project, untyped_receivers=untyped_receivers
    )


def _check_parsed(
    sources: Iterable[tuple[str, str]], settings: Settings, rules: Sequence[Rule]
) -> tuple[list[Finding], list[FileWarning]]:
    """Parse and check ``sources`` together (unsorted)."""
    files: list[SourceFile] = []
    findings: list[Finding] = []
    warnings: list[FileWarning] = []
    for path, text in sources:
        tree, caught = parse_source(path, text)
        warnings.extend(caught)
        if isinstance(tree, Finding):
            findings.append(tree)
        else:
            files.append(SourceFile(path, text, tree))
    lines = {f.path: f.lines for f in files}
    for rule in rules:
        for v in rule.check(files, settings):
            if not suppressed(lines.get(v.path, []), v.line, rule.code):
                findings.append(
                    Finding(
                        v.path, v.line, v.col, v.message, v.fix, rule.code, rule.name, v.fix_edit
                    )
                )
    return findings, warnings


def _sorted(findings: list[Finding]) -> list[Finding]:
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return findings


def check_sources(
    sources: Iterable[tuple[str, str]],
    json_attrs: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
    project: Project | None = None,
    *,
    load_project: bool = True,
    untyped_receivers: bool = False,
) -> tuple[list[Finding], list[FileWarning]]:
    """Check ``(path, text)`` pairs together: a model in one text is known in all of them.

    ``rules`` are the rules to run (``registry.select(...)`` picks them); None runs them all.
    ``project`` is the project model the texts belong to; when None and ``load_project``, the
    files' project on disk is loaded (its cached index) if they all lie below one root.
    A text that does not parse gives a ``BAP000`` finding whatever ``rules`` says.
    """
    sources = list(sources)
    settings_attrs = list(json_attrs)
    if project is None and load_project:
        project = _project_of([path for path, _ in sources])
    settings = _settings(settings_attrs, project, untyped_receivers)
    with _no_gc():
        findings, warnings = _check_parsed(
            sources, settings, all_rules() if rules is None else tuple(rules)
        )
    return _sorted(findings), sort_warnings(warnings)


def check_code(
    code: str,
    path: str | None = None,
    json_attrs: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
    project: Project | None = None,
) -> list[Finding]:
    """The findings in one source text. ``json_attrs`` adds ``Model.attr`` JSON columns;
    ``rules`` limits the rules run (default: all registered); ``project`` is the project model
    (``Project.load``) whose models the text uses, the text replacing its file's summary.

    Pure and fast: no I/O. A text that does not parse has no findings.
    """
    found = check_sources(
        [(path or "<code>", code)], json_attrs, rules, project, load_project=False
    )[0]
    return [f for f in found if f.code != SYNTAX_CODE]


# ---- a large tree, in worker processes ----------------------------------------------------------

_WORK: tuple[Settings, tuple[str, ...], int] | None = None  # set in each worker


def _init_worker(settings: Settings, codes: tuple[str, ...], max_bytes: int) -> None:
    global _WORK
    _WORK = (settings, codes, max_bytes)
    gc.disable()  # a worker only builds trees and drops them; its memory goes with it


def _check_chunk(paths: list[str]) -> tuple[list[Finding], list[FileWarning]]:
    """In a worker: read, parse and check one chunk of files."""
    assert _WORK is not None, "the worker was not initialised"
    settings, codes, max_bytes = _WORK
    sources, warnings = read_all(map(Path, paths), max_bytes)
    findings, more = _check_parsed(sources, settings, tuple(RULES[c] for c in codes))
    return findings, warnings + more


def _mp_context() -> BaseContext:
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds with everything already imported; only where no
    # other thread runs (forking a threaded process is unsafe, and warned about since 3.12)
    use = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
    return multiprocessing.get_context(use)


def _in_workers(
    paths: list[str], settings: Settings, rules: Sequence[Rule], jobs: int, max_bytes: int
) -> tuple[list[Finding], list[FileWarning]]:
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[i : i + CHUNK_FILES] for i in range(0, len(paths), CHUNK_FILES)]
    findings: list[Finding] = []
    warnings: list[FileWarning] = []
    codes = tuple(rule.code for rule in rules)
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_mp_context(),
        initializer=_init_worker,
        initargs=(settings, codes, max_bytes),
    ) as pool:
        for found, warned in pool.map(_check_chunk, chunks):
            findings.extend(found)
            warnings.extend(warned)
    return findings, warnings


def default_jobs() -> int:
    """Worker processes for a large tree: the cores this process may use, at most 2."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def check_tree(
    paths: Iterable[str],
    json_attrs: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
    exclude: Exclude = NO_EXCLUDE,
    project: Project | None = None,
    *,
    extra: Sequence[tuple[str, str]] = (),
    max_bytes: int = MAX_FILE_BYTES,
    jobs: int | None = None,
    load_project: bool = True,
    untyped_receivers: bool = False,
) -> tuple[list[Finding], list[FileWarning]]:
    """Check files and folders as one tree; warnings name the files that were skipped. The
    project model is loaded from disk when ``project`` is None and the files share a root.

    ``extra`` are ``(path, text)`` pairs checked with the files (stdin); ``max_bytes`` skips
    larger files; ``jobs`` caps the worker processes of a large tree (default: 2 where there
    are 2 cores; 1 checks in this process).
    """
    found = resolved_python_files(paths, exclude)
    files = [str(p) for p, _ in found]
    chosen = all_rules() if rules is None else tuple(rules)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if (
        jobs > 1
        and not extra
        and len(files) >= PARALLEL_MIN_FILES
        and all(RULES.get(r.code) is r for r in chosen)  # a worker finds them by code
    ):
        if project is None and load_project:
            project = _project_of(files, [key for _, key in found])
        if project is not None:  # what every file declares: a chunk needs nothing else
            settings = _settings(json_attrs, project, untyped_receivers)
            findings, warnings = _in_workers(files, settings, chosen, jobs, max_bytes)
            return _sorted(findings), sort_warnings(warnings)
    sources, warnings = read_all(map(Path, files), max_bytes)
    findings, more = check_sources(
        [*sources, *extra],
        json_attrs,
        chosen,
        project,
        load_project=load_project,
        untyped_receivers=untyped_receivers,
    )
    return findings, sort_warnings(warnings + more)
