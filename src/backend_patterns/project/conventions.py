"""A project's conventions, read from the project model: where code goes and what to reuse.

``detect(project)`` finds the layout (flat, a package, a ``src/`` layout, domain folders or
layered folders), the declarative base, the async session dependency, the FastAPI app and where
routers are included, the settings object, the tests folder and Alembic. Where two answers fit
equally it does not guess: the key is listed in ``Conventions.ambiguous`` with the candidates,
and the front end asks for a flag.
"""

from __future__ import annotations

import configparser
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Project

ORM_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
ROUTER_FILES = ("router.py", "routes.py", "views.py", "api.py", "endpoints.py")
LAYERED_ROUTES = ("api/routes", "api/endpoints", "api/v1/endpoints", "api/v1/routes", "routers")


@dataclass(slots=True)
class Conventions:
    """What ``bap init`` records in ``[tool.bap]``; names are ``module:object``."""

    layout: str = "empty"  # flat | package | src | domain | layered | empty
    package: str = ""  # the import package new code goes into ("" for flat)
    import_root: str = ""  # "" or "src"
    app: str = ""  # module:object of the FastAPI app
    app_kind: str = ""  # "module" (a module-level object) or "factory" (a function making it)
    include: str = ""  # module:object whose include_router calls wire routers
    base: str = ""
    session: str = ""
    session_kind: str = ""  # alias | function
    session_provider: str = ""  # module:function the alias depends on
    settings: str = ""
    database_url: str = ""  # the environment variable read for the URL, if any
    tests: str = "tests"
    alembic: str = ""  # path of alembic.ini
    router_file: str = "router.py"  # domain layout: the name of a domain's router module
    paths: dict[str, str] = field(default_factory=dict)  # layered: role -> folder
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_table(self) -> dict[str, Any]:
        """The ``[tool.bap]`` keys, only those found."""
        keys = (
            "layout package import_root app app_kind include base session session_kind "
            "session_provider settings database_url tests alembic router_file"
        ).split()
        table: dict[str, Any] = {
            k.replace("_", "-"): getattr(self, k) for k in keys if getattr(self, k)
        }
        if self.paths:
            table["paths"] = dict(self.paths)
        return table


def _is_support(path: str) -> bool:
    """Tests, migrations and scripts: never where an app or base is looked for."""
    parts = Path(path).parts
    name = parts[-1] if parts else ""
    return (
        name.startswith("test_")
        or name == "conftest.py"
        or any(
            p in {"tests", "test", "migrations", "alembic", "versions", "scripts"} for p in parts
        )
    )


def _pick(found: Counter[str], key: str, conv: Conventions) -> str:
    """The best candidate of ``found`` (by count), or "" and an ambiguity on a tie."""
    if not found:
        return ""
    ranked = found.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        conv.ambiguous[key] = sorted(name for name, n in ranked if n == ranked[0][1])
        return ""
    return ranked[0][0]


def _bases(project: Project, code: dict[str, dict[str, Any]], conv: Conventions) -> None:
    found: Counter[str] = Counter()
    for s in code.values():
        module = s["module"]
        for name in s.get("bases", []):
            found[f"{module}:{name}"] += 1
        for name, info in s["classes"].items():
            if not info["tablename"] and any(
                b.rpartition(".")[2] in ORM_BASES for b in info["bases"]
            ):
                found[f"{module}:{name}"] += 1
    if not found:
        return
    uses: Counter[str] = Counter()
    for model in project.models.values():
        for base in model.bases:
            mod, _, name = base.rpartition(".")
            if f"{mod}:{name}" in found:
                uses[f"{mod}:{name}"] += 1
    conv.base = _pick(uses or found, "base", conv)


def _sessions(code: dict[str, dict[str, Any]], conv: Conventions) -> None:
    aliases: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    providers: dict[str, str] = {}
    sync = False
    imported = Counter(v for s in code.values() for v in s["imports"].values())
    for s in code.values():
        module = s["module"]
        for name, _line, kind, provider, is_async in s["wiring"]["sessions"]:
            if not is_async:
                sync = True
                continue
            ref = f"{module}:{name}"
            weight = 1 + imported[f"{module}.{name}"]
            if kind == "alias":
                aliases[ref] = weight
                target = s["imports"].get(provider, f"{module}.{provider}")
                mod, _, fn = target.rpartition(".")
                providers[ref] = f"{mod}:{fn}"
            else:
                functions[ref] = weight
    if aliases:
        conv.session = _pick(aliases, "session", conv)
        conv.session_kind = "alias" if conv.session else ""
        conv.session_provider = providers.get(conv.session, "")
    elif functions:
        conv.session = _pick(functions, "session", conv)
        conv.session_kind = "function" if conv.session else ""
        conv.session_provider = conv.session
    elif sync:
        conv.notes.append(
            "the session dependency found is synchronous; patterns need an async one"
        )


