"""A realistic BAP001 case shared by the hook and MCP tests: a JSONB attribute changed in place.

``MODEL`` flags the change with ``flag_modified``; ``BUGGY`` is the same code without it.
"""

from __future__ import annotations

MODEL = """\
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import flag_modified


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_metadata: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)


async def tag_agent(session: AsyncSession, agent_id: int, key: str, value: str) -> None:
    agent = await session.get(Agent, agent_id)
    assert agent is not None
    agent.agent_metadata[key] = value
    flag_modified(agent, "agent_metadata")
    await session.commit()
"""
FLAG = '    flag_modified(agent, "agent_metadata")\n'
BUGGY = MODEL.replace(FLAG, "")
MUTATION_LINE = BUGGY.splitlines().index("    agent.agent_metadata[key] = value") + 1
