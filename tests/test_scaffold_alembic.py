"""``bap add`` in a project that uses Alembic: the revision it writes upgrades and downgrades
a real PostgreSQL database, and ``alembic check`` then finds no drift."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from _projects import add_alembic, make
from sqlalchemy.engine import make_url

BAP = [sys.executable, "-m", "backend_patterns"]
ALEMBIC = [sys.executable, "-m", "alembic"]


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """A database of its own, dropped afterwards; its asyncpg URL."""
    import asyncio

    url = make_url(database_url)
    name = f"bap_alembic_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(args: list[str], root: Path, url: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run(
        args, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    ("pattern", "sets"),
    [
        ("jsonb_mutation", []),
        ("crud_endpoint", ["--set", "resource=Product"]),
        ("service_layer", ["--set", "resource=Invoice"]),
    ],
)
def test_the_revision_applies_and_leaves_no_drift(
    pattern: str, sets: list[str], tmp_path: Path, fresh_database: str
) -> None:
    root = make(tmp_path / "p", "package")
    add_alembic(root)
    assert run([*BAP, "init"], root).returncode == 0
    added = run([*BAP, "add", pattern, *sets], root)
    assert added.returncode == 0, added.stderr
    revisions = sorted((root / "migrations" / "versions").glob("*.py"))
    assert len(revisions) == 2, added.stdout
    new = next(p for p in revisions if p.name != "0001_users.py")
    assert 'down_revision: str | Sequence[str] | None = "0001"' in new.read_text()

    for step in (["upgrade", "head"], ["check"], ["downgrade", "0001"], ["upgrade", "head"]):
        done = run([*ALEMBIC, *step], root, fresh_database)
        assert done.returncode == 0, f"alembic {step}: {done.stdout}{done.stderr}"
        if step == ["check"]:
            assert "No new upgrade operations detected" in done.stdout + done.stderr
    ruff = run([str(Path(sys.executable).parent / "ruff"), "check", "--isolated", str(new)], root)
    assert ruff.returncode == 0, ruff.stdout
