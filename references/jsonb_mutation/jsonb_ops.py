"""Saving changes to a JSONB column:
``Agent.agent_metadata``.

SQLAlchemy writes a JSON value only when it sees the attribute change, and it
cannot see a change made inside the value. Three ways to get a change saved:

1. Edit in place, then ``flag_modified`` (``set_nested``): for a loaded object.
2. ``MutableDict.as_mutable(JSONB())`` (the model): tracks top-level keys only;
   a nested change is still lost.
3. Atomic server-side UPDATEs (``merge_top_level``, ``remove_key``,
   ``set_path``, ``increment``): PostgreSQL computes the new value from the row
   it locks, so concurrent writers never overwrite each other. ``merge`` (a
   deep merge) reads the row ``FOR UPDATE`` first, so concurrent merges wait
   for each other. A read-modify-write in Python WITHOUT that lock loses an
   update whenever two of them overlap.

Changes that are silently lost:

- ``d = obj.col; d["k"] = v; obj.col = d`` (plain JSONB): the same object is
  assigned back, so nothing looks changed.
- ``d = dict(obj.col); d["a"]["k"] = v; obj.col = d``: the shallow copy shares
  ``d["a"]`` with the old value, so old and new compare equal. Assign a
  ``copy.deepcopy`` instead, or use ``flag_modified``.

The helpers do not commit. They expire the column on objects already loaded in
the session: reload it with ``await obj.awaitable_attrs.<column>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Text,
    case,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from models import Agent

# the JSONB column the atomic helpers change
_COLUMN = Agent.agent_metadata


def set_nested(
    obj: Agent,
    path: Sequence[str],
    value: Any,
) -> None:
    """Set the value at ``path`` in place and flag the change.

    Parents that are missing or not objects are replaced by empty objects.

    Without ``flag_modified`` the session would not write the change: the column
    holds the same dict object before and after.
    """
    if not path:
        raise ValueError("path must name at least one key")
    node = obj.agent_metadata
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value
    flag_modified(obj, "agent_metadata")


def deep_merge(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``stored`` with ``patch`` merged in; neither argument is changed.

    An object in ``patch`` merges key by key into the object stored under the
    same key, at any depth, so sibling keys survive. Any other value (a string,
    a number, an array, null) replaces the stored one.
    """
    merged = dict(stored)
    pending = [(merged, patch)]
    while pending:  # a loop, not recursion: a deeply nested patch cannot overflow
        target, changes = pending.pop()
        for key, value in changes.items():
            old = target.get(key)
            if isinstance(value, dict) and isinstance(old, dict):
                child = dict(old)
                target[key] = child
                pending.append((child, value))
            else:
                target[key] = value
    return merged


async def merge(
    session: AsyncSession,
    agent_id: int,
    patch: dict[str, Any],
) -> dict[str, Any] | None:
    """Deep-merge ``patch`` into the stored value (see ``deep_merge``).

    The row is read with ``SELECT ... FOR UPDATE``: a concurrent ``merge`` (or
    any other UPDATE of the row) waits until this transaction ends, so no
    change is lost. Returns the new value, or None when no row has that id.
    """
    this_row = Agent.id == agent_id
    locked = select(_COLUMN).where(this_row).with_for_update()
    stored = (await session.execute(locked)).scalar_one_or_none()
    if stored is None:
        return None
    merged = deep_merge(stored, patch)
    return await _apply(session, agent_id, literal(merged, JSONB()))


async def merge_top_level(
    session: AsyncSession,
    agent_id: int,
    patch: dict[str, Any],
) -> dict[str, Any] | None:
    """``col = col || patch``: add or replace top-level keys in one statement.

    SHALLOW: a nested object in ``patch`` replaces the stored one whole, its
    sibling keys included; use ``merge`` to merge nested objects.
    Returns the new value, or None when no row has that id.
    """
    merged = _COLUMN.op("||")(literal(patch, JSONB()))
    return await _apply(session, agent_id, merged)


async def remove_key(
    session: AsyncSession,
    agent_id: int,
    key: str,
) -> dict[str, Any] | None:
    """``col = col - key``: drop one top-level key (no error if it is missing)."""
    removed = _COLUMN.op("-")(literal(key, Text()))
    return await _apply(session, agent_id, removed)


async def set_path(
    session: AsyncSession,
    agent_id: int,
    path: Sequence[str],
    value: Any,
) -> dict[str, Any] | None:
    """``jsonb_set``: set the value at a nested ``path``.

    Parents that are missing or not objects become objects, as in ``set_nested``.
    """
    if not path:
        raise ValueError("path must name at least one key")
    new = func.jsonb_set(
        _with_parents(path),
        _path(path),
        literal(value, JSONB()),
        True,
        type_=JSONB,
    )
    return await _apply(session, agent_id, new)


async def increment(
    session: AsyncSession,
    agent_id: int,
    path: Sequence[str],
    by: float = 1,
) -> float | None:
    """Add ``by`` to the number at ``path`` (missing counts as 0) atomically.

    Returns the new number, or None when no row has that id. A value that is
    not a number makes PostgreSQL refuse the cast (``sqlalchemy.exc.DBAPIError``).
    """
    if not path:
        raise ValueError("path must name at least one key")
    current = cast(_COLUMN.op("#>>")(_path(path)), Numeric())
    new = func.jsonb_set(
        _with_parents(path),
        _path(path),
        func.to_jsonb(func.coalesce(current, 0) + by),
        True,
        type_=JSONB,
    )
    doc = await _apply(session, agent_id, new)
    if doc is None:
        return None
    number: Any = doc
    for key in path:
        number = number[key]
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise TypeError(f"the value at {list(path)} is not a number: {number!r}")
    return number


def _path(path: Sequence[str]) -> ColumnElement[list[str]]:
    return literal(list(path), ARRAY(Text()))


def _with_parents(path: Sequence[str]) -> ColumnElement[Any]:
    """The column with an empty object at each parent of ``path`` that is not one.

    ``jsonb_set`` creates only the last key of a path: setting ``a.b`` while
    ``a`` is missing (or a number) would silently change nothing.
    """
    doc: ColumnElement[Any] = _COLUMN.expression
    for depth in range(1, len(path)):
        parent = _path(path[:depth])
        existing = doc.op("#>")(parent)
        is_object = func.jsonb_typeof(existing) == "object"
        keep = case((is_object, existing), else_=func.jsonb_build_object())
        doc = func.jsonb_set(doc, parent, keep, True, type_=JSONB)
    return doc


async def _apply(
    session: AsyncSession,
    agent_id: int,
    value: ColumnElement[Any],
) -> dict[str, Any] | None:
    this_row = Agent.id == agent_id
    stmt = update(Agent).where(this_row).values({_COLUMN: value})
    # RETURNING yields no row when the id is unknown
    return (await session.execute(stmt.returning(_COLUMN))).scalar_one_or_none()
