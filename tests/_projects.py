"""Sample projects of each layout, for ``bap init`` and ``bap add``: small, runnable FastAPI
projects with their own declarative base, async session dependency, app and a test."""

from __future__ import annotations

from pathlib import Path

PYPROJECT = """[project]
name = "sample"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.115", "sqlalchemy[asyncio]>=2.0", "asyncpg>=0.30"]

[tool.pytest.ini_options]
pythonpath = ["{pythonpath}"]
asyncio_default_fixture_loop_scope = "function"

[tool.ruff]
line-length = 100
"""

DB = '''"""The database: engine, sessions and the declarative base."""

import os
from collections.abc import AsyncIterator
{typing}
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./app.db"))
SessionMaker = async_sessionmaker(engine, expire_on_commit=False)


class {base}(DeclarativeBase):
    """The base of every model."""


async def {provider}() -> AsyncIterator[AsyncSession]:
    async with SessionMaker() as session:
        yield session
{alias}'''

DB_ALIAS_IMPORTS = "from typing import Annotated\n\nfrom fastapi import Depends"

ALIAS = """

SessionDep = Annotated[AsyncSession, Depends({provider})]
"""

MODEL = '''"""The users."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from {db} import {base}


class User({base}):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
'''

ROUTER = '''"""The users' endpoints."""

from fastapi import APIRouter

router = APIRouter(prefix="/users")


@router.get("/count")
async def count() -> dict[str, int]:
    return {{"users": 0}}
'''

MAIN = '''"""The application."""

from fastapi import FastAPI

from {router_module} import router as users_router

app = FastAPI(title="sample")
app.include_router(users_router)
'''

TEST = """from fastapi.testclient import TestClient

from {main} import app


def test_users_count() -> None:
    assert TestClient(app).get("/users/count").json() == {{"users": 0}}
"""

LAYOUTS = ("flat", "package", "src", "domain", "layered")


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def make(root: Path, layout: str) -> Path:
    """Write a sample project of ``layout`` into ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    alias = ALIAS.format(provider="get_session")
    if layout == "flat":
        files = {
            "db.py": DB.format(
                base="Base", provider="get_session", alias=alias, typing=DB_ALIAS_IMPORTS
            ),
            "models.py": MODEL.format(db="db", base="Base"),
            "users.py": ROUTER.format(),
            "main.py": MAIN.format(router_module="users"),
            "tests/test_users.py": TEST.format(main="main"),
        }
        pythonpath = "."
    elif layout in {"package", "src"}:
        pre = "src/shop" if layout == "src" else "app"
        pkg = "shop" if layout == "src" else "app"
        files = {
            f"{pre}/__init__.py": "",
            f"{pre}/db.py": DB.format(
                base="Base", provider="get_session", alias=alias, typing=DB_ALIAS_IMPORTS
            ),
            f"{pre}/models.py": MODEL.format(db=f"{pkg}.db", base="Base"),
            f"{pre}/users.py": ROUTER.format(),
            f"{pre}/main.py": MAIN.format(router_module=f"{pkg}.users"),
            "tests/test_users.py": TEST.format(main=f"{pkg}.main"),
        }
        pythonpath = "src" if layout == "src" else "."
    elif layout == "domain":
        # A dependency function (no Annotated alias) and a base named Model.
        files = {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/database.py": DB.format(
                base="Model", provider="get_db", alias="", typing=""
            ),
            "app/users/__init__.py": "",
            "app/users/models.py": MODEL.format(db="app.core.database", base="Model"),
            "app/users/views.py": ROUTER.format(),
            "app/main.py": MAIN.format(router_module="app.users.views"),
            "tests/test_users.py": TEST.format(main="app.main"),
        }
        pythonpath = "."
    elif layout == "layered":
        files = {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/db.py": DB.format(base="Base", provider="get_session", alias="", typing=""),
            "app/api/__init__.py": "",
            "app/api/deps.py": '"""Dependencies."""\n\nfrom typing import Annotated\n\n'
            "from fastapi import Depends\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "from app.core.db import get_session\n\n"
            "SessionDep = Annotated[AsyncSession, Depends(get_session)]\n",
            "app/api/routes/__init__.py": "",
            "app/api/routes/users.py": ROUTER.format(),
            "app/api/main.py": '"""All routes."""\n\nfrom fastapi import APIRouter\n\n'
            "from app.api.routes import users\n\napi_router = APIRouter()\n"
            "api_router.include_router(users.router)\n",
            "app/models/__init__.py": "",
            "app/models/user.py": MODEL.format(db="app.core.db", base="Base"),
            "app/schemas/__init__.py": "",
            "app/main.py": '"""The application."""\n\nfrom fastapi import FastAPI\n\n'
            'from app.api.main import api_router\n\napp = FastAPI(title="sample")\n'
            "app.include_router(api_router)\n",
            "tests/test_users.py": TEST.format(main="app.main"),
        }
        pythonpath = "."
    else:
        raise ValueError(layout)
    files["pyproject.toml"] = PYPROJECT.format(pythonpath=pythonpath)
    write(root, files)
    return root


ALEMBIC_INI = """[alembic]
script_location = %(here)s/migrations
"""

ENV = '''"""Alembic's environment: the project's metadata, over asyncpg."""

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import {main}  # noqa: F401  (every router, so every model)
import {models}  # noqa: F401
from {db} import {base}

target_metadata = {base}.metadata


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def main() -> None:
    engine = create_async_engine(os.environ["DATABASE_URL"])
    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()
    await engine.dispose()


asyncio.run(main())
'''

FIRST_REVISION = '''"""users

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
    )


def downgrade() -> None:
    op.drop_table("users")
'''


def add_alembic(
    root: Path,
    *,
    main: str = "app.main",
    models: str = "app.models",
    db: str = "app.db",
    base: str = "Base",
) -> None:
    """Alembic in the project: an async env.py and a first revision for the users table."""
    write(
        root,
        {
            "alembic.ini": ALEMBIC_INI,
            "migrations/env.py": ENV.format(main=main, models=models, db=db, base=base),
            "migrations/versions/0001_users.py": FIRST_REVISION,
        },
    )
