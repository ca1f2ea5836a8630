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
  `{**obj.attr}`): the nested objects are still shared with the loaded value.

JSON columns are found in all the files checked, by attribute name: `mapped_column(JSONB)`,
`mapped_column(JSON)`, `Column(JSONB)`, `sa.JSON`, `postgresql.JSONB(none_as_null=True)`,
`JSON().with_variant(JSONB(), "postgresql")`, module-level aliases of those, `TypeDecorator`
subclasses whose `impl` is one of them, `Mapped[...]` annotations mapped to JSON by
`type_annotation_map`, and `Table(..., Column("name", JSONB))`. Columns declared outside the
checked files can be named with `--json-attr Model.attr` (repeatable) or with
`json-attrs = ["Model.attr"]` in the `[tool.bap.lint]` table of `pyproject.toml`.

## Why is this bad?

SQLAlchemy tracks changes by attribute *assignment*. A JSON value changed in place is the
same Python object the session loaded, so at flush time the attribute looks unchanged and
the `UPDATE` leaves the column out. The change lives on in memory and is silently lost on
commit: no error, no warning. Reassigning the same object (`obj.attr = d` after
`d = obj.attr; d[k] = v`) or an equal shallow copy does not help either: the value compares
equal to what SQLAlchemy remembers as loaded, because that object was changed too.

## Known problems

- The analysis works on one function at a time. A change made by a helper that receives
  the value (`update_tags(agent.agent_metadata)`) is not seen.
- Aliases of the *object* are not followed: `a = agent; a.attr[k] = v;
  flag_modified(agent, "attr")` is reported although it is flagged.
- Columns are matched by attribute name. When the receiver's class is known (a parameter
  annotation, `Agent(...)`, `session.get(Agent, ...)`, `self` in a class) and that class
  declares the name as something else (a plain field, a non-JSON column), it is not
  reported; otherwise any attribute with the name of a JSON column counts.
- `flag_modified` *before* the change, in the same transaction, does in fact save it; the
  rule still asks for the call after the last change, where it cannot be outrun.
- A `MutableDict.as_mutable(...)` / `MutableList.as_mutable(...)` column is tracked at the
  top level only, so top-level changes are not reported; nested changes still are.
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
