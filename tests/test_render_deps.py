"""render/_deps.py: a pattern's requirements, what a project declares, what is missing, and the
line that installs it."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_pack

from backend_patterns.errors import TemplateError
from backend_patterns.pack import Dependency, load_pack
from backend_patterns.render import render_pattern
from backend_patterns.render._deps import (
    canonical,
    declared_requirements,
    install_line,
    missing,
    project_tool,
    requirements,
)


def _specs(deps: list[Dependency]) -> list[str]:
    return [d.spec for d in deps]


def _names(specs: list[str]) -> set[str]:
    return {canonical(s.split("[")[0].split(">")[0].split("<")[0]) for s in specs}


# ---- requirements ----


def test_websocket_requirements_follow_the_backplane_and_tests() -> None:
    pattern = load_pack().pattern("websocket_handler")
    memory = render_pattern("websocket_handler").params
    redis = render_pattern("websocket_handler", {"backplane": "redis"}).params
    plain = _names(_specs(requirements(pattern, memory, with_tests=False)))
    assert {"fastapi", "uvicorn", "websockets"} <= plain
    assert "redis" not in plain
    assert "pytest-asyncio" not in plain
    with_redis = _names(_specs(requirements(pattern, redis, with_tests=True)))
    assert {"redis", "pytest", "pytest-asyncio", "websockets"} <= with_redis


def test_jsonb_requirements_name_the_database_stack() -> None:
    pattern = load_pack().pattern("jsonb_mutation")
    values = render_pattern("jsonb_mutation").params
    specs = _specs(requirements(pattern, values, with_tests=True))
    assert any(s.startswith("sqlalchemy[asyncio]") for s in specs)
    assert {"asyncpg", "fastapi", "pytest-asyncio", "httpx2"} <= _names(specs)


def test_a_broken_condition_is_a_template_error_on_pattern_yaml(tmp_path: Path) -> None:
    root = copy_pack(tmp_path / "pack")
    yaml = root / "patterns" / "websocket_handler" / "pattern.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("backplane == 'redis'", "no_such_param == 1"), encoding="utf-8")
    pack = load_pack(root, cache=False)
    values = render_pattern("websocket_handler", pack=pack).params
    with pytest.raises(TemplateError, match="no_such_param") as caught:
        requirements(pack.pattern("websocket_handler"), values, with_tests=False)
    assert caught.value.path == str(yaml)


# ---- missing ----


def test_missing_compares_canonical_names_and_extras() -> None:
    wanted = ["Pytest_Asyncio>=1", "sqlalchemy[asyncio]>=2", "FastAPI>=0.118", "uvicorn[standard]"]
    declared = ["pytest-asyncio", "SQLAlchemy[asyncio,mypy]>=2.0", "fastapi", "uvicorn"]
    # uvicorn is declared without its [standard] extra: still missing
    assert missing(wanted, declared, check_installed=False) == ["uvicorn[standard]"]
    assert missing(wanted, [], check_installed=False) == wanted
    deps = [Dependency("fastapi>=0.118,<1"), Dependency("redis>=5", when="x")]
    assert missing(deps, ["redis"], check_installed=False) == ["fastapi>=0.118,<1"]


def test_missing_counts_what_this_environment_has_installed() -> None:
    # pytest and jinja2 run this very test; this distribution name does not exist
    absent = "bap-surely-not-installed-0d6f>=1"
    assert missing(["pytest>=8", "Jinja2", absent], []) == [absent]
    assert missing(["pytest>=8"], [], check_installed=False) == ["pytest>=8"]


# ---- declared_requirements ----


def test_declared_requirements_read_every_place_a_project_declares(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        """
[project]
name = "demo"
dependencies = ["fastapi>=0.118", "sqlalchemy[asyncio]"]

[project.optional-dependencies]
pg = ["asyncpg"]

[dependency-groups]
dev = ["pytest", {include-group = "lint"}]
lint = ["ruff"]

[tool.poetry.dependencies]
python = "^3.11"
redis = "^5"

