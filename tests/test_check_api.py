"""``check_code`` / ``check_tree``: the functions the hooks, the MCP server and the CLI call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend_patterns.errors import UsageError
from backend_patterns.lint import Finding, check_code, check_tree

MODEL = """\
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column


class Agent(Base):
    agent_metadata: Mapped[dict] = mapped_column(postgresql.JSONB(none_as_null=True))
    name: Mapped[str] = mapped_column(sa.String)
"""
USE = """\
async def tag(session, agent: "Agent"):
    agent.agent_metadata["k"] = 1
    await session.commit()
"""


def test_one_text_finds_its_own_models() -> None:
    (finding,) = check_code(MODEL + "\n\n" + USE, "app/agents.py")
    assert isinstance(finding, Finding)
    assert (finding.path, finding.line, finding.col) == ("app/agents.py", 12, 5)
    assert finding.code == "BAP001"
    assert finding.rule == "jsonb-in-place-mutation"
    assert "`agent.agent_metadata`" in finding.message
    assert "commit on line 13" in finding.message
    assert json.loads(json.dumps(finding.to_json()))["fix"] == (
        'call `flag_modified(agent, "agent_metadata")` before commit'
    )


def test_json_attrs_stand_in_for_unseen_models() -> None:
    assert check_code(USE) == []
    (finding,) = check_code(USE, json_attrs=["Agent.agent_metadata"])
    assert finding.path == "<code>"
    assert check_code(USE, json_attrs=["Agent.other"]) == []


def test_bad_json_attr_raises_usage_error() -> None:
    with pytest.raises(UsageError, match=r"Model\.attr"):
        check_code(USE, json_attrs=["agent_metadata"])


@pytest.mark.parametrize("code", ["def f(:\n", "x = '\0'\n", "", "\ufeff" + USE])
def test_unparsable_or_odd_text_has_no_findings(code: str) -> None:
    assert check_code(code, json_attrs=["A.b"]) == []


def test_columns_count_unicode_characters_not_bytes() -> None:
    code = (
        'async def f(s, agent: "Agent"):\n'
        '    é = 1; agent.agent_metadata["k"] = é\n    await s.commit()\n'
    )
    (finding,) = check_code(code, json_attrs=["Agent.agent_metadata"])
    assert (finding.line, finding.col) == (2, 12)


def test_check_tree_resolves_models_across_files(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "service.py").write_text(USE)
    (tmp_path / "pkg" / "broken.py").write_text("class (\n")
    findings, warnings = check_tree([str(tmp_path)])
    # a file that does not parse is a finding (BAP000), as in ruff (issue 9), not a warning
    assert [(Path(f.path).name, f.line, f.code) for f in findings] == [
        ("broken.py", 1, "BAP000"),
        ("service.py", 2, "BAP001"),
    ]
    assert warnings == []
    only_service, _ = check_tree([str(tmp_path / "pkg" / "service.py")])
    assert only_service == []
    with pytest.raises(UsageError, match="no such file"):
        check_tree([str(tmp_path / "nope")])


def test_check_module_imports_only_the_standard_library() -> None:
    """The hooks call check_code on their hot path: no heavy imports."""
    code = (
        "import sys\n"
        "from backend_patterns.lint import check_code\n"
        "check_code('x.a[1] = 2\\n', json_attrs=['X.a'])\n"
        "heavy = {'fastapi', 'sqlalchemy', 'pydantic', 'jinja2', 'mcp', 'rapidfuzz', 'yaml'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_type_annotation_map_yields_to_an_explicit_column_type() -> None:
    code = """\
from typing import Any

from sqlalchemy.dialects.postgresql import HSTORE, JSONB


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB}


class A(Base):
    a: Mapped[dict[str, Any]] = mapped_column(ForeignKey("x.id"), nullable=True)
    b: Mapped[dict[str, Any]] = mapped_column(HSTORE())
    c: Mapped[dict[str, Any]] = mapped_column("c_col")
    d: Mapped[dict[str, Any] | None]


def f(o: A):
    o.a["k"] = 1
    o.b["k"] = 1
    o.c["k"] = 1
    o.d["k"] = 1
"""
    assert [f.line for f in check_code(code)] == [18, 20, 21]
