"""The project model's column resolution (``project/_model.py``): what each JSON column tracks
(a MutableDict / MutableList wrapper, a Mutable subclass, or nothing), aliases of JSON types
through several rounds, ``Annotated`` columns and the annotation map, ORM-ness through bases,
and when a bare class name may stand for a model."""

from __future__ import annotations

import ast

from backend_patterns.project import Project
from backend_patterns.project._model import DICT_TRACKED, LIST_TRACKED

HEAD = """\
from typing import Annotated, Any

from sqlalchemy import JSON, Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import Mutable, MutableDict, MutableList
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
"""
MODELS = (
    HEAD
    + """
JsonCol = JSONB
Alias2 = JsonCol
Alias3 = Alias2
Loop1 = Loop2
Loop2 = Loop1
Meta = Annotated[dict[str, Any], mapped_column(MutableDict.as_mutable(JSONB))]


class Tracked(Mutable, dict):
    def __setitem__(self, k, v):
        dict.__setitem__(self, k, v)
        self.changed()

    def coerce(cls, key, value):
        return value


class Base(DeclarativeBase):
    pass


class Doc(Base):
    __tablename__ = "docs"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict] = mapped_column(MutableDict.as_mutable(JSONB))
    plain: Mapped[dict] = mapped_column(JSONB)
    items = Column(MutableList.as_mutable(JSON))
    deep: Mapped[dict] = mapped_column(Alias3)
    wrapped: Mapped[dict] = mapped_column(MutableDict.as_mutable(Alias3))
    loop: Mapped[dict] = mapped_column(Loop1)
    meta: Mapped[Meta]
    own: Mapped[dict] = mapped_column(Tracked.as_mutable(JSONB))
    owner = relationship("User")
    name: Mapped[str]
"""
)


def project(*files: tuple[str, str]) -> Project:
    return Project.from_sources([(path, ast.parse(text)) for path, text in files])


def test_each_json_column_tracks_what_its_wrapper_tracks() -> None:
    doc = project(("pkg/models.py", MODELS)).merged.models["pkg.models.Doc"]
    assert doc.orm
    assert not doc.plain
    assert dict(doc.json) == {
        "data": DICT_TRACKED,
        "plain": frozenset(),
        "items": LIST_TRACKED,
        "deep": frozenset(),
        "wrapped": DICT_TRACKED,
        "meta": DICT_TRACKED,
        "own": frozenset({"__setitem__"}),  # what the Mutable subclass defines, not coerce
    }
    assert doc.relationships == {"owner"}
    assert doc.fields == {"id", "name", "loop"}  # an alias cycle is no JSON type


def test_aliases_resolve_through_several_rounds_up_to_eight() -> None:
    chain = "\n".join(f"A{i} = A{i - 1}" for i in range(1, 10))
    text = HEAD + f"\nA0 = JSONB\n{chain}\n\nclass Base(DeclarativeBase):\n    pass\n\n"
    text += "class Doc(Base):\n    __tablename__ = 'd'\n"
    text += "".join(f"    c{i}: Mapped[dict] = mapped_column(A{i})\n" for i in range(10))
    doc = project(("m.py", text)).merged.models["m.Doc"]
    assert set(doc.json) == {f"c{i}" for i in range(8)}  # A0..A7: eight hops at most
    assert doc.fields == {"c8", "c9"}


def test_columns_and_bases_resolve_across_files() -> None:
    columns = HEAD + "\nShared = JSONB\nMeta = Annotated[dict, mapped_column(JSONB)]\n"
    base = HEAD + "\nclass Base(DeclarativeBase):\n    pass\n\nclass Mixin:\n"
    base += "    extra: Mapped[dict] = mapped_column(MutableDict.as_mutable(JSONB))\n"
    models = (
        HEAD
        + "from .base import Base, Mixin\nfrom .columns import Meta, Shared\n\n"
        + "class Doc(Mixin, Base):\n    __tablename__ = 'd'\n"
        + "    a: Mapped[dict] = mapped_column(Shared)\n    m: Mapped[Meta]\n"
    )
    merged = project(
        ("app/columns.py", columns), ("app/base.py", base), ("app/models.py", models)
    ).merged
    doc = merged.models["app.models.Doc"]
    assert doc.orm
    assert doc.bases == ("app.base.Mixin", "app.base.Base")
    assert dict(doc.json) == {"extra": DICT_TRACKED, "a": frozenset(), "m": frozenset()}
    assert merged.models["app.base.Mixin"].orm_mixin
    assert not merged.models["app.base.Mixin"].orm
    assert merged.json_attrs == {
        "extra": {"app.models.Doc"},
        "a": {"app.models.Doc"},
        "m": {"app.models.Doc"},
    }


