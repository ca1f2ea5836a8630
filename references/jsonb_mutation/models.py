"""The Agent model and its JSONB column.

The column is declared with ``MutableDict.as_mutable(JSONB())``: setting or
deleting a TOP-LEVEL key in place marks the row dirty by itself. A change below
the top level (``obj.col["a"]["b"] = 1``) is NOT tracked and is silently lost:
use ``set_nested`` (flag_modified) or an atomic helper of the jsonb operations.
The attribute must not be called ``metadata``: Declarative reserves that name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from db import Base


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Top-level keys are tracked; nested changes are not (see the module docstring).
    agent_metadata: Mapped[dict[str, Any]] = mapped_column(
        MutableDict.as_mutable(JSONB()),
        default=dict,
        server_default=text("'{}'::jsonb"),
    )