def _apps(code: dict[str, dict[str, Any]], conv: Conventions) -> None:
    apps: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    includes: Counter[str] = Counter()
    routers: dict[str, set[str]] = {}
    for s in code.values():
        module = s["module"]
        w = s["wiring"]
        routers[module] = {r[0] for r in w["routers"]}
        for name, _line, kind in w["apps"]:
            ref = f"{module}:{name}"
            if kind == "module" or not any(a[2] == "module" for a in w["apps"]):
                apps[ref] = 2 if module.rpartition(".")[2] in {"main", "app", "asgi"} else 1
                kinds[ref] = kind
        for receiver, _line in w["includes"]:
            includes[f"{module}:{receiver}"] += 1
    conv.app = _pick(apps, "app", conv)
    conv.app_kind = kinds.get(conv.app, "")
    # The most include_router calls win; on a tie, a router (the app includes it) wins.
    wired = sorted(includes, key=lambda r: (-includes[r], r in kinds))
    for ref in wired:
        module, _, name = ref.partition(":")
        is_app = ref in kinds and kinds[ref] == "module"
        if is_app or name in routers.get(module, set()):
            conv.include = ref
            return
    if conv.app_kind == "module":
        conv.include = conv.app


def _layout(root: Path, conv: Conventions) -> None:
    module = (conv.app or conv.base or conv.session).partition(":")[0]
    src = root / "src"
    conv.import_root = "src" if src.is_dir() and any(src.glob("*/__init__.py")) else ""
    top = module.partition(".")[0] if "." in module else ""
    if not top:
        packages = sorted(p.parent.name for p in (root / conv.import_root).glob("*/__init__.py"))
        packages = [p for p in packages if p not in {"tests", "test", "migrations", "alembic"}]
        if len(packages) == 1:
            top = packages[0]
        elif len(packages) > 1 and module:
            top = ""  # the app is a top-level module: flat, whatever packages sit beside it
        elif len(packages) > 1:
            conv.ambiguous["package"] = packages
    conv.package = top
    pkg = root / conv.import_root / top if top else root / conv.import_root
    if not top:
        conv.layout = "flat" if module or any(root.glob("*.py")) else "empty"
        return
    layered = {
        "models": (pkg / "models").is_dir(),
        "schemas": (pkg / "schemas").is_dir(),
    }
    routes = next((r for r in LAYERED_ROUTES if (pkg / r).is_dir()), "")
    if layered["models"] and (layered["schemas"] or routes):
        conv.layout = "layered"
        base = f"{conv.import_root}/{top}" if conv.import_root else top
        conv.paths = {
            "models": f"{base}/models",
            "schemas": f"{base}/schemas",
            "router": f"{base}/{routes or 'api/routes'}",
            "service": f"{base}/services",
        }
        return
    counts: Counter[str] = Counter()
    for sub in pkg.iterdir() if pkg.is_dir() else []:
        if sub.is_dir() and (sub / "models.py").is_file():
            for name in ROUTER_FILES:
                if (sub / name).is_file():
                    counts[name] += 1
    if counts:
        conv.layout = "domain"
        conv.router_file = counts.most_common(1)[0][0]
    else:
        conv.layout = "src" if conv.import_root else "package"


def _alembic(root: Path, conv: Conventions) -> None:
    ini = root / "alembic.ini"
    if not ini.is_file() or ini.is_symlink():
        return
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(ini.read_text("utf-8")[:200_000])
    except (configparser.Error, OSError, UnicodeDecodeError):
        conv.notes.append("alembic.ini could not be read")
        return
    conv.alembic = "alembic.ini"


def detect(project: Project) -> Conventions:
    """The conventions of ``project`` (loaded from its root)."""
    conv = Conventions()
    root = project.root
    if root is None:
        return conv
    code: dict[str, dict[str, Any]] = {}
    for path, s in project.summaries.items():
        rel = os.path.relpath(path, root)
        if "wiring" not in s or _is_support(rel):
            continue
        if rel.startswith("src" + os.sep) and s["module"].startswith("src."):
            s = {**s, "module": s["module"][4:]}  # the src/ layout: modules import without it
        code[path] = s
    _bases(project, code, conv)
    _sessions(code, conv)
    _apps(code, conv)
    _layout(root, conv)
    _alembic(root, conv)
    for name in ("tests", "test"):
        if (root / name).is_dir():
            conv.tests = name
            break
    for s in code.values():
        if s["wiring"]["settings"] and not conv.settings:
            first = s["wiring"]["settings"][0]
            conv.settings = f"{s['module']}:{first[0]}"
        if "DATABASE_URL" in s["wiring"]["env"] and not conv.database_url:
            conv.database_url = "DATABASE_URL"
    return conv