def test_a_subclass_redeclaring_a_column_replaces_it() -> None:
    text = MODELS + (
        "\n\nclass Sub(Doc):\n    data: Mapped[dict] = mapped_column(JSONB)\n"
        "    plain: Mapped[str]\n"
    )
    sub = project(("m.py", text)).merged.models["m.Sub"]
    assert sub.json["data"] == frozenset()
    assert "plain" not in sub.json
    assert "plain" in sub.fields
    assert sub.json["items"] == LIST_TRACKED


def test_a_bare_name_stands_for_a_model_only_when_it_cannot_be_mistaken() -> None:
    one = HEAD + "\nclass Base(DeclarativeBase):\n    pass\n\n"
    one += "class Doc(Base):\n    __tablename__ = 'a'\n"
    one += "    data: Mapped[dict] = mapped_column(JSONB)\n"
    same = one.replace("'a'", "'b'").replace("class Base", "class Base2")
    same = same.replace("(Base)", "(Base2)")
    plain = "from pydantic import BaseModel\n\nclass Doc(BaseModel):\n    data: dict\n"
    other = one.replace("data:", "info:").replace("'a'", "'c'").replace("class Base", "class B3")
    other = other.replace("(Base)", "(B3)")
    user = ast.parse("def f(doc):\n    doc.data['k'] = 1\n")

    def bare(*files: tuple[str, str]) -> list[str]:
        return sorted(project(*files).decls_for("x/use.py", user).classes)

    assert "Doc" in bare(("x/a.py", one))
    assert "Doc" in bare(("x/a.py", one), ("x/b.py", same))  # two models, one shape
    assert "Doc" not in bare(("x/a.py", one), ("x/p.py", plain))  # one is not a model
    assert "Doc" not in bare(("x/a.py", one), ("x/c.py", other))  # other JSON attributes
    p = project(("x/p.py", plain)).merged.models["x.p.Doc"]
    assert p.plain
    assert not p.orm


KINDS = """\
from typing import Any

from dataclasses import dataclass
from pydantic import BaseModel
from somewhere import Wrapper
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, as_declarative, mapped_column, relationship
from sqlmodel import SQLModel


class Root(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB}


class A(Base):
    __tablename__ = "a"


class B(db.Model):
    pass


@as_declarative()
class C:
    pass


class D:
    __tablename__ = "d"


class E(BaseModel):
    __tablename__ = "e"


class F(SQLModel, table=True):
    pass


class G(SQLModel):
    pass


@dataclass
class H:
    x: int


class Mixin:
    owner = relationship("User")
    name: Mapped[str]
    data: Mapped[dict[str, Any]]


class User(Root):
    __tablename__ = "users"
    w: Mapped[dict] = mapped_column(Wrapper.as_mutable(JSONB))


class Doc(Mixin, Root):
    __tablename__ = "docs"
    owner: Mapped[str]
    name = relationship("pkg.m.User")
    author = relationship("User", viewonly=True)

    def __init__(self):
        self.cache = {}
        self.data = {}
"""
HELPERS = """\
from sqlalchemy.orm.attributes import flag_modified


def save(obj, other=None):
    flag_modified(obj, "meta")


class Svc:
    def mark(self, thing):
        flag_modified(thing, "data")
"""


