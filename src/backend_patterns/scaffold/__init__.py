"""Adding a pattern to the user's own project, by the conventions ``bap init`` recorded.

``plan_add(path, pattern, params)`` computes everything ``bap add`` would do, writing nothing:
the files to create (never an existing one), the edits (the router included in the app), the
lines to add by hand where an edit is not certain, and the requirements the project lacks.
``apply(plan)`` carries it out, all or nothing. ``diff(plan)`` is the unified diff.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BapError
from ..pack import Pack, load_pack
from ..project import Project, find_root
from ..render import module_of, render_pattern
from ._config import recorded
from ._place import folder_of, target_for
from ._wire import include_router

__all__ = [
    "AddExistsError",
    "Change",
    "Plan",
    "apply",
    "diff",
    "plan_add",
    "project_root",
    "with_dependencies",
]

_ROUTER = re.compile(r"^router(?::\s*APIRouter)?\s*=\s*APIRouter\(", re.MULTILINE)


class AddExistsError(BapError):
    """A file ``bap add`` would create is already there: nothing is changed."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} already exists; nothing was changed.")
        self.path = path


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # POSIX, relative to the project root
    new: str
    old: str | None = None  # None: the file is created
    role: str = ""


@dataclass(slots=True)
class Plan:
    root: Path
    pattern: str
    params: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)  # lines to add by hand, with the reason
    notes: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # not declared (nor installed here)
    missing_tests: list[str] = field(default_factory=list)  # the same, for the tests
    install: str = ""  # the shell line that installs what is missing

    def as_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "params": self.params,
            "root": str(self.root),
            "files": [{"path": c.path, "role": c.role} for c in self.changes if c.old is None],
            "edits": [c.path for c in self.changes if c.old is not None],
            "manual": self.manual,
            "notes": self.notes,
            "requirements": self.requirements,
            "missing": self.missing + self.missing_tests,
            "install": self.install,
            "diff": diff(self),
        }


def project_root(path: str | Path) -> Path:
    """The root of the project around ``path``."""
    given = Path(path).expanduser()
    if not given.exists():
        raise BapError(f"{given} does not exist.")
    root = find_root(given)
    return (root or (given if given.is_dir() else given.parent)).resolve()


def _inside(root: Path, relative: str) -> Path:
    target = root / relative
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        raise BapError(f"cannot resolve {relative}.") from None
    if not resolved.is_relative_to(root):
        raise BapError(f"{relative} leads outside the project (a link?); nothing was changed.")
    return target


def _refuse_clash(root: Path, relative: str) -> None:
    """A file that is there, or would hide (or be hidden by) a package of the same name."""
    target = _inside(root, relative)
    if target.exists() or target.is_symlink():
        raise AddExistsError(relative)
    if relative.endswith(".py") and (root / relative[:-3]).is_dir():
        raise BapError(f"{relative} would hide the package {relative[:-3]}/; nothing was changed.")
    for parent in Path(relative).parents:
        if str(parent) in {"", "."}:
            break
        if (root / parent).is_file() or (root / f"{parent}.py").is_file():
            raise BapError(f"{parent}/ would clash with the file there; nothing was changed.")


def _module_file(root: Path, import_root: str, module: str) -> str | None:
    base = (
        posixpath.join(import_root, *module.split("."))
        if import_root
        else module.replace(".", "/")
    )
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if (root / candidate).is_file():
            return candidate
    return None


def _read(root: Path, relative: str) -> str:
    from .._fs import read_text_bounded

    try:
        return read_text_bounded(_inside(root, relative), 2 * 1024 * 1024)
    except (OSError, UnicodeDecodeError) as exc:
        raise BapError(f"cannot read {relative}: {exc}.") from None


def _first_party(root: Path, import_root: str) -> frozenset[str]:
    folder = root / import_root if import_root else root
    names = {p.stem for p in folder.glob("*.py")} | {
        p.parent.name for p in folder.glob("*/__init__.py")
    }
    return frozenset(names)


