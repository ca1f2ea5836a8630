"""BAP001's fast paths give the answers of the slow ones: the text prefilters (words, the lines
that name a JSON attribute or an event call), the class table a file's view shares with the
project, the warm project index (stamps and merged view, summaries read on demand), the
resolved file list, and pytest fixtures read from a conftest.py on disk."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from backend_patterns import project as proj
from backend_patterns.lint import check_code, check_tree
from backend_patterns.lint._files import python_files, resolved_python_files
from backend_patterns.lint.registry import SourceFile
from backend_patterns.lint.rules import bap001
from backend_patterns.lint.rules.bap001 import _flow, _prefilter
from backend_patterns.lint.rules.bap001._refs import Unsaved
from backend_patterns.lint.rules.bap001._walk import calls, text, walk
from backend_patterns.project import Project

FIXTURES = Path(__file__).parent / "fixtures" / "check"


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def test_words_hold_every_identifier_of_the_text() -> None:
    code = 'x = obj.payload["k"]  # café.meta\ny=f(a,b)-c.d\n'
    found = _prefilter.words(code)
    names = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Attribute)}
    assert names | attrs <= found
    assert {"payload", "meta", "café"} <= found
    ligature = "x.\ufb01eld = 1"  # Python reads the name NFKC-normalised: "field"
    assert {n.attr for n in ast.walk(ast.parse(ligature)) if isinstance(n, ast.Attribute)} == {
        "field"
    }
    assert "field" in _prefilter.words(ligature)


def test_word_lines_are_whole_words_only() -> None:
    code = "a.payload[1] = 2\nb.payloads = 3\n\nc = payload_x\nd = (payload)\n"
    assert _prefilter.word_lines(code, {"payload"}) == [1, 5]
    assert _prefilter.word_lines("x = 'é'\nobj.payload[1] = 2\n", {"payload"}) is None
    spans = _prefilter.Spans([2, 9], [4], [7])
    assert spans.attrs(1, 2)
    assert spans.attrs(9, 9)
    assert not spans.attrs(3, 8)
    assert spans.calls(4, 4)
    assert spans.defs(5, 7)
    assert not spans.defs(8, 100)
    assert not spans.calls(5, 100)


def test_the_walk_is_ast_walk_without_context_markers() -> None:
    tree = ast.parse((FIXTURES / "flow.py").read_text())
    slow = [n for n in ast.walk(tree) if not isinstance(n, ast.expr_context)]
    assert walk(tree) == slow
    assert calls([tree]) == [n for n in slow if isinstance(n, ast.Call)]
    for node in slow:
        if isinstance(node, ast.expr):
            assert text(node) == ast.unparse(node)


def _findings(spans: bool) -> list[tuple[str, int, str]]:
    """Every fixture's findings, with the line prefilters or without them."""
    project = Project.from_sources(
        (str(p), ast.parse(p.read_text())) for p in sorted(FIXTURES.glob("*.py"))
    )
    out = []
    for path in sorted(FIXTURES.glob("*.py")):
        source = SourceFile(str(path), path.read_text(), ast.parse(path.read_text()))
        view = project.decls_for(source.path, source.tree)
        found: list[Unsaved] = []
        given = None
        if spans:
            names = _prefilter.words(source.text)
            attrs = names & (view.json_attrs | _prefilter.model_json_names(view.models))
            given = bap001._spans(source.text, names, attrs, view)  # what the rule uses
            assert given is not None
        _flow.check_module(source.tree, view, found.append, False, given)
        out += [(path.name, getattr(u.mutation.node, "lineno", 0), u.mutation.how) for u in found]
    return sorted(out)


def test_line_prefilters_drop_no_finding() -> None:
    with_spans = _findings(spans=True)
    assert with_spans == _findings(spans=False)
    assert len(with_spans) > 40


