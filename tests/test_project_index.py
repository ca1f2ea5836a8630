"""The project model (``backend_patterns.project``): root finding, declarations, inheritance
across files, the on-disk cache and hostile files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend_patterns import project as proj
from backend_patterns.lint import SKIP_DIRS, check_code
from backend_patterns.project import Project, find_root

BASE = """\
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
"""
MODELS = """\
from typing import Annotated, Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy_utils import JSONType

from .base import Base
from .columns import MetadataColumn, Tracked


class Mixin:
    extra: Mapped[dict] = mapped_column(JSONB)


class Agent(Mixin, Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    meta: Mapped[MetadataColumn]
    doc: Mapped[dict] = mapped_column(JSONType)
    cfg: Mapped[dict] = mapped_column(MutableDict.as_mutable(JSONB))
    prefs: Mapped[dict] = mapped_column(Tracked.as_mutable(JSONB))
    owner = relationship("User")

    @declared_attr
    def computed(cls) -> Mapped[dict]:
        return mapped_column(JSONB)


class Schema:
    meta: dict[str, Any] = {}
"""
COLUMNS = """\
from typing import Annotated, Any

from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import Mutable
from sqlalchemy.orm import mapped_column

MetadataColumn = Annotated[dict[str, Any], mapped_column(JSONB)]


class Tracked(Mutable, dict):
    def __setitem__(self, k, v):
        dict.__setitem__(self, k, v)
        self.changed()
"""
SERVICE = """\
from sqlalchemy.orm import Session

from .models import Agent


def tag(session: Session, agent: Agent) -> None:
    agent.meta["k"] = 1
    session.commit()
"""
HELPERS = """\
from sqlalchemy.orm import flag_modified


def save_meta(obj):
    flag_modified(obj, "meta")
"""


def make(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    pkg = root / "app"
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for name, text in {
        "__init__.py": "",
        "base.py": BASE,
        "models.py": MODELS,
        "columns.py": COLUMNS,
        "service.py": SERVICE,
        "helpers.py": HELPERS,
    }.items():
        (pkg / name).write_text(text)
    return root


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def test_root_is_the_nearest_marker(tmp_path: Path) -> None:
    root = make(tmp_path)
    assert find_root(root / "app" / "models.py") == root
    assert find_root(root / "app") == root
    (root / "app" / "setup.cfg").write_text("")
    assert find_root(root / "app" / "models.py") == root / "app"
    git = tmp_path / "g" / "sub"
    git.mkdir(parents=True)
    (tmp_path / "g" / ".git").mkdir()
    assert find_root(git) == tmp_path / "g"


def test_every_declaration_form_and_inheritance_across_files(tmp_path: Path) -> None:
    p = Project.load(make(tmp_path))
    agent = p.models["app.models.Agent"]
    assert agent.orm
    assert set(agent.json) == {"extra", "meta", "doc", "cfg", "prefs", "computed"}
    assert agent.relationships == {"owner"}
    assert agent.json["cfg"] >= {"__setitem__", "update", "pop"}
    assert agent.json["prefs"] == {"__setitem__"}  # what the custom Mutable tracks
    assert agent.json["meta"] == frozenset()
    assert p.classes["app.models.Mixin"].orm_mixin
    assert not p.classes["app.models.Schema"].orm
    assert "app.base.Base" in p.models
    assert p.json_attrs["meta"] == {"app.models.Agent"}
    (flagger,) = p.flaggers["save_meta"]
    assert (flagger.index, flagger.attr) == (0, "meta")


def test_a_change_in_one_file_knows_the_models_of_the_others(tmp_path: Path) -> None:
    root = make(tmp_path)
    service = root / "app" / "service.py"
    text = service.read_text()
    assert check_code(text, path=str(service)) == []  # alone: no models known
    p = Project.load(service)
    (finding,) = check_code(text, path=str(service), project=p)
    assert finding.line == 7
    assert finding.fix_edit == (7, 4, 'flag_modified(agent, "meta")')
    flagged = text.replace("    session.commit()", "    save_meta(agent)\n    session.commit()")
    flagged = flagged.replace("from .models", "from .helpers import save_meta\nfrom .models")
    assert check_code(flagged, path=str(service), project=p) == []


def test_cache_hit_miss_and_incremental_update(tmp_path: Path, cache_home: Path) -> None:
    root = make(tmp_path)
    before = proj.STATS["parsed"]
    first = Project.load(root)
    assert proj.STATS["parsed"] - before == 6  # a cold index parses every file
    assert list(cache_home.glob("backend-api-patterns/project-*/stamps.marshal"))
    before, merges = proj.STATS["parsed"], proj.STATS["merges"]
    again = Project.load(root / "app" / "service.py")
    assert proj.STATS["parsed"] == before  # warm: nothing parsed
    assert proj.STATS["merges"] == merges  # nor merged: the index holds the merged view
    assert set(again.models) == set(first.models)
    assert again.json_attrs == first.json_attrs
    assert again.flaggers == first.flaggers
    assert again.summaries == first.summaries  # read from the index when asked for
    service = root / "app" / "service.py"
    service.write_text(service.read_text() + "\n\ndef unrelated() -> int:\n    return 1\n")
    os.utime(service, ns=(2, 2))
    before, merges = proj.STATS["parsed"], proj.STATS["merges"]
    body_only = Project.load(root)
    assert proj.STATS["parsed"] - before == 1
    assert proj.STATS["merges"] == merges  # the same declarations: the merged view holds
    assert set(body_only.models) == set(first.models)
    assert Project.load(root).summaries == body_only.summaries
    models = root / "app" / "models.py"
    models.write_text(MODELS + "\n\nclass Extra(Base):\n    __tablename__ = 'e'\n")
    os.utime(models, ns=(1, 1))
    before = proj.STATS["parsed"]
    third = Project.load(root)
    assert proj.STATS["parsed"] - before == 1  # only the changed file
    assert "app.models.Extra" in third.models
    (root / "app" / "helpers.py").unlink()
    fourth = Project.load(root)
    assert "save_meta" not in fourth.flaggers
    no_cache = Project.load(root, cache=False)
    assert set(no_cache.models) == set(fourth.models)


def test_hostile_files_are_skipped(tmp_path: Path) -> None:
    root = make(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("class Leak(Base):\n    __tablename__ = 'l'\n")
    (root / "app" / "link.py").symlink_to(outside / "secret.py")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "app" / "pipe.py")
    (root / "app" / "huge.py").write_text("x = 1\n" * (proj.MAX_FILE_BYTES // 6 + 10))
    (root / "app" / "bad.py").write_bytes(b"\xff\xfe class (")
    (root / ".venv").mkdir()
    (root / ".venv" / "lib.py").write_text("class Venv(Base):\n    __tablename__ = 'v'\n")
    p = Project.load(root)
    names = {Path(f).name for f in p.files}
    assert names == {
        "__init__.py",
        "base.py",
        "models.py",
        "columns.py",
        "service.py",
        "helpers.py",
    }
    assert not any(m.name in {"Leak", "Venv"} for m in p.classes.values())


def test_skip_dirs_match_the_linter() -> None:
    assert proj.SKIP_DIRS == SKIP_DIRS


def test_from_sources_needs_no_disk() -> None:
    import ast

    p = Project.from_sources([("m.py", ast.parse(BASE + MODELS.replace("from .base", "#")))])
    assert "Agent" in p.merged.by_name


def test_the_hook_and_the_mcp_tool_know_the_project(tmp_path: Path) -> None:
    from backend_patterns.hooks import introduced
    from backend_patterns.mcp.server import _project_of

    root = make(tmp_path)
    service = root / "app" / "service.py"
    text = service.read_text()
    (finding,) = introduced(None, text, str(service))
    assert "`agent.meta`" in finding.message
    assert introduced(text, text, str(service)) == []  # already there before the edit
    outside = tmp_path / "loose.py"
    outside.write_text(text)
    assert _project_of(str(outside)) is None or not _project_of(str(outside)).models
    loaded = _project_of(str(service))
    assert loaded is not None
    assert "app.models.Agent" in loaded.models
    assert _project_of(str(root / "app" / "missing.py")) is None


def test_a_name_imported_from_elsewhere_is_not_the_projects_class(tmp_path: Path) -> None:
    root = make(tmp_path)
    service = root / "app" / "service.py"
    text = service.read_text().replace("from .models import Agent", "from vendor import Agent")
    assert check_code(text, path=str(service), project=Project.load(root)) == []
    bare = service.read_text().replace("from .models import Agent\n", "")
    assert len(check_code(bare, path=str(service), project=Project.load(root))) == 1


def test_max_parse_fills_a_cold_index_in_steps(tmp_path: Path) -> None:
    root = make(tmp_path)
    before = proj.STATS["parsed"]
    part = Project.load(root, max_parse=4)
    assert proj.STATS["parsed"] - before == 4
    assert len(part.files) <= 4
    rest = Project.load(root, max_parse=4)
    assert proj.STATS["parsed"] - before == 6  # the two left over, then the index is warm
    assert len(rest.files) == 6