def kinds() -> dict[str, tuple[bool, bool, bool]]:
    merged = project(("pkg/m.py", KINDS)).merged
    return {q.rpartition(".")[2]: (m.orm, m.plain, m.orm_mixin) for q, m in merged.models.items()}


def test_what_makes_a_class_a_model_a_plain_class_or_a_mixin() -> None:
    orm, plain, mixin = (True, False, False), (False, True, False), (False, False, True)
    assert kinds() == {
        "Root": orm,  # DeclarativeBase
        "A": orm,  # a base named Base that the project does not have
        "B": orm,  # db.Model
        "C": orm,  # @as_declarative
        "D": orm,  # a __tablename__ and nothing plain about it
        "E": plain,  # pydantic, even with a __tablename__
        "F": orm,  # SQLModel with table=True
        "G": plain,  # SQLModel without
        "H": plain,  # a dataclass
        "Mixin": mixin,  # a base of a model, not a model
        "User": orm,
        "Doc": orm,
    }


def test_inherited_fields_relationships_and_their_targets() -> None:
    merged = project(("pkg/m.py", KINDS)).merged
    doc = merged.models["pkg.m.Doc"]
    assert doc.bases == ("pkg.m.Mixin", "pkg.m.Root")
    # redeclared in the subclass: owner is a plain field now, name a relationship
    assert doc.relationships == {"author", "name"}
    assert doc.fields == {"owner", "cache"}  # self.cache; self.data is the JSON column
    assert dict(doc.json) == {"data": frozenset()}  # through the base's type_annotation_map
    assert dict(doc.rel_targets) == {"name": "pkg.m.User", "author": "pkg.m.User"}
    mixin = merged.models["pkg.m.Mixin"]
    assert (mixin.relationships, mixin.fields) == ({"owner"}, {"name"})
    assert dict(mixin.rel_targets) == {"owner": "pkg.m.User"}
    # an unknown wrapper may track anything a dict or a list does
    assert merged.models["pkg.m.User"].json["w"] == DICT_TRACKED | LIST_TRACKED
    assert merged.json_attrs == {"data": {"pkg.m.Doc"}, "w": {"pkg.m.User"}}


def test_a_relationship_to_an_ambiguous_name_has_no_target() -> None:
    other = "class User:\n    pass\n"
    merged = project(("pkg/m.py", KINDS), ("pkg/o.py", other)).merged
    # "User" is the class of the file itself; "pkg.m.User" has two candidates by its name
    assert dict(merged.models["pkg.m.Doc"].rel_targets) == {"author": "pkg.m.User"}


def test_flagging_helpers_are_known_by_name_with_their_parameter() -> None:
    merged = project(("pkg/m.py", KINDS), ("pkg/f.py", HELPERS)).merged
    [save] = merged.flaggers["save"]
    assert (save.name, save.qualname, save.index, save.param, save.attr) == (
        "save",
        "pkg.f.save",
        0,
        "obj",
        "meta",
    )
    assert (save.returns, save.method) == (False, False)
    [mark] = merged.flaggers["mark"]
    assert (mark.qualname, mark.index, mark.param, mark.attr, mark.method) == (
        "pkg.f.mark",
        1,
        "thing",
        "data",
        True,
    )


def test_an_import_target_is_found_exactly_or_by_its_tail() -> None:
    merged = project(("pkg/m.py", KINDS)).merged
    assert merged.lookup("pkg.m.Doc") == "pkg.m.Doc"
    assert merged.lookup("src.pkg.m.Doc") == "pkg.m.Doc"  # imported through a src/ prefix
    assert merged.lookup("m.Doc") == "pkg.m.Doc"
    assert merged.lookup("pkg.m.Nope") is None
    twice = project(("a/m.py", KINDS), ("b/m.py", KINDS)).merged
    assert twice.lookup("m.Doc") is None  # two candidates: neither
    assert twice.lookup("a.m.Doc") == "a.m.Doc"
    sub = "from src.a.m import Doc\nfrom m import Doc as Other\n\n"
    sub += "class Sub(Doc):\n    pass\n\nclass Sub2(Other):\n    pass\n"
    models = project(("a/m.py", KINDS), ("b/m.py", KINDS), ("c/u.py", sub)).merged.models
    assert models["c.u.Sub"].bases == ("a.m.Doc",)  # found by its tail below src/
    assert models["c.u.Sub"].orm
    assert models["c.u.Sub2"].bases == ("Other",)  # two candidates: left as written


