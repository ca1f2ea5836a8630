"""The documentation of BAP001, in ruff's sections; docs/rules/BAP001.md is made from it."""

DOC = """\
## What it does

Checks for in-place changes to a SQLAlchemy attribute mapped to a `JSON` or `JSONB` column
that no `flag_modified(obj, "attr")` for the same object and attribute follows, in the same
function, before the next `commit()` or `flush()` (sync or `await`ed), the end of a
`with session.begin():` block, a `return`, or the end of the function.

In-place changes are:

- item assignment and deletion: `obj.attr[k] = v`, `obj.attr[k][j] = v`, `del obj.attr[k]`,
  `obj.attr[k] += v`;
- mutating methods: `obj.attr.update(...)`, `.setdefault()`, `.pop()`, `.popitem()`,
  `.clear()`, and `.append()`, `.extend()`, `.remove()`, `.insert()`, `.sort()` on the value
  or on a list nested in it (`obj.attr["tags"].append(x)`);
- augmented assignment to the attribute itself: `obj.attr |= {...}`, `obj.attr += [...]`;
- the same changes made through a local alias (`d = obj.attr`, `d = obj.attr["items"]`,
  `for step in obj.attr["steps"]:`), including `d = obj.attr; d[k] = v; obj.attr = d`;
- changes *below the top level* of a shallow copy (`d = dict(obj.attr)`, `obj.attr.copy()`,
  `{**obj.attr}`, `obj.attr.copy() if obj.attr else {}`): the nested objects are still shared
  with the loaded value (a key the copy gives a new value, `{**obj.attr, "k": {}}`, is not);
- a helper of the project that changes its parameter in place (`add_tag(obj.attr["tags"])`),
  and what such a helper returns.

The receiver must be known to be an instance of an ORM model with that JSON attribute: a
parameter or variable annotation (`Agent`, `"Agent"`, `Optional[Agent]`, `Agent | None`,
`models.Agent` through an imported module of the project, `list[Agent]` for a loop),
`Agent(...)`, a call of a function of the project whose return annotation names the model
(`-> Optional[models.Agent]`, `-> Agent | None`), or a key of the `TypedDict` it returns that
is annotated with one, `session.get(Agent, id)`, the result of a query
(`session.scalars(select(Agent)).first()`, `.one()`, `.scalar_one()`, a loop over
`session.scalars(...)`, `stmt = select(Agent)` then `session.execute(stmt).scalars().first()`),
`self` in the model or in a mixin of one (inherited columns count), any of these in an
enclosing function, or, for a test's (`test*`) or a fixture's parameter without annotation, the
pytest fixture of that name (the module's own, or a `conftest.py` from the test's folder up to
the project root, or a module its `pytest_plugins` names) when the fixture's return annotation
names the model (`-> Agent`, `-> Iterator[Agent]`) or all it returns or yields is evidence
(`Agent(...)`, `Agent.create(...)`, `session.get(Agent, id)`, a query's result); a fixture
method of the test's class comes first, and a fixture that gives a tuple (`-> tuple[Agent,
int]`, `return (agent, other), None`) is followed into its unpacking (`agent, _ = pair`).
Modules, framework objects (`app.config`, `request.scope`), pydantic models, dataclasses and
unknown objects are never receivers. (`untyped_receivers=True` in the
Python API restores the old matching by attribute name alone.)

ORM models and their JSON columns come from the whole project (the folder holding the nearest
`pyproject.toml`, `setup.cfg` or `.git`; an index cached under `$XDG_CACHE_HOME`): classes
inheriting, through any chain of bases and mixins, from a `DeclarativeBase`, a
`declarative_base()`, `SQLModel` with `table=True` or `Base`, with `mapped_column(JSONB)`,
`Column(JSON)`, `sa.JSON`, `postgresql.JSONB(none_as_null=True)`,
`JSON().with_variant(JSONB(), "postgresql")`, `sqlalchemy_utils.JSONType`, `ARRAY(JSONB)`,
aliases of those, `TypeDecorator`s whose `impl` is one of them, `Annotated[dict,
mapped_column(JSONB)]` aliases used as `Mapped[Alias]`, `type_annotation_map`, and
`@declared_attr` columns. Columns declared elsewhere can be named with `--json-attr
Model.attr` (repeatable) or `json-attrs = ["Model.attr"]` in `[tool.bap.lint]`.

A `flag_modified(obj, "attr")` may also be made by a helper of the project that calls it on
its parameter (`repo.save_data(obj, data)`); a bulk `session.query(Agent)...update({"attr":
d})` or `update(Agent)...values(attr=d)` that writes the changed value `d` itself saves the
change too. An object not in a session — `copy(obj)`,
`deepcopy(obj)`, after `session.expunge(obj)` or `session.close()` — is reported with a
different fix: `flag_modified` would not save it either.

## Why is this bad?

SQLAlchemy tracks changes by attribute *assignment*. A JSON value changed in place is the
same Python object the session loaded, so at flush time the attribute looks unchanged and
the `UPDATE` leaves the column out. The change lives on in memory and is silently lost on
commit: no error, no warning. Reassigning the same object (`obj.attr = d` after
`d = obj.attr; d[k] = v`) or an equal shallow copy does not help either: the value compares
equal to what SQLAlchemy remembers as loaded, because that object was changed too.

## Known problems

- The analysis follows one function at a time; helpers of the project are known by name
  and by what they do to their parameters, not followed.
- Aliases of the *object* are not followed (`a = agent`), and receivers without evidence
  are not reported: untyped pytest fixtures (`def test_x(agent): ...`), attributes of other
  objects (`holder.agent.attr[k] = v`), relationship targets.
- `flag_modified` *before* the change, in the same transaction, does in fact save it; the
  rule still asks for the call after the last change, where it cannot be outrun.
- A `MutableDict.as_mutable(...)` / `MutableList.as_mutable(...)` column is tracked at the
  top level only, so top-level changes are not reported; nested changes still are, unless a
  tracked change of the same value follows them before the commit (its `changed()` flags the
  whole value, as `flag_modified` does: `obj.attr.setdefault("k", {})["x"] = v` is saved,
  whether the key was there or not). A custom `Mutable` subclass tracks the methods that call
  `self.changed()`; the others are reported.
- Objects created in the function (`agent = Agent(...)`) are inserted with their whole
  value, so changes before their first flush or commit are not reported.

## Example

```python
async def remember(session: AsyncSession, agent: Agent, key: str, value: str) -> None:
    agent.agent_metadata[key] = value  # BAP001
    await session.commit()
```

## Use instead

```python
from sqlalchemy.orm.attributes import flag_modified


async def remember(session: AsyncSession, agent: Agent, key: str, value: str) -> None:
    agent.agent_metadata[key] = value
    flag_modified(agent, "agent_metadata")
    await session.commit()
```

Or assign a new object, which SQLAlchemy does see:

```python
agent.agent_metadata = {**agent.agent_metadata, key: value}
```

To accept a line as it is, add `# noqa: BAP001` (or a bare `# noqa`) to it.

## References

- SQLAlchemy: [`flag_modified`](https://docs.sqlalchemy.org/en/20/orm/session_api.html#sqlalchemy.orm.attributes.flag_modified)
- SQLAlchemy: [Mutation Tracking](https://docs.sqlalchemy.org/en/20/orm/extensions/mutable.html)
- SQLAlchemy: [`JSON`](https://docs.sqlalchemy.org/en/20/core/type_basics.html#sqlalchemy.types.JSON)
  ("The JSON type, when used with the SQLAlchemy ORM, does not detect in-place mutations")
"""