def plan_add(
    path: str | Path,
    pattern: str,
    params: dict[str, Any] | None = None,
    *,
    pack: Pack | None = None,
    with_tests: bool = True,
) -> Plan:
    """What ``bap add pattern`` would do in the project around ``path``; writes nothing."""
    root = project_root(path)
    conv = recorded(root)
    if conv is None:
        raise BapError(f"{root} has no [tool.bap] conventions; run 'bap init' there first.")
    pack = pack or load_pack()
    spec = pack.pattern(pattern)
    alone = render_pattern(pattern, params, with_tests=with_tests, pack=pack)
    by_role = {f.role: f.path for f in alone.files}
    files = [(s, by_role[s.role]) for s in spec.files if s.role in by_role]
    files += [(s, s.path) for s in spec.files if s.standalone and s.role not in by_role]
    target, inits = target_for(root, conv, pattern, alone.params, files)
    models = _models(root)
    if models:
        from dataclasses import replace

        target = replace(target, models=models)
    rendering = render_pattern(pattern, params, with_tests=with_tests, pack=pack, target=target)
    plan = Plan(root=root, pattern=pattern, params=rendering.params)
    rendered = {f.path for f in rendering.files}
    for relative in inits:
        if relative in rendered:
            continue
        _refuse_clash(root, relative)
        plan.changes.append(Change(relative, "", role="package"))
    for f in rendering.files:
        _refuse_clash(root, f.path)
        content = _formatted(root, f.content, f.path) if f.path.endswith(".py") else f.content
        plan.changes.append(Change(f.path, content, role=f.role))
    folder = folder_of(rendering.params, pattern)
    db = target.paths.get("db")
    if db is not None and any(f.path == db for f in rendering.files):
        module = module_of(db, conv.import_root)
        plan.manual.append(
            f"{db} is new, and its session dependency reads app.state.sessionmaker: give the "
            f"app a lifespan that sets it (from {module} import make_engine, make_sessionmaker; "
            "engine = make_engine(); app.state.sessionmaker = make_sessionmaker(engine); "
            "yield; await engine.dispose())"
        )
    for f in rendering.files:
        if not f.tests and _ROUTER.search(f.content):
            _wire(plan, conv, f.path, folder)
    if conv.alembic and any(f.role == "models" for f in rendering.files):
        _migrate(plan, conv, pack, target, pattern, params, folder)
    _requirements(plan, spec, rendering.params, with_tests)
    return plan


def _requirements(plan: Plan, spec: Any, values: dict[str, Any], with_tests: bool) -> None:
    """What the project lacks: compared with its declared requirements and, when bap runs in
    the project's own environment, with what is installed there."""
    import os
    import sys

    from ..render import _deps

    wanted = _deps.requirements(spec, values, with_tests=with_tests)
    plan.requirements = [d.spec for d in wanted]
    declared = _deps.declared_requirements(plan.root)
    env = os.environ.get("VIRTUAL_ENV") or sys.prefix
    here = Path(env).resolve().is_relative_to(plan.root)
    plan.missing = _deps.missing(
        [d for d in wanted if not d.tests], declared, check_installed=here
    )
    plan.missing_tests = _deps.missing(
        [d for d in wanted if d.tests], declared, check_installed=here
    )
    everything = plan.missing + [m for m in plan.missing_tests if m not in plan.missing]
    plan.install = _deps.install_line(everything, tool=_deps.project_tool(plan.root))


def with_dependencies(plan: Plan) -> None:
    """Also declare what is missing in pyproject.toml: runtime requirements in
    ``[project] dependencies``, test ones in the ``dev`` dependency group."""
    from ._config import declare

    if not plan.missing and not plan.missing_tests:
        return
    current = next((c for c in plan.changes if c.path == "pyproject.toml"), None)
    old = (
        current.new
        if current
        else (
            _read(plan.root, "pyproject.toml") if (plan.root / "pyproject.toml").exists() else None
        )
    )
    new = declare(old, plan.missing, plan.missing_tests)
    change = Change("pyproject.toml", new, current.old if current else old, role="dependencies")
    if current is not None:
        plan.changes[plan.changes.index(current)] = change
    else:
        plan.changes.append(change)
    plan.install = ""


def _migrate(
    plan: Plan,
    conv: Any,
    pack: Pack,
    target: Any,
    pattern: str,
    params: dict[str, Any] | None,
    folder: str,
) -> None:
    """Add an Alembic revision for the new tables, or say how to make one."""
    import os
    from dataclasses import replace

    from ..pack import bundled_pack_dir
    from ..render import Ref
    from . import _alembic

    message = f"add {folder}"
    manual = (
        f"Alembic: make the revision with `alembic revision --autogenerate -m '{message}'`, "
        "then `alembic upgrade head`"
    )
    if os.path.realpath(pack.dir) != os.path.realpath(bundled_pack_dir()):
        plan.notes.append(manual + " (revisions are made only from the bundled pack).")
        return
    try:
        import alembic  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError:
        plan.notes.append(manual + " (Alembic is not installed where bap runs).")
        return
    versions = _alembic.versions_folder(plan.root, conv.alembic)
    base_module, _, base_name = conv.base.partition(":")
    convention = None
    base_file = _module_file(plan.root, conv.import_root, base_module) if base_module else None
    if base_file is not None:
        convention = _alembic.naming_convention(_read(plan.root, base_file), base_name)
    elif "db" in target.paths:
        db = next(c for c in plan.changes if c.path == target.paths["db"])
        convention = _alembic.naming_convention(db.new, "Base")
    isolated = replace(target, base=Ref(_alembic.BASE_MODULE, "Base"))
    again = render_pattern(pattern, params, with_tests=False, pack=pack, target=isolated)
    sources = [f.content for f in again.files if f.role == "models"]
    try:
        rev, text = _alembic.revision(
            sources,
            convention,
            message,
            _alembic.heads(plan.root / versions),
            lambda code: _formatted(plan.root, code, "revision.py"),
        )
    except Exception as exc:  # our rendering failing to load is a note, not a crash
        plan.notes.append(f"{manual} (no revision was made: {type(exc).__name__}: {exc}).")
        return
    path = posixpath.join(versions, f"{rev}_{message.replace(' ', '_')}.py")
    _refuse_clash(plan.root, path)
    plan.changes.append(Change(path, text, role="migration"))
    plan.notes.append("Alembic: apply the new revision with `alembic upgrade head`.")


