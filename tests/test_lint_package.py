"""The ``lint`` package as a whole: the API the front ends call, and what it may import (the
standard library only, never a front end: the hooks run it on every edit)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import backend_patterns.lint as lint

PACKAGE = Path(lint.__file__).parent


def test_public_api() -> None:
    from backend_patterns.lint import (  # noqa: F401
        FileWarning,
        Finding,
        check_code,
        check_sources,
        check_tree,
        parse_json_attrs,
        read_sources,
        sort_warnings,
    )
    from backend_patterns.lint.report import FORMATS

    assert set(FORMATS) == {"text", "json", "sarif"}
    assert set(lint.__all__) <= set(dir(lint))


def _imports(path: Path) -> set[tuple[int, str]]:
    """``(level, module)`` of every import in ``path``."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {(0, alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.level, node.module or ""))
    return found


# The fixer edits code with libcst (formatting-preserving); nothing else in lint/ may import it,
# so a plain check and the hooks never load it.
THIRD_PARTY = {"fix.py": {"libcst"}}


def test_modules_import_only_the_stdlib_and_the_engine() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        depth = len(path.relative_to(PACKAGE).parts)  # lint/x.py: 1, lint/rules/x.py: 2
        for level, module in _imports(path):
            if level == 0:
                top = module.split(".")[0]
                allowed = THIRD_PARTY.get(str(path.relative_to(PACKAGE)), set())
                assert top in sys.stdlib_module_names or top in allowed | {"__future__"}, (
                    path,
                    module,
                )
            elif level > depth:  # reaches out of lint/ into backend_patterns
                assert module.split(".")[0] in {"errors", "project", "_fs", ""}, (path, module)


def test_running_the_linter_loads_no_front_end_and_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.bap.lint]\nselect = ["BAP"]\n')
    code = (
        "import sys\n"
        "from backend_patterns.lint import check_tree, registry\n"
        "from backend_patterns.lint.config import load_config\n"
        "from backend_patterns.lint.report import FORMATS\n"
        "from backend_patterns.errors import UnknownRuleError\n"
        f"config = load_config(__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "rules = registry.select(config.select)\n"
        f"FORMATS['sarif'](check_tree([{str(tmp_path)!r}], rules=rules)[0], rules)\n"
        "try:\n"
        "    registry.select(['BAP01'])\n"
        "except UnknownRuleError as exc:\n"
        "    assert exc.guess == 'BAP001'\n"
        "heavy = {'fastapi', 'sqlalchemy', 'pydantic', 'jinja2', 'mcp', 'rapidfuzz', 'yaml'}\n"
        "front = {'cli', 'hooks', 'mcp', 'install', 'program', '_console'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
        "    or m.startswith('backend_patterns.') and m.split('.')[1] in front))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
