"""BAP001's contract with the shell (``fix_edit``), ``untyped_receivers``, one finding per
statement, and the wording for objects not in a session."""

from __future__ import annotations

import json

from backend_patterns.lint import Finding, check_code, check_sources

MODEL = """\
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    meta: Mapped[dict] = mapped_column(JSONB)
"""


def findings(body: str) -> list[Finding]:
    code = MODEL + "\n\ndef f(session, agent: Agent, items: list[Agent]):\n" + body
    return check_code(code, "m.py")


def lines_of(body: str) -> dict[int, tuple[int, int, str] | None]:
    start = (MODEL + "\n\ndef f(session, agent: Agent, items: list[Agent]):\n").count("\n")
    return {f.line - start: f.fix_edit for f in findings(body)}


def test_fix_edit_inserts_after_the_statement_at_its_indentation() -> None:
    body = '    agent.meta["k"] = 1\n    session.commit()\n'
    ((line, edit),) = lines_of(body).items()
    assert line == 1
    start = (MODEL + "\n\ndef f(session, agent: Agent, items: list[Agent]):\n").count("\n")
    assert edit == (start + 1, 4, 'flag_modified(agent, "meta")')
    multi = "    agent.meta.update(\n        k=1,\n    )\n    session.commit()\n"
    ((_, edit),) = lines_of(multi).items()
    assert edit is not None
    assert edit[0] == start + 3  # after the statement's last line


def test_no_fix_edit_where_an_insertion_is_not_safe() -> None:
    cases = {
        "lambda": "    cb = lambda: agent.meta.update(k=1)\n    cb()\n    session.commit()\n",
        "comprehension": '    [agent.meta.pop(k) for k in ("a", "b")]\n    session.commit()\n',
        "condition": '    if agent.meta.pop("k", None):\n        pass\n    session.commit()\n',
        "return": '    return agent.meta.pop("k")\n',
        "same line": '    agent.meta["k"] = 1; x = 2\n    session.commit()\n',
        "detached": '    session.expunge(agent)\n    agent.meta["k"] = 1\n',
    }
    for name, body in cases.items():
        got = lines_of(body)
        assert got, name
        assert list(got.values()) == [None], name


def test_to_json_has_fix_edit_only_when_set() -> None:
    (with_edit,) = findings('    agent.meta["k"] = 1\n    session.commit()\n')
    assert json.loads(json.dumps(with_edit.to_json()))["fix_edit"][2] == (
        'flag_modified(agent, "meta")'
    )
    (without,) = findings('    session.expunge(agent)\n    agent.meta["k"] = 1\n')
    assert "fix_edit" not in without.to_json()


def test_one_statement_gives_one_finding() -> None:
    got = findings('    agent.meta["new"] = agent.meta.pop("old")\n    session.commit()\n')
    assert len(got) == 1


def test_detached_objects_say_the_value_is_not_saved() -> None:
    body = "    import copy\n    twin = copy.deepcopy(agent)\n    twin.meta['k'] = 1\n"
    (finding,) = findings(body)
    assert "not in a session" in finding.message
    assert "flag_modified" not in finding.fix
    assert "copy" in finding.fix
    closed = '    session.close()\n    agent.meta["k"] = 1\n'
    (finding,) = findings(closed)
    assert "session closed on line" in finding.message


def test_loops_over_typed_collections_and_unknown_receivers() -> None:
    loop = '    for a in items:\n        a.meta["k"] = 1\n    session.commit()\n'
    assert len(findings(loop)) == 1
    unknown = '    other = make()\n    other.meta["k"] = 1\n    session.commit()\n'
    assert findings(unknown) == []


def test_untyped_receivers_restore_name_only_matching() -> None:
    code = MODEL + '\n\ndef f(session, thing):\n    thing.meta["k"] = 1\n    session.commit()\n'
    assert check_code(code) == []
    found, _ = check_sources([("m.py", code)], untyped_receivers=True, load_project=False)
    assert [f.code for f in found] == ["BAP001"]
