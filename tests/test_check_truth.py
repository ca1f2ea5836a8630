"""Does BAP001 tell the truth? Each scenario runs against the real PostgreSQL through async
SQLAlchemy, and is checked by ``check_code``: a finding must mean the change was really lost
on commit, and no finding must mean it was really saved.
"""

from __future__ import annotations

import copy
import sys
import textwrap
import types
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend_patterns.lint import check_code

MODELS = """
from typing import Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_metadata: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSONB), default=dict)
"""

# name -> body of ``async def scenario(session, agent)``; the checker decides lost or saved.
SCENARIOS = {
    "item_assignment": 'agent.agent_metadata["k"] = 1\nawait session.commit()',
    "flagged": 'agent.agent_metadata["k"] = 1\n'
    'flag_modified(agent, "agent_metadata")\nawait session.commit()',
    "flag_after_commit": 'agent.agent_metadata["k"] = 1\nawait session.commit()\n'
    'flag_modified(agent, "agent_metadata")',
    "new_object": 'agent.agent_metadata = {**agent.agent_metadata, "k": 1}\n'
    "await session.commit()",
    "deepcopy": 'data = copy.deepcopy(agent.agent_metadata)\ndata["n"]["x"] = 1\n'
    "agent.agent_metadata = data\nawait session.commit()",
    "alias_reassigned": 'data = agent.agent_metadata\ndata["k"] = 1\n'
    "agent.agent_metadata = data\nawait session.commit()",
    "shallow_copy_nested": 'data = dict(agent.agent_metadata)\ndata["n"]["x"] = 1\n'
    "agent.agent_metadata = data\nawait session.commit()",
    "update": "agent.agent_metadata.update(k=1)\nawait session.commit()",
    "ior": 'agent.agent_metadata |= {"k": 1}\nawait session.commit()',
    "nested_append": 'agent.agent_metadata["tags"].append("x")\nawait session.commit()',
    "delete": 'del agent.agent_metadata["n"]\nawait session.commit()',
    "mutable_top_level": 'agent.config["k"] = 1\nawait session.commit()',
    "mutable_nested": 'agent.config["n"]["x"] = 1\nawait session.commit()',
    "mutable_nested_flagged": 'agent.config["n"]["x"] = 1\nflag_modified(agent, "config")\n'
    "await session.commit()",
    # issue 9's flow cases
    "assigned_then_changed": 'agent.agent_metadata = {"n": {}}\n'
    'agent.agent_metadata["n"]["x"] = 2\nawait session.commit()',
    "or_default": 'cfg = agent.agent_metadata or {}\ncfg["k"] = 1\nawait session.commit()',
    "ifexp_copy_nested": "base = agent.agent_metadata.copy() if agent.agent_metadata else {}\n"
    'base["n"]["x"] = 1\nagent.agent_metadata = base\nawait session.commit()',
    "spread_override": 'data = {**agent.agent_metadata, "n": {}}\ndata["n"]["x"] = 1\n'
    "agent.agent_metadata = data\nawait session.commit()",
    "scalar_read": 'x = agent.agent_metadata["n"]["x"]\nx += 1\n'
    'agent.agent_metadata = {**agent.agent_metadata, "x": x}\nawait session.commit()',
    "helper_flags": 'def mark(obj):\n    flag_modified(obj, "agent_metadata")\n'
    'agent.agent_metadata["k"] = 1\nmark(agent)\nawait session.commit()',
    "helper_changes": 'def add(items):\n    items.append("x")\n    return items\n'
    'tags = add(agent.agent_metadata["tags"])\nawait session.commit()',
    "expunged": 'session.expunge(agent)\nagent.agent_metadata["k"] = 1\nawait session.commit()',
    # issue 9's real shapes: MutableDict's changed() flags the whole value, nested changes too
    "mutable_nested_then_top_level": 'agent.config["n"]["x"] = 1\nagent.config["k"] = 2\n'
    "await session.commit()",
    "mutable_setdefault_existing_key": 'agent.config.setdefault("n", {})["x"] = 1\n'
    "await session.commit()",
    "mutable_setdefault_new_key": 'agent.config.setdefault("m", {})["x"] = 1\n'
    "await session.commit()",
    "bulk_update_writes_it": "from sqlalchemy import update\n"
    'data = agent.agent_metadata\ndata["n"]["x"] = 1\n'
    "await session.execute(update(Agent).where(Agent.id == agent.id)"
    ".values(agent_metadata=data))\nawait session.commit()",
    "bulk_update_of_the_other_column": "from sqlalchemy import update\n"
    'agent.agent_metadata["n"]["x"] = 1\n'
    "await session.execute(update(Agent).where(Agent.id == agent.id)"
    '.values(config={"n": {"x": 0}, "tags": [], "k": 1}))\nawait session.commit()',
}
START = {"n": {"x": 0}, "tags": []}


def scenario_source(body: str) -> str:
    return (
        MODELS + "\nfrom sqlalchemy.orm.attributes import flag_modified\nimport copy\n\n\n"
        "async def scenario(session, agent: Agent):\n" + textwrap.indent(body, "    ") + "\n"
    )


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[Any]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"bap_check_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(database_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_async_engine(
        database_url, connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        yield eng
    finally:
        await eng.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(scope="module")
async def models(engine: Any) -> dict[str, Any]:
    module = types.ModuleType(f"bap_check_truth_models_{uuid.uuid4().hex[:8]}")
    sys.modules[module.__name__] = module  # SQLAlchemy resolves Mapped[...] in the module
    exec(compile(MODELS, "<models>", "exec"), module.__dict__)
    namespace = dict(module.__dict__)
    async with engine.begin() as conn:
        await conn.run_sync(namespace["Base"].metadata.create_all)
    return namespace


async def run_scenario(engine: Any, models: dict[str, Any], body: str) -> bool:
    """True when what the scenario did in memory is what the database holds afterwards."""
    from sqlalchemy.ext.asyncio import async_sessionmaker
    from sqlalchemy.orm.attributes import flag_modified

    agent_cls = models["Agent"]
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        row = agent_cls(agent_metadata=copy.deepcopy(START), config=copy.deepcopy(START))
        session.add(row)
        await session.commit()
        row_id = row.id
    namespace = {**models, "flag_modified": flag_modified, "copy": copy}
    exec(compile(scenario_source(body), "<scenario>", "exec"), namespace)
    async with sessions() as session:
        agent = await session.get(agent_cls, row_id)
        await namespace["scenario"](session, agent)
        in_memory = (copy.deepcopy(agent.agent_metadata), copy.deepcopy(dict(agent.config)))
    async with sessions() as session:
        fresh = await session.get(agent_cls, row_id)
        stored = (fresh.agent_metadata, dict(fresh.config))
    assert in_memory != (START, START), "the scenario changed nothing"
    return stored == in_memory


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_finding_iff_the_change_is_lost(
    engine: Any, models: dict[str, Any], name: str
) -> None:
    body = SCENARIOS[name]
    saved = await run_scenario(engine, models, body)
    findings = check_code(scenario_source(body), f"{name}.py")
    assert bool(findings) == (not saved), (
        f"{name}: saved={saved} but findings={[f.message for f in findings]}"
    )


def test_both_outcomes_are_covered() -> None:
    """The scenarios include lost and saved changes, so the test above can fail both ways."""
    verdicts = {name: bool(check_code(scenario_source(body))) for name, body in SCENARIOS.items()}
    assert 4 <= sum(verdicts.values()) <= len(verdicts) - 4
