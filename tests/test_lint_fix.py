"""``lint.fix`` and ``bap check --fix`` / ``--diff``: the statement a finding asks for is
inserted (and ``flag_modified`` imported) with the rest of the file as it was; a second fix
changes nothing; findings without a safe fix stay. On the real PostgreSQL, the function with
the bug loses its change, and the fixed one saves it."""

from __future__ import annotations

import copy
import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from backend_patterns.lint import Finding
from backend_patterns.lint.fix import fix_text

BAP = str(Path(sys.executable).parent / "bap")

MODELS = """\
from typing import Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_metadata: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
"""
SERVICE = """\
\"\"\"Tagging agents.\"\"\"

from sqlalchemy.ext.asyncio import AsyncSession

from models import Agent


async def tag(session: AsyncSession, agent: Agent) -> None:
    agent.agent_metadata["k"] = 1  # the bug: changed in place
    await session.commit()
"""


def bap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [BAP, "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def finding(line: int, edit: tuple[int, int, str] | None) -> Finding:
    return Finding("s.py", line, 5, "m", "f", "BAP001", "jsonb-in-place-mutation", edit)


def test_fix_text_inserts_the_statement_and_the_import_once() -> None:
    edit = (9, 4, 'flag_modified(agent, "agent_metadata")')
    fixed = fix_text(SERVICE, [finding(9, edit), finding(9, edit)])
    assert fixed.changed
    assert len(fixed.fixed) == 2
    assert fixed.text == SERVICE.replace(
        "from sqlalchemy.ext.asyncio import AsyncSession\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "from sqlalchemy.orm.attributes import flag_modified\n",
    ).replace("in place\n", 'in place\n    flag_modified(agent, "agent_metadata")\n')
    again = fix_text(fixed.text, [finding(10, (10, 4, edit[2]))])
    assert again.text == fixed.text  # already there: nothing inserted twice


def test_fix_text_never_touches_a_finding_without_fix_edit() -> None:
    assert fix_text(SERVICE, [finding(9, None)]).text == SERVICE
    assert not fix_text(SERVICE, [finding(9, (9, 8, "x()"))]).changed  # wrong column: no fix
    assert not fix_text("def f(:\n", [finding(1, (1, 0, "x()"))]).changed


def test_import_goes_among_the_sqlalchemy_imports_in_isort_order() -> None:
    text = (
        "import os\n\nfrom sqlalchemy import select\nfrom sqlalchemy.sql import text\n\n"
        "from app import x\n\n\ndef f(a):\n    a.m['k'] = 1\n"
    )
    fixed = fix_text(text, [finding(10, (10, 4, 'flag_modified(a, "m")'))]).text
    assert fixed.splitlines()[2:5] == [
        "from sqlalchemy import select",
        "from sqlalchemy.orm.attributes import flag_modified",
        "from sqlalchemy.sql import text",
    ]
    already = text.replace("import os\n", "import os\nfrom sqlalchemy.orm import flag_modified\n")
    fixed = fix_text(already, [finding(11, (11, 4, 'flag_modified(a, "m")'))]).text
    assert fixed.count("import flag_modified") == 1


def test_check_without_fix_never_loads_libcst(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text(SERVICE)
    probe = (
        "import sys\nfrom backend_patterns.program import main\n"
        "main(['check', 's.py'])\nprint('libcst' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "service.py").write_text(SERVICE)
    return tmp_path


def test_cli_diff_writes_nothing_and_fix_writes_once(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "service.py").chmod(0o640)
    before = bap(".", cwd=root)
    assert before.returncode == 1
    assert "the change is never saved [*]" in before.stdout
    diff = bap(".", "--diff", cwd=root)
    assert diff.returncode == 1
    assert diff.stdout.startswith("--- a/service.py\n+++ b/service.py\n")
    assert '+    flag_modified(agent, "agent_metadata")\n' in diff.stdout
    assert "+from sqlalchemy.orm.attributes import flag_modified\n" in diff.stdout
    assert diff.stderr.endswith("Would fix 1 error.\n")
    assert (root / "service.py").read_text() == SERVICE
    fixed = bap(".", "--fix", cwd=root)
    assert (fixed.returncode, fixed.stdout) == (0, "Found 1 error (1 fixed, 0 remaining).\n")
    text = (root / "service.py").read_text()
    assert 'flag_modified(agent, "agent_metadata")\n    await session.commit()' in text
    assert (root / "service.py").stat().st_mode & 0o777 == 0o640
    assert bap(".", "--fix", cwd=root).stdout == "All checks passed!\n"
    assert (root / "service.py").read_text() == text
    assert bap(".", "--diff", cwd=root).returncode == 0


def test_cli_fix_keeps_findings_without_a_safe_fix(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "service.py").write_text(
        SERVICE.replace('agent.agent_metadata["k"] = 1', 'if agent: agent.agent_metadata["k"] = 1')
    )
    result = bap(".", "--fix", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BAP001 jsonb-in-place-mutation: " in result.stdout
    assert "the change is never saved (no safe fix)\n" in result.stdout
    assert result.stdout.endswith("\nFound 1 error (0 fixed, 1 remaining).\n")
    assert (root / "service.py").read_text().count("flag_modified") == 0


def test_cli_fix_and_diff_usage_errors(tmp_path: Path) -> None:
    for args in (["-", "--fix"], [".", "--fix", "--diff"]):
        result = bap(*args, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("Error: ")
        assert len(result.stderr.splitlines()) == 1


def test_cli_fifo_named_on_the_command_line_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    result = bap("pipe.py", cwd=tmp_path)
    assert result.returncode == 0
    assert (
        result.stderr
        == "pipe.py:1:1: warning: not a regular file (a FIFO, device or socket); skipped\n"
    )


# ---- the truth, on PostgreSQL --------------------------------------------------------------


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def test_fixed_function_really_saves_on_postgres(tmp_path: Path, database_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    root = _project(tmp_path)
    tag = uuid.uuid4().hex[:8]
    sys.path.insert(0, str(root))
    schema = f"bap_fix_{tag}"
    admin = create_async_engine(database_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_async_engine(
        database_url, connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        models = _load(root / "models.py", "models")
        async with engine.begin() as conn:
            await conn.run_sync(models.Base.metadata.create_all)
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        async def run(service: Any) -> dict[str, Any]:
            async with sessions() as session:
                row = models.Agent(agent_metadata={})
                session.add(row)
                await session.commit()
                await service.tag(session, row)
                assert row.agent_metadata == {"k": 1}  # changed in memory either way
                row_id = row.id
            async with sessions() as session:
                fresh = await session.get(models.Agent, row_id)
                return copy.deepcopy(fresh.agent_metadata)

        assert await run(_load(root / "service.py", f"service_bug_{tag}")) == {}  # lost
        result = bap(".", "--fix", cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
        assert await run(_load(root / "service.py", f"service_fixed_{tag}")) == {"k": 1}
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("models", None)
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