[tool.poetry.group.test.dependencies]
pytest-asyncio = "*"
""",
        encoding="utf-8",
    )
    (tmp_path / "requirements-dev.txt").write_text(
        "# tools\n-r requirements.txt\nwebsockets>=14  # for uvicorn\n\n--index-url x\n",
        encoding="utf-8",
    )
    (tmp_path / "requirements.txt").write_text("uvicorn[standard]\n", encoding="utf-8")
    declared = declared_requirements(tmp_path)
    assert declared == [
        "fastapi>=0.118",
        "sqlalchemy[asyncio]",
        "asyncpg",
        "pytest",
        "ruff",
        "redis",
        "pytest-asyncio",
        "websockets>=14",
        "uvicorn[standard]",
    ]
    wanted = ["fastapi>=0.118,<1", "websockets>=14,<18", "uvicorn[standard]>=0.30", "httpx2"]
    assert missing(wanted, declared, check_installed=False) == ["httpx2"]


def test_declared_requirements_of_nothing_or_of_broken_files(tmp_path: Path) -> None:
    assert declared_requirements(tmp_path) == []
    (tmp_path / "pyproject.toml").write_text("[project\nbroken", encoding="utf-8")
    assert declared_requirements(tmp_path) == []
    (tmp_path / "pyproject.toml").write_text("[project]\ndependencies = 3\n", encoding="utf-8")
    assert declared_requirements(tmp_path) == []


# ---- install_line and the tool ----


def test_install_line_quotes_for_the_shell() -> None:
    specs = ["fastapi>=0.118,<1", "uvicorn[standard]>=0.30", "asyncpg"]
    pip = install_line(specs, tool="pip")
    assert pip == "python -m pip install 'fastapi>=0.118,<1' 'uvicorn[standard]>=0.30' asyncpg"
    assert shlex.split(pip)[4:] == specs  # the shell gives pip exactly these strings
    assert install_line(specs, tool="uv").startswith("uv add 'fastapi>=0.118,<1' ")
    assert install_line(["redis"], tool="poetry") == "poetry add redis"
    assert install_line([], tool="uv") == ""
    with pytest.raises(ValueError, match="unknown install tool"):
        install_line(specs, tool="conda")


@pytest.mark.parametrize(
    ("files", "tool"),
    [
        ({}, "pip"),
        ({"uv.lock": ""}, "uv"),
        ({"poetry.lock": ""}, "poetry"),
        ({"pyproject.toml": "[tool.poetry]\nname = 'x'\n"}, "poetry"),
        ({"pyproject.toml": "[project]\nname = 'x'\n"}, "pip"),
        ({"uv.lock": "", "pyproject.toml": "[tool.poetry]\n"}, "uv"),
    ],
)
def test_project_tool(tmp_path: Path, files: dict[str, str], tool: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert project_tool(tmp_path) == tool


# ---- the front ends: bap render --out prints next steps, bap show lists dependencies ----

BAP = Path(sys.executable).parent / "bap"
ABSENT = "bap-surely-not-installed-0d6f>=1"


def bap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BAP), *args], capture_output=True, text=True, timeout=120, check=False
    )


def _declaring_everything(root: Path) -> None:
    pattern = load_pack().pattern("websocket_handler")
    specs = [json.dumps(d.spec) for d in pattern.dependencies]
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'demo'\ndependencies = [{', '.join(specs)}]\n", encoding="utf-8"
    )
    (root / "uv.lock").write_text("", encoding="utf-8")


def test_render_out_prints_its_next_steps(tmp_path: Path) -> None:
    _declaring_everything(tmp_path)
    out = tmp_path / "live"
    args = ["render", "websocket_handler", "--set", "backplane=redis", "--with-tests"]
    result = bap(*args, "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"wrote {out / 'app.py'}"
    assert lines[lines.index("next steps:") :] == [
        "next steps:",
        "  install: nothing; every requirement is declared or installed",
        f'  run:     cd {out} && WS_TOKEN="$(openssl rand -hex 16)" uvicorn app:app'
        " --ws-max-size 65536",
        f"  test:    cd {out} && python -m pytest -q",
    ]
    data = json.loads(bap(*args, "--out", str(out), "--force", "--json").stdout)
    steps = data["next_steps"]
    assert steps["missing"] == []
    assert steps["install"] == ""
    assert "redis>=5.2,<9" in steps["requirements"]
    assert "pytest-asyncio>=1.0,<2" in steps["requirements"]


@pytest.mark.parametrize(
    ("lock", "tool"), [("uv.lock", "uv"), ("poetry.lock", "poetry"), (None, "pip")]
)
def test_render_out_names_the_install_line_for_what_is_missing(
    tmp_path: Path, lock: str | None, tool: str
) -> None:
    pack = copy_pack(tmp_path / "pack")
    yaml = pack / "patterns" / "jsonb_mutation" / "pattern.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(
        text.replace("dependencies:\n", f'dependencies:\n  - spec: "{ABSENT}"\n', 1),
        encoding="utf-8",
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[project]\nname = 'demo'\ndependencies = ['fastapi']\n", encoding="utf-8"
    )
    if lock:
        (project / lock).write_text("", encoding="utf-8")
    out = project / "agents"
    result = bap("render", "jsonb_mutation", "--pack", str(pack), "--out", str(out))
    assert result.returncode == 0, result.stderr
    # what this environment lacks besides ABSENT (bap runs in it) is missing too
    loaded = load_pack(pack, cache=False)
    values = render_pattern("jsonb_mutation", pack=loaded).params
    wanted = requirements(loaded.pattern("jsonb_mutation"), values, with_tests=False)
    lacking = missing(wanted, ["fastapi"])
    assert lacking[0] == ABSENT
    assert "fastapi>=0.118,<1" not in lacking  # declared by the project
    line = install_line(lacking, tool=tool)
    assert line.startswith(
        {"uv": "uv add ", "poetry": "poetry add ", "pip": "python -m pip install "}[tool]
    )
    assert f"  install: {line}" in result.stdout.splitlines()


def test_show_lists_the_dependencies() -> None:
    shown = json.loads(bap("show", "--json", "websocket_handler").stdout)
    deps = {d["spec"]: d for d in shown["dependencies"]}
    assert deps["redis>=5.2,<9"]["when"] == "backplane == 'redis'"
    assert deps["pytest-asyncio>=1.0,<2"]["tests"] is True
    assert any(spec.startswith("websockets") for spec in deps)
    text = bap("show", "jsonb_mutation").stdout
    block = text[text.index("\ndependencies:\n") :]
    assert "  sqlalchemy[asyncio]>=2.0,<3\n" in block
    assert "  pytest-asyncio>=1.0,<2  (tests only)\n" in block
    assert "(when backplane == 'redis')" in bap("show", "websocket_handler").stdout


def test_every_dependency_of_the_pack_is_a_valid_requirement() -> None:
    from packaging.requirements import Requirement  # pytest's own dependency

    for pattern in load_pack().patterns.values():
        for dep in pattern.dependencies:
            parsed = Requirement(dep.spec)
            assert parsed.specifier, f"{pattern.name}: {dep.spec} has no version range"
            if dep.when:
                values = render_pattern(pattern.name).params
                requirements(pattern, values, with_tests=True)  # the condition evaluates
