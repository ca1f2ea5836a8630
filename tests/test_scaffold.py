"""``bap init`` (conventions read through the project model, recorded with tomlkit) and
``bap add`` (placement, wiring, never overwriting), on small sample projects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _projects import make

from backend_patterns.scaffold._wire import include_router

BAP = [sys.executable, "-m", "backend_patterns"]


def bap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BAP, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


EXPECTED = {
    "flat": {"app": "main:app", "base": "db:Base", "session": "db:SessionDep"},
    "package": {"package": "app", "app": "app.main:app", "base": "app.db:Base"},
    "src": {"package": "shop", "import-root": "src", "base": "shop.db:Base"},
    "domain": {
        "base": "app.core.database:Model",
        "session": "app.core.database:get_db",
        "session-kind": "function",
        "router-file": "views.py",
    },
    "layered": {
        "include": "app.api.main:api_router",
        "session": "app.api.deps:SessionDep",
        "session-provider": "app.core.db:get_session",
    },
}


@pytest.mark.parametrize("layout", sorted(EXPECTED))
def test_init_detects_each_layout(layout: str, tmp_path: Path) -> None:
    root = make(tmp_path / layout, layout)
    done = bap("init", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    conv = json.loads(done.stdout)["conventions"]
    assert conv["layout"] == layout
    for key, value in EXPECTED[layout].items():
        assert conv[key] == value, key
    text = (root / "pyproject.toml").read_text()
    assert f'layout = "{layout}"' in text
    again = bap("init", cwd=root)
    assert again.returncode == 0
    assert "up to date" in again.stdout
    assert (root / "pyproject.toml").read_text() == text


def test_init_keeps_the_pyproject_formatting_and_other_bap_tables(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    path = root / "pyproject.toml"
    original = path.read_text() + '\n# lint settings\n[tool.bap.lint]\nignore = ["BAP001"]  # ok\n'
    path.write_text(original)
    assert bap("init", cwd=root).returncode == 0
    text = path.read_text()
    assert text.startswith(original.split("# lint settings")[0].rstrip("\n"))
    assert 'ignore = ["BAP001"]  # ok' in text
    assert "# lint settings" in text
    assert 'layout = "package"' in text


def test_init_asks_for_a_flag_when_two_bases_fit(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    (root / "app" / "legacy.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    )
    (root / "app" / "models.py").unlink()  # no model uses either: a tie
    before = snapshot(root)
    done = bap("init", cwd=root)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert "--base" in done.stderr
    assert "app.db:Base" in done.stderr
    assert "app.legacy:Base" in done.stderr
    assert snapshot(root) == before
    chosen = bap("init", "--base", "app.db:Base", "--json", cwd=root)
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout)["conventions"]["base"] == "app.db:Base"


def test_init_in_an_empty_folder_lays_down_a_runnable_skeleton(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    done = bap("init", cwd=root)
    assert done.returncode == 0, done.stderr
    for path in ("app/__init__.py", "app/main.py", "app/db.py", "pyproject.toml"):
        assert (root / path).is_file(), path
    probe = subprocess.run(
        [sys.executable, "-c", "from app.main import app; from app.db import Base, SessionDep"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert "up to date" in bap("init", cwd=root).stdout


def test_add_needs_init_first(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    done = bap("add", "jsonb_mutation", cwd=root)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert "bap init" in done.stderr


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    assert bap("init", cwd=root).returncode == 0
    before = snapshot(root)
    done = bap("add", "jsonb_mutation", "--dry-run", cwd=root)
    assert done.returncode == 0, done.stderr
    assert snapshot(root) == before
    assert "--- a/app/main.py\n+++ b/app/main.py\n" in done.stdout
    assert "+from app.agents.router import router as agents_router\n" in done.stdout
    assert "+app.include_router(agents_router)\n" in done.stdout
    as_json = json.loads(bap("add", "jsonb_mutation", "--dry-run", "--json", cwd=root).stdout)
    assert as_json["edits"] == ["app/main.py"]
    assert {"path": "app/agents/models.py", "role": "models"} in as_json["files"]
    assert snapshot(root) == before


def test_add_refuses_a_module_that_would_hide_a_package(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    assert bap("init", cwd=root).returncode == 0
    (root / "app" / "agents" / "models").mkdir(parents=True)
    before = snapshot(root)
    done = bap("add", "jsonb_mutation", cwd=root)
    assert done.returncode == 2
    assert "hide the package" in done.stderr
    assert snapshot(root) == before


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_add_never_writes_through_a_link_out_of_the_project(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    assert bap("init", cwd=root).returncode == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "app" / "agents").symlink_to(outside, target_is_directory=True)
    done = bap("add", "jsonb_mutation", cwd=root)
    assert done.returncode == 2
    assert "outside the project" in done.stderr
    assert list(outside.iterdir()) == []


def test_a_symlinked_pyproject_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (tmp_path / "elsewhere.toml").write_text('[tool.bap]\nlayout = "flat"\n')
    (root / "pyproject.toml").symlink_to(tmp_path / "elsewhere.toml")
    (root / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    done = bap("add", "jsonb_mutation", cwd=root)
    assert done.returncode == 2
    assert "not a regular file" in done.stderr


FIRST = frozenset({"app"})


def test_wiring_goes_into_the_first_party_block_in_isort_order() -> None:
    text = (
        '"""Doc."""\n\nimport os\n\nfrom fastapi import FastAPI\n\n'
        "from app.users import router as users_router\n\napp = FastAPI()\n"
        "app.include_router(users_router)\n\nx = os.sep\n"
    )
    wired = include_router(text, "app", "app.agents.router", "agents_router", FIRST)
    assert wired.text == (
        '"""Doc."""\n\nimport os\n\nfrom fastapi import FastAPI\n\n'
        "from app.agents.router import router as agents_router\n"
        "from app.users import router as users_router\n\napp = FastAPI()\n"
        "app.include_router(users_router)\napp.include_router(agents_router)\n\nx = os.sep\n"
    )
    again = include_router(wired.text, "app", "app.agents.router", "agents_router", FIRST)
    assert again.text == wired.text


def test_wiring_starts_a_first_party_block_when_there_is_none() -> None:
    text = "from fastapi import FastAPI\n\napp = FastAPI()\n"
    wired = include_router(text, "app", "app.agents.router", "agents_router", FIRST)
    assert wired.text == (
        "from fastapi import FastAPI\n\nfrom app.agents.router import router as agents_router\n\n"
        "app = FastAPI()\napp.include_router(agents_router)\n"
    )


def test_wiring_an_app_factory_gives_the_lines_to_add_instead() -> None:
    text = "from fastapi import FastAPI\n\n\ndef create_app() -> FastAPI:\n    return FastAPI()\n"
    wired = include_router(text, "app", "app.agents.router", "agents_router", FIRST)
    assert wired.text is None
    assert "not made at the top level" in wired.reason
    assert wired.lines == (
        "from app.agents.router import router as agents_router",
        "app.include_router(agents_router)",
    )


def test_suggestions_name_bap_add_once_the_project_is_initialised(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    task = "CRUD endpoints for invoices"

    def command() -> str:
        done = bap("suggest", "--json", task, cwd=root / "app")
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["suggestions"][0]["command"])

    def hook() -> str:
        payload = json.dumps({"prompt": task, "cwd": str(root), "hook_event_name": "x"})
        done = subprocess.run(
            [*BAP, "hook", "prompt"],
            input=payload,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.stdout

    assert command() == "bap render crud_endpoint --set resource=Invoice"
    assert " render crud_endpoint --set resource=Invoice" in hook()
    assert bap("init", cwd=root).returncode == 0
    assert command() == "bap add crud_endpoint --set resource=Invoice"
    assert " add crud_endpoint --set resource=Invoice" in hook()
    assert "  Add: " in hook()


def test_next_steps_name_what_the_project_lacks_and_deps_declares_it(tmp_path: Path) -> None:
    root = make(tmp_path / "p", "package")
    assert bap("init", cwd=root).returncode == 0
    plan = json.loads(bap("add", "websocket_handler", "--dry-run", "--json", cwd=root).stdout)
    names = {m.split(">")[0].split("[")[0] for m in plan["missing"]}
    assert "websockets" in names  # without it uvicorn answers every upgrade with 404
    assert "fastapi" not in names  # declared by the project
    assert plan["install"].startswith("python -m pip install ")
    assert "'websockets" in plan["install"]

    done = bap("add", "websocket_handler", "--deps", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "install what the project lacks" not in done.stdout
    text = (root / "pyproject.toml").read_text()
    assert '"websockets' in text
    assert "[dependency-groups]" in text
    again = json.loads(bap("add", "jsonb_mutation", "--dry-run", "--json", cwd=root).stdout)
    assert not {m for m in again["missing"] if m.startswith(("websockets", "pytest"))}


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("package", '"../../etc"', "dotted module name"),
        ("base", '"app.db"', "module:name"),
        ("tests", '"../elsewhere"', "inside the project"),
        ("router-file", '"../x.py"', "module file name"),
        ("layout", '"weird"', "layout must be one of"),
        ("session", "3", "must be a string"),
    ],
)
def test_hostile_tool_bap_values_are_refused(
    key: str, value: str, says: str, tmp_path: Path
) -> None:
    root = make(tmp_path / "p", "package")
    assert bap("init", cwd=root).returncode == 0
    path = root / "pyproject.toml"
    text = path.read_text()
    lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
    at = lines.index("[tool.bap]") + 1
    lines.insert(at, f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")
    before = snapshot(root)
    done = bap("add", "jsonb_mutation", cwd=root)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(root) == before


def test_render_out_refuses_a_module_that_would_hide_a_package(tmp_path: Path) -> None:
    out = tmp_path / "app"
    (out / "models").mkdir(parents=True)
    (out / "models" / "__init__.py").write_text("")
    done = bap("render", "jsonb_mutation", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert "would hide the package" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["models"]
