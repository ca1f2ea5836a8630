"""Render parameters, through the real ``bap render`` command: every bad value is a one-line
``Error:`` with exit 2 (allowed values, "Did you mean"), never a traceback or a rendering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend_patterns.cli import word as cli_word
from backend_patterns.errors import ParamError
from backend_patterns.inflect import kebab, pluralize, singular, snake
from backend_patterns.pack import ParamSpec, PatternSpec
from backend_patterns.render.params import convert, resolve

BAP = Path(sys.executable).parent / "bap"


def bap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BAP), *args], capture_output=True, text=True, timeout=120, check=False
    )


def render_json(*sets: str) -> dict[str, Any]:
    args = [a for s in sets for a in ("--set", s)]
    result = bap("render", "crud_endpoint", "--json", *args)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, nothing on stdout, one ``Error:`` line on stderr containing ``needles``."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def render_error(*sets: str) -> subprocess.CompletedProcess[str]:
    return bap("render", "crud_endpoint", *[a for s in sets for a in ("--set", s)])


# ---- unknown, malformed and repeated parameters ----


def test_unknown_parameter_lists_the_known_ones_and_guesses() -> None:
    line = assert_error(
        render_error("resorce=BlogPost"), "unknown parameter 'resorce'", "Did you mean 'resource'?"
    )
    for name in ("resource", "plural", "table", "id_type", "fields", "unique", "prefix"):
        assert name in line


def test_set_without_equals_is_an_error() -> None:
    assert_error(render_error("resource"), "--set takes KEY=VALUE")


def test_set_twice_is_an_error() -> None:
    assert_error(render_error("resource=A", "resource=B"), "'resource' is set twice")


# ---- choices ----


def test_bad_choice_lists_allowed_values_and_guesses() -> None:
    assert_error(
        render_error("id_type=uid"), "'id_type'", "choose from: int, uuid", "Did you mean 'uuid'?"
    )


# ---- identifiers ----


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("blog_post", "PascalCase"),
        ("Blog-Post", "PascalCase"),
        ("Blog Post", "PascalCase"),
        ("None", "PascalCase"),  # a keyword
        ("Item;import os", "PascalCase"),  # injection
        ('Item"):\n    pass', "PascalCase"),
        ("Page", "builtin or an imported library name"),
        ("Exception", "builtin or an imported library name"),
        ("A" * 25, "longer than 24 characters"),
        ("", "PascalCase"),
    ],
)
def test_bad_resource(value: str, why: str) -> None:
    assert_error(render_error(f"resource={value}"), "'resource'", why)


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ("plural=BlogPosts", "snake_case"),
        ("plural=blog posts", "snake_case"),
        ("table=items; DROP TABLE x", "snake_case"),
        ("table=class", "snake_case"),
        ("table=match", "snake_case"),  # a soft keyword
        ("prefix=/Blog Posts", "route prefix"),
        ("prefix=/items/../admin", "route prefix"),
    ],
)
def test_bad_snake_names_and_routes(setting: str, why: str) -> None:
    assert_error(render_error(setting), f"'{setting.split('=')[0]}'", why)


def test_derived_value_that_is_invalid_says_how_to_override() -> None:
    pattern = PatternSpec(
        name="demo",
        description="",
        usage="",
        summary="",
        dir=".",
        params=(
            ParamSpec(name="resource", kind="pascal", help="", default="Item"),
            ParamSpec(name="slug", kind="snake", help="", derive="{{ resource }}"),
        ),
        files=(),
    )
    with pytest.raises(ParamError) as caught:
        resolve(pattern, {})
    text = cli_word(caught.value)
    assert "'slug'" in text
    assert "derived automatically" in text
    assert "--set slug=VALUE" in text
    assert resolve(pattern, {"slug": "item"})["slug"] == "item"


# ---- fields ----


@pytest.mark.parametrize(
    ("fields", "needles"),
    [
        ("title", ["'title' is not name:type"]),
        ("title:string", ["unknown type 'string'", "Did you mean 'str'?"]),
        ("title:str;import os", ["unknown type 'str;import os'"]),
        ("Title:str", ["not a snake_case field name"]),
        ("class:str", ["not a snake_case field name"]),
        ("id:int", ["'id' is reserved"]),
        ("metadata:dict", ["'metadata' is reserved"]),
        ("model_name:str", ["'model_name' is reserved"]),
        ("datetime:datetime", ["'datetime' is reserved"]),
        ("mapped_column:str", ["it is reserved", "mapped_column"]),
        ("a:str,a:int", ["field 'a' is repeated"]),
        ("x" * 33 + ":str", ["longer than 32"]),
        (",", ["at least one name:type field"]),
    ],
)
def test_bad_fields(fields: str, needles: list[str]) -> None:
    assert_error(render_error(f"fields={fields}"), "'fields'", *needles)


def test_unique_must_name_a_key_like_field() -> None:
    fields = "fields=title:str,meta:dict,published:bool,rank:int"
    assert_error(
        render_error(fields, "unique=titel"),
        "'unique'",
        "choose from: title, rank",
        "Did you mean 'title'?",
    )
    assert_error(render_error(fields, "unique=meta"), "'unique'", "choose from: title, rank")
    assert_error(render_error(fields, "unique=published"), "'unique'")


# ---- derived values and overrides ----


def test_names_are_derived_from_the_resource() -> None:
    data = render_json("resource=BlogPost", "fields=title:str,body:str")
    params = data["params"]
    assert params["plural"] == "blog_posts"
    assert params["table"] == "blog_posts"
    assert params["prefix"] == "/blog-posts"
    assert params["unique"] == "title"  # the first str field
    assert params["fields"] == [
        {"name": "title", "type": "str", "optional": False},
        {"name": "body", "type": "str", "optional": False},
    ]
    router = next(f["content"] for f in data["files"] if f["path"] == "router.py")
    assert (
        'APIRouter(prefix="/blog-posts", tags=["blog_posts"], route_class=AllowingRoute)' in router
    )
    assert "async def list_blog_posts(" in router
    assert "blog_post_id: BlogPostId" in router


def test_derived_names_can_be_overridden() -> None:
    data = render_json(
        "resource=Person", "plural=people", "table=person_rows", "prefix=api/v1/people/", "unique="
    )
    params = data["params"]
    assert (params["plural"], params["table"], params["prefix"]) == (
        "people",
        "person_rows",
        "/api/v1/people",
    )
    assert params["unique"] is None
    files = {f["path"]: f["content"] for f in data["files"]}
    assert '__tablename__ = "person_rows"' in files["models.py"]
    assert "unique=True" not in files["models.py"]
    assert "async def list_people(" in files["router.py"]
    assert 'prefix="/api/v1/people"' in files["router.py"]


def test_no_str_field_means_no_unique_field() -> None:
    params = render_json("fields=count:int,meta:dict")["params"]
    assert params["unique"] is None


# ---- the helpers, in process ----


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BlogPost", "blog_post"),
        ("HTTPRequest", "http_request"),
        ("Item", "item"),
        ("OAuth2Token", "o_auth2_token"),
        ("ABTest", "ab_test"),
    ],
)
def test_snake(name: str, expected: str) -> None:
    assert snake(name) == expected
    assert kebab(name) == expected.replace("_", "-")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("item", "items"),
        ("blog_post", "blog_posts"),
        ("box", "boxes"),
        ("category", "categories"),
        ("day", "days"),
        ("status", "statuses"),
        ("search_batch", "search_batches"),
    ],
)
def test_pluralize(word: str, expected: str) -> None:
    assert pluralize(word) == expected


def test_int_bool_and_text_kinds() -> None:
    count = ParamSpec(name="count", kind="int", help="", min=1, max=10)
    assert convert(count, "p", "3") == 3
    with pytest.raises(ParamError, match=r"expected 1\.\.10"):
        convert(count, "p", "11")
    with pytest.raises(ParamError, match="whole number"):
        convert(count, "p", "three")
    flag = ParamSpec(name="flag", kind="bool", help="")
    assert convert(flag, "p", "yes") is True
    assert convert(flag, "p", False) is False
    with pytest.raises(ParamError, match="true or false"):
        convert(flag, "p", "maybe")
    note = ParamSpec(name="note", kind="text", help="")
    with pytest.raises(ParamError, match="one short line"):
        convert(note, "p", "two\nlines")


def test_fields_accept_lists_too() -> None:
    spec = ParamSpec(name="fields", kind="fields", help="")
    expected = [
        {"name": "a", "type": "str", "optional": False},
        {"name": "b", "type": "int", "optional": False},
    ]
    assert convert(spec, "p", ["a:str", "b:int"]) == expected
    assert convert(spec, "p", expected) == expected
    assert convert(spec, "p", [{"name": "a", "type": "str"}, "b:int"]) == expected


def test_optional_list_and_reference_fields() -> None:
    spec = ParamSpec(name="fields", kind="fields", help="")
    fields = convert(spec, "p", "name:str, nickname:str?, tags:list[str], owner:ref[User]?")
    assert fields == [
        {"name": "name", "type": "str", "optional": False},
        {"name": "nickname", "type": "str", "optional": True},
        {"name": "tags", "type": "list[str]", "optional": False},
        {"name": "owner_id", "type": "ref", "ref": "User", "relation": "owner", "optional": True},
    ]
    assert convert(spec, "p", fields) == fields  # the parsed form round-trips


@pytest.mark.parametrize(
    ("fields", "needles"),
    [
        ("owner:ref[user]", ["unknown type 'ref[user]'", "ref[Model]"]),
        ("tags:list[int]", ["unknown type 'list[int]'", "list[str]"]),
        ("owner:ref[User],owner_id:int", ["field 'owner_id' is repeated"]),
        ("boss:ref[Item]", ["a reference of Item to itself is not supported"]),
    ],
)
def test_bad_new_field_kinds(fields: str, needles: list[str]) -> None:
    assert_error(render_error(f"fields={fields}"), "'fields'", *needles)


def test_unique_skips_optional_and_non_key_fields() -> None:
    data = render_json("fields=nick:str?,tags:list[str],title:str")
    assert data["params"]["unique"] == "title"  # the first required str field
    assert_error(render_error("fields=nick:str?,title:str", "unique=nick"), "'unique'")


def test_person_pluralises_to_people() -> None:
    assert pluralize("person") == "people"
    assert pluralize("sales_person") == "sales_people"
    assert pluralize("child") == "children"
    assert pluralize("order_line") == "order_lines"
    assert singular("people") == "person"
    assert singular("People") == "Person"
    params = render_json("resource=Person")["params"]
    assert (params["plural"], params["table"], params["prefix"]) == ("people", "people", "/people")