def test_changing_helpers_are_known_with_their_parameter() -> None:
    helpers = (
        "def add_tag(data, tag):\n    data['tags'] = tag\n    return data\n\n"
        "class Box:\n    def fill(self, items):\n        items.append(1)\n"
    )
    merged = project(("pkg/h.py", helpers)).merged
    [add] = merged.changers["add_tag"]
    assert (add.name, add.qualname, add.index, add.param, add.attr) == (
        "add_tag",
        "pkg.h.add_tag",
        0,
        "data",
        None,
    )
    assert (add.returns, add.method) == (True, False)
    [fill] = merged.changers["fill"]
    assert (fill.qualname, fill.index, fill.param, fill.returns, fill.method) == (
        "pkg.h.fill",
        1,
        "items",
        False,
        True,
    )


def test_a_model_knows_where_it_is_declared() -> None:
    doc = project(("pkg/m.py", KINDS)).merged.models["pkg.m.Doc"]
    assert (doc.qualname, doc.name, doc.path) == ("pkg.m.Doc", "Doc", "pkg/m.py")
    assert doc.line == KINDS.splitlines().index("class Doc(Mixin, Root):") + 1


def test_a_cycle_of_bases_ends() -> None:
    text = "class X(Y):\n    a = 1\n\nclass Y(X):\n    b = 2\n"
    models = project(("c.py", text)).merged.models
    assert {q: (m.orm, m.plain) for q, m in models.items()} == {
        "c.X": (False, False),
        "c.Y": (False, False),
    }


def test_fields_of_several_bases_add_up_and_the_first_base_wins() -> None:
    text = HEAD + (
        "\nclass Base(DeclarativeBase):\n    pass\n\n"
        "class WithRel:\n    x = relationship('Other')\n    r1 = relationship('Other')\n"
        "    o1: Mapped[int]\n\n"
        "class WithJson:\n    x: Mapped[dict] = mapped_column(JSONB)\n"
        "    r2 = relationship('Other')\n    o2: Mapped[int]\n\n"
        "class Doc(WithRel, WithJson, Base):\n    __tablename__ = 'd'\n"
    )
    doc = project(("m.py", text)).merged.models["m.Doc"]
    assert doc.relationships == {"x", "r1", "r2"}  # WithRel's x, first in the bases
    assert "x" not in doc.json
    assert doc.fields == {"o1", "o2"}


def test_a_bare_base_named_base_is_a_model_root() -> None:
    text = "class A(Base):\n    pass\n\nclass B(Model):\n    pass\n\nclass C(base):\n    pass\n"
    models = project(("m.py", text)).merged.models
    assert {q: m.orm for q, m in models.items()} == {"m.A": True, "m.B": False, "m.C": False}


def test_json_types_imported_under_another_name() -> None:
    columns = (
        "from typing import Annotated\n"
        "from sqlalchemy.dialects.postgresql import JSONB as PG\n"
        "from sqlalchemy.orm import mapped_column\n\n"
        "Meta = Annotated[dict, mapped_column(PG)]\n"
    )
    models = (
        "from typing import Any\n"
        "from sqlalchemy.dialects.postgresql import JSONB as PG\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "import app.columns as cols\n\n"
        "class Base(DeclarativeBase):\n    type_annotation_map = {dict[str, Any]: PG}\n\n"
        "class Doc(Base):\n    __tablename__ = 'd'\n"
        "    a: Mapped[dict] = mapped_column(PG)\n"
        "    m: Mapped[cols.Meta]\n"
        "    t: Mapped[dict[str, Any]]\n"
    )
    merged = project(("app/columns.py", columns), ("app/models.py", models)).merged
    assert set(merged.models["app.models.Doc"].json) == {"a", "m", "t"}
