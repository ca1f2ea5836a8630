"""Every kind of render parameter at its limits (``render/params.py``: ``convert``): what is
accepted and returned, and the exact error, with the parameter and the allowed values, for
what is not."""

from __future__ import annotations

from typing import Any

import pytest

from backend_patterns.errors import ParamError
from backend_patterns.pack import ParamSpec
from backend_patterns.render.params import convert

FIELDS = {"fields": [{"name": "title", "type": "str"}, {"name": "meta", "type": "dict"}]}


def spec(kind: str, **options: Any) -> ParamSpec:
    return ParamSpec(name="p", kind=kind, help="", **options)


def refused(param: ParamSpec, value: Any, context: Any = None) -> ParamError:
    with pytest.raises(ParamError) as caught:
        convert(param, "demo", value, context)
    assert caught.value.pattern == "demo"
    assert caught.value.param == "p"
    return caught.value


def why(param: ParamSpec, value: Any, shown: str, context: Any = None) -> str:
    """The reason ``value`` is refused; the message names the value as ``shown``."""
    message = refused(param, value, context).message
    head = f"bad value {shown!r} for 'p' of demo: "
    assert message.startswith(head), message
    assert message.endswith(".")
    return message[len(head) : -1]


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (spec("pascal"), "BlogPost", "BlogPost"),
        (spec("pascal"), "  BlogPost ", "BlogPost"),
        (spec("pascal"), "A" * 63, "A" * 63),
        (spec("pascal", max=5), "Abcde", "Abcde"),
        (spec("snake"), "blog_posts", "blog_posts"),
        (spec("snake", default=""), "", None),
        (spec("pascal", default=""), "  ", None),
        (spec("field"), "title", "title"),
        (spec("choice", choices=("int", "uuid")), "uuid", "uuid"),
        (spec("route"), "blog-posts", "/blog-posts"),
        (spec("route"), "/a/b_c/", "/a/b_c"),
        (spec("route"), "/", ""),
        (spec("route"), "", ""),
        (spec("int", min=1, max=10), " 7 ", 7),
        (spec("int", min=1, max=10), "1", 1),
        (spec("int", min=1, max=10), "10", 10),
        (spec("int"), "-5", -5),
        (spec("text"), "two words, one line", "two words, one line"),
        (spec("text"), "t" * 200, "t" * 200),
        (spec("text"), True, "true"),
        (spec("text"), False, "false"),
        (spec("text"), 12, "12"),
    ],
)
def test_accepted(param: ParamSpec, value: Any, expected: Any) -> None:
    assert convert(param, "demo", value, FIELDS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *((v, True) for v in ("true", "yes", "1", "on", "TRUE", "On", True)),
        *((v, False) for v in ("false", "no", "0", "off", "FALSE", "Off", False)),
    ],
)
def test_booleans(value: Any, expected: bool) -> None:
    assert convert(spec("bool"), "demo", value) is expected


@pytest.mark.parametrize(
    ("param", "value", "shown", "reason"),
    [
        (spec("pascal"), "blogPost", "blogPost", "expected a PascalCase name such as BlogPost"),
        (spec("pascal"), "None", "None", "expected a PascalCase name such as BlogPost"),
        (
            spec("pascal"),
            "Exception",
            "Exception",
            "it is a builtin or an imported library name; pick another",
        ),
        (spec("pascal"), "A" * 64, "A" * 64, "longer than 63 characters"),
        (spec("pascal", max=5), "Abcdef", "Abcdef", "longer than 5 characters"),
        (spec("snake"), "Blog", "Blog", "expected a snake_case name such as blog_posts"),
        (spec("snake"), "class", "class", "expected a snake_case name such as blog_posts"),
        (spec("snake"), "match", "match", "expected a snake_case name such as blog_posts"),
        (spec("snake", default="x"), "", "", "expected a snake_case name such as blog_posts"),
        (
            spec("snake", reserved=("admin", "root")),
            "admin",
            "admin",
            "it is reserved (avoid: admin, root)",
        ),
        (spec("route"), "Bad Route", "/Bad Route", "expected a route prefix such as /blog-posts"),
        (spec("route"), "X/", "/X", "expected a route prefix such as /blog-posts"),
        (spec("int", min=1, max=10), "x", "x", "expected a whole number"),
        (spec("int", min=1, max=10), "0", "0", "expected 1..10"),
        (spec("int", min=1, max=10), "11", "11", "expected 1..10"),
        (spec("int", min=1), "0", "0", "expected 1.."),
        (spec("int", max=3), "4", "4", "expected ..3"),
        (spec("bool"), "maybe", "maybe", "expected true or false"),
        (spec("text"), "t" * 201, "t" * 201, "expected one short line of text"),
        (spec("text"), "two\nlines", "two\nlines", "expected one short line of text"),
        (spec("text"), "a\x1fb", "a\x1fb", "expected one short line of text"),
    ],
)
def test_refused(param: ParamSpec, value: Any, shown: str, reason: str) -> None:
    assert why(param, value, shown, FIELDS) == reason


def test_a_choice_names_the_choices_and_a_guess() -> None:
    error = refused(spec("choice", choices=("int", "uuid")), "uid")
    assert error.message == "bad value 'uid' for 'p' of demo: choose from: int, uuid."
    assert error.allowed == ["int", "uuid"]
    assert error.hint == "Did you mean 'uuid'?"


def test_a_field_parameter_names_one_of_the_key_like_fields() -> None:
    error = refused(spec("field"), "meta", FIELDS)
    assert error.message == (
        "bad value 'meta' for 'p' of demo: expected one of the fields "
        "(choose from: title, or leave it empty)."
    )
    assert error.allowed == ["title"]
    two = {"fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "str"}]}
    assert "(choose from: a, b, or leave it empty)" in refused(spec("field"), "c", two).message
    assert "(choose from: none, or leave it empty)" in refused(spec("field"), "c").message


def test_a_fields_parameter_refuses_a_reserved_field_name() -> None:
    param = spec("fields", reserved=("mapped_column", "select"))
    error = refused(param, "title:str,mapped_column:str")
    assert error.message == (
        "bad value 'mapped_column' for 'p' of demo: it is reserved (avoid: mapped_column, select)."
    )
    assert [f["name"] for f in convert(param, "demo", "title:str")] == ["title"]
