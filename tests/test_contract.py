"""The rendered apps keep their OpenAPI contract: schemathesis, with all its checks, finds no
failure in crud_endpoint on SQLite and on PostgreSQL, nor in service_layer on PostgreSQL.

Each app is rendered as ``bap render --out`` writes it, served by a real uvicorn on a free
loopback port, and tested over HTTP with a fixed seed and a bounded number of examples. On
PostgreSQL each run gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rendered import BIN, render_into, serve_rendering
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.slow

# Parameters that put every kind of field the contract has to describe on the wire.
CRUD = {
    "resource": "Person",
    "fields": "name:str,nickname:str?,tags:list[str],amount:Decimal,quantity:int,"
    "born_at:datetime?,meta:dict,active:bool,ratio:float",
}
SERVICE = {
    "fields": "customer:str,note:str?,total:Decimal,tags:list[str]",
    "child_fields": "sku:str,quantity:int,price:Decimal",
}
EXAMPLES = "25"  # per operation and phase; enough to find every failure the issue lists


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"bap_contract_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(database_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(database_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def run_schemathesis(folder: Path, database: str, probe: str, work: Path) -> str:
    """Serve the rendering on ``database`` and run schemathesis (all checks) against it;
    return its output, failing the test when it found anything."""
    with serve_rendering(folder, {"DATABASE_URL": database}, probe=probe) as base:
        result = subprocess.run(
            [
                str(BIN / "st"),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                EXAMPLES,
                "--seed",
                "20261204",
                "--workers",
                "1",
                "--request-timeout",
                "10",
                "--no-color",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    out = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found failures:\n{out}"
    assert "No issues found" in out or " passed" in out, out
    return out


def test_crud_endpoint_on_sqlite(tmp_path: Path) -> None:
    folder = render_into(tmp_path / "app", "crud_endpoint", CRUD, with_tests=False)
    database = f"sqlite+aiosqlite:///{tmp_path}/contract.db"
    run_schemathesis(folder, database, "/people", tmp_path)


def test_crud_endpoint_on_postgresql(tmp_path: Path, fresh_database: str) -> None:
    folder = render_into(tmp_path / "app", "crud_endpoint", CRUD, with_tests=False)
    run_schemathesis(folder, fresh_database, "/people", tmp_path)


def test_service_layer_on_postgresql(tmp_path: Path, fresh_database: str) -> None:
    folder = render_into(tmp_path / "app", "service_layer", SERVICE, with_tests=False)
    run_schemathesis(folder, fresh_database, "/orders", tmp_path)