def _formatted(root: Path, code: str, path: str = "revision.py") -> str:
    """``code`` through ``ruff format`` with the project's configuration (its line length,
    quotes, ...) as if it were the file ``path``, when ruff is here; else as rendered."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).is_file():
        return code
    try:
        done = subprocess.run(
            [ruff, "format", "--stdin-filename", path, "-"],
            input=code,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return code
    return done.stdout if done.returncode == 0 and done.stdout else code


def _models(root: Path) -> dict[str, dict[str, str]]:
    """The project's models by class name: module and table, for foreign keys."""
    project = Project.load(root)
    out: dict[str, dict[str, str]] = {}
    for summary in project.summaries.values():
        tables = summary.get("wiring", {}).get("tables", {})
        for name, table in tables.items():
            module = summary["module"]
            if module.startswith("src."):
                module = module[4:]
            out.setdefault(name, {"module": module, "table": table, "pk_type": "int"})
    return out


def _wire(plan: Plan, conv: Any, router_path: str, folder: str) -> None:
    module = module_of(router_path, conv.import_root)
    alias = f"{folder}_router"
    where, _, obj = conv.include.partition(":")
    lines = (f"from {module} import router as {alias}", f"{obj or 'app'}.include_router({alias})")
    if not conv.include:
        plan.manual.append(f"no app or router that includes routers was found; add: {lines}")
        return
    relative = _module_file(plan.root, conv.import_root, where)
    if relative is None:
        plan.manual.append(f"{where} was not found; add to it: {'; '.join(lines)}")
        return
    current = next((c for c in plan.changes if c.path == relative), None)
    text = current.new if current else _read(plan.root, relative)
    wiring = include_router(text, obj, module, alias, _first_party(plan.root, conv.import_root))
    if wiring.text is None:
        plan.manual.append(f"add to {relative} ({wiring.reason}): {'; '.join(wiring.lines)}")
        return
    if wiring.text == text:
        return
    if current is not None:
        plan.changes[plan.changes.index(current)] = Change(relative, wiring.text, current.old)
    else:
        plan.changes.append(Change(relative, wiring.text, text, role="wiring"))


def diff(plan: Plan) -> str:
    """The unified diff of the plan, ``a/`` and ``b/`` paths as git writes them."""
    out: list[str] = []
    for c in plan.changes:
        old = [] if c.old is None else c.old.splitlines(keepends=True)
        new = c.new.splitlines(keepends=True)
        before = "/dev/null" if c.old is None else f"a/{c.path}"
        out.extend(difflib.unified_diff(old, new, before, f"b/{c.path}"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def apply(plan: Plan) -> list[str]:
    """Carry out ``plan``: new files are created only where nothing is (never overwritten),
    edited files only if unchanged since planned. All or nothing. Returns the paths changed."""
    from .._fs import place, stage, write_atomic

    for c in plan.changes:  # both checks refuse a path that leads out of the project
        if c.old is None:
            _refuse_clash(plan.root, c.path)
        elif _read(plan.root, c.path) != c.old:
            raise BapError(f"{c.path} changed since the plan was made; nothing was changed.")
    created: list[Path] = []
    edited: list[tuple[Path, str]] = []
    try:
        for c in plan.changes:
            target = plan.root / c.path
            if c.old is None:
                target.parent.mkdir(parents=True, exist_ok=True)
                place(stage(target, c.new), target, create_only=True)
                created.append(target)
            else:
                write_atomic(target, c.new)
                edited.append((target, c.old))
    except (OSError, BapError) as exc:
        for path in created:
            path.unlink(missing_ok=True)
        for path, old in edited:
            write_atomic(path, old)
        if isinstance(exc, FileExistsError):
            raise AddExistsError(str(exc.filename)) from None
        if isinstance(exc, BapError):
            raise
        raise BapError(f"cannot write {exc.filename or plan.root}: {exc.strerror}.") from None
    return [c.path for c in plan.changes]