def test_a_files_class_table_reads_like_a_dict(tmp_path: Path) -> None:
    pkg = tmp_path / "proj" / "app"
    pkg.mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("")
    (pkg / "models.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "from sqlalchemy.dialects.postgresql import JSONB\n"
        "class Base(DeclarativeBase): pass\n"
        "class Agent(Base):\n    __tablename__ = 'a'\n"
        "    meta: Mapped[dict] = mapped_column(JSONB)\n"
        "class Other(Base):\n    __tablename__ = 'o'\n"
    )
    (pkg / "service.py").write_text("from elsewhere import Agent\nfrom .models import Other\n")
    project = Project.load(tmp_path / "proj")
    classes = project.decls_for(str(pkg / "service.py")).classes
    assert "Agent" not in classes
    assert classes.get("Agent") is None
    assert classes["Other"].qualname == "app.models.Other"
    assert dict(classes) == {k: classes[k] for k in classes}
    assert len(classes) == len(list(classes))
    with pytest.raises(KeyError):
        classes["Agent"]


def test_a_warm_index_keeps_its_merged_view_through_an_edit(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "app" / "models.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "from sqlalchemy.dialects.postgresql import JSONB\n"
        "class Base(DeclarativeBase): pass\n"
        "class Agent(Base):\n    __tablename__ = 'a'\n"
        "    meta: Mapped[dict] = mapped_column(JSONB)\n"
    )
    service = root / "app" / "service.py"
    body = (
        "from .models import Agent\n\n"
        "def touch(session, agent: Agent) -> None:\n"
        "    agent.meta['k'] = 1\n"
        "{}    session.commit()\n"
    )
    service.write_text(body.format("    print('before')\n"))
    Project.load(root)
    merges = proj.STATS["merges"]
    warm = Project.load(root)
    assert proj.STATS["merges"] == merges
    edited = body.format("")  # the same declarations: the hook keeps the merged view
    changed = warm.with_sources([(str(service), ast.parse(edited), edited)])
    assert changed.merged is warm.merged
    assert [f.line for f in check_code(edited, path=str(service), project=warm)] == [4]
    declared = edited + "\n\nclass Extra:\n    pass\n"
    assert warm.with_sources([(str(service), ast.parse(declared), declared)]).merged is not (
        warm.merged
    )


def test_resolved_files_match_path_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("")
    (tmp_path / "pkg" / "link.py").symlink_to(tmp_path / "pkg" / "a.py")
    (tmp_path / "alias").symlink_to(tmp_path / "pkg")
    monkeypatch.chdir(tmp_path / "pkg")
    for given in (["."], [str(tmp_path / "alias")], ["a.py", str(tmp_path / "pkg")], ["sub"]):
        found = resolved_python_files(given)
        assert [str(p.resolve()) for p, _ in found] == [key for _, key in found]
        assert [p for p, _ in found] == python_files(given)
        assert len({key for _, key in found}) == len(found)  # the link is its target: once
    assert len(resolved_python_files(["."])) == 2


CONFTEST = """\
import pytest

from app.models import Agent


@pytest.fixture
def agent(db):
    return db.get(Agent, 1)
"""
TEST = """\
def test_touch(db, agent):
    agent.meta["k"] = 1
    db.commit()
"""


def test_a_conftest_on_disk_gives_a_fixture_its_model(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "tests" / "unit").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "from sqlalchemy.dialects.postgresql import JSONB\n"
        "class Base(DeclarativeBase): pass\n"
        "class Agent(Base):\n    __tablename__ = 'a'\n"
        "    meta: Mapped[dict] = mapped_column(JSONB)\n"
    )
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    test = root / "tests" / "unit" / "test_touch.py"
    test.write_text(TEST)
    project = Project.load(root)
    assert [f.line for f in check_code(TEST, path=str(test), project=project)] == [2]
    assert check_code(TEST, path=str(test)) == []  # no project, no conftest read: no evidence
    findings, _ = check_tree([str(test)])  # the conftest is not among the files checked
    assert [f.line for f in findings] == [2]
    os.remove(root / "tests" / "conftest.py")
    assert check_code(TEST, path=str(test), project=Project.load(root)) == []
    (root / "tests" / "plugins").mkdir()
    (root / "tests" / "plugins" / "agents.py").write_text(CONFTEST)  # a plugin module
    (root / "tests" / "conftest.py").write_text('pytest_plugins = ["tests.plugins.agents"]\n')
    project = Project.load(root)
    assert [f.line for f in check_code(TEST, path=str(test), project=project)] == [2]
