"""What a rendering needs installed, what a project already declares, and the line to install
the rest.

A pattern lists its requirements in ``pattern.yaml`` (``dependencies:``, each a PEP 508 string,
maybe test-only, maybe under a ``when:`` over the parameters). This module only reads: the
project's ``pyproject.toml`` through ``tomllib``, its ``requirements*.txt`` as text, and the
running environment through ``importlib.metadata``. It never executes anything. It is imported
by the front ends that print next steps, never on the hot path (``bap suggest``, the hooks).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import TemplateError
from ..pack import PATTERN_FILE, Dependency, PatternSpec
from ._jinja import environment

__all__ = [
    "TOOLS",
    "canonical",
    "declared_requirements",
    "install_line",
    "missing",
    "project_tool",
    "requirements",
]

TOOLS = ("uv", "poetry", "pip")

# The name and extras at the head of a PEP 508 requirement: "sqlalchemy[asyncio]>=2" ...
_HEAD = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*["']([^"']+)["']""")


def canonical(name: str) -> str:
    """A distribution name in canonical form (PEP 503): ``Pytest_Asyncio``: ``pytest-asyncio``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _head(spec: str) -> tuple[str, frozenset[str]] | None:
    """The canonical name and extras of a requirement string, or None if it names nothing."""
    found = _HEAD.match(spec)
    if found is None:
        return None
    extras = found.group(2) or ""
    return canonical(found.group(1)), frozenset(
        canonical(e) for e in extras.split(",") if e.strip()
    )


def requirements(
    pattern: PatternSpec, values: Mapping[str, Any], *, with_tests: bool
) -> list[Dependency]:
    """The dependencies of ``pattern`` rendered with ``values`` (resolved parameters): those
    whose ``when`` holds, test-only ones only ``with_tests``. ``when`` is evaluated in the same
    bounded sandbox as the templates; an error in it is a ``TemplateError`` on pattern.yaml."""
    chosen: list[Dependency] = []
    env = None
    for dep in pattern.dependencies:
        if dep.tests and not with_tests:
            continue
        if dep.when.strip():
            env = env or environment()
            try:
                expression = env.compile_expression(dep.when, undefined_to_none=False)
                holds = bool(expression(**values))
            except Exception as exc:  # a pack expression failing in any way is reported
                message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                raise TemplateError(
                    f"in the dependency condition {dep.when!r} of {dep.spec!r}: {message}",
                    path=str(pattern.directory / PATTERN_FILE),
                    line=None,
                    source=None,
                ) from None
            if not holds:
                continue
        chosen.append(dep)
    return chosen


def _installed(name: str, extras: frozenset[str], seen: frozenset[str] = frozenset()) -> bool:
    """Whether distribution ``name`` is installed in the running environment, with what its
    ``extras`` require (markers evaluated when ``packaging`` is importable)."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    if not extras:
        return True
    try:
        from packaging.markers import Marker
    except ImportError:  # no marker evaluation: the distribution itself must do
        return True
    for line in dist.requires or ():
        spec, _, marker = line.partition(";")
        wanted = set(_EXTRA_MARKER.findall(marker)) & extras
        if not wanted:
            continue
        try:
            applies = any(Marker(marker).evaluate({"extra": extra}) for extra in wanted)
        except Exception:  # an unreadable marker: count the requirement as needed
            applies = True
        head = _head(spec)
        inner = seen | {name}
        needed = applies and head is not None and head[0] not in inner
        if needed and head is not None and not _installed(head[0], head[1], inner):
            return False
    return True


def missing(
    requirements: Iterable[Dependency | str],
    declared: Sequence[str],
    *,
    check_installed: bool = True,
) -> list[str]:
    """The requirement strings among ``requirements`` that are neither ``declared`` (the
    project's own requirement strings, compared by canonical name; the extras asked for must
    be declared too) nor, with ``check_installed``, installed in the running environment."""
    have: dict[str, set[str]] = {}
    for spec in declared:
        head = _head(spec)
        if head is not None:
            have.setdefault(head[0], set()).update(head[1])
    out: list[str] = []
    for req in requirements:
        spec = req.spec if isinstance(req, Dependency) else req
        head = _head(spec)
        if head is None:
            continue
        name, extras = head
        if name in have and extras <= have[name]:
            continue
        if check_installed and _installed(name, extras):
            continue
        if spec not in out:
            out.append(spec)
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _requirement_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def declared_requirements(project_root: str | Path) -> list[str]:
    """Every requirement a project declares: ``pyproject.toml``'s ``[project] dependencies``
    and ``optional-dependencies``, its ``[dependency-groups]``, Poetry's dependency tables, and
    the ``requirements*.txt`` files at its root. Unreadable files count as empty."""
    root = Path(project_root)
    data = _read_toml(root / "pyproject.toml")
    out: list[str] = []
    project = data.get("project")
    if isinstance(project, dict):
        out += _strings(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for group in optional.values():
                out += _strings(group)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group in groups.values():
            out += _strings(group)  # {include-group = ...} tables name no requirement
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        poetry_groups = poetry.get("group")
        if isinstance(poetry_groups, dict):
            tables += [
                g.get("dependencies") for g in poetry_groups.values() if isinstance(g, dict)
            ]
        for table in tables:
            if isinstance(table, dict):
                out += [name for name in table if canonical(name) != "python"]
    for path in sorted(root.glob("requirements*.txt")):
        out += _requirement_lines(path)
    return out


def project_tool(project_root: str | Path) -> str:
    """How the project installs: ``uv`` (a uv.lock), ``poetry`` (poetry.lock or
    ``[tool.poetry]``), else ``pip``."""
    root = Path(project_root)
    if (root / "uv.lock").is_file():
        return "uv"
    if (root / "poetry.lock").is_file():
        return "poetry"
    tool = _read_toml(root / "pyproject.toml").get("tool")
    if isinstance(tool, dict) and "poetry" in tool:
        return "poetry"
    return "pip"


def install_line(missing: Sequence[str], *, tool: str) -> str:
    """The shell line that installs ``missing`` with ``tool`` (one of ``TOOLS``); each
    requirement quoted for the shell. Empty when nothing is missing."""
    if tool not in TOOLS:
        raise ValueError(f"unknown install tool {tool!r}; expected one of {', '.join(TOOLS)}")
    if not missing:
        return ""
    command = {"uv": "uv add", "poetry": "poetry add", "pip": "python -m pip install"}[tool]
    return " ".join([command, *(shlex.quote(spec) for spec in missing)])
