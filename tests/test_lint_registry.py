"""``lint.registry``: registering rules, looking them up, and selecting them the way ruff does."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

import pytest

from backend_patterns.errors import UnknownRuleError, UsageError
from backend_patterns.lint import registry
from backend_patterns.lint.registry import Rule, Settings, SourceFile, Violation

DOC = "## What it does\n\nx\n\n## Why is this bad?\n\ny\n"


def _nothing(sources: Sequence[SourceFile], settings: Settings) -> Iterator[Violation]:
    return iter(())


def rule(code: str, name: str | None = None) -> Rule:
    return Rule(code, name or f"toy-{code.lower()}", "a toy", DOC, _nothing)


def codes(rules: Sequence[Rule]) -> list[str]:
    return [r.code for r in rules]


@pytest.fixture
def toys() -> Iterator[None]:
    """BAP001 plus BAP002, BAP010 and XYZ100 for the length of a test."""
    with registry.registered(rule("BAP002"), rule("BAP010"), rule("XYZ100")):
        yield


def test_bundled_rules_are_registered() -> None:
    bap001 = registry.get("BAP001")
    assert bap001.name == "jsonb-in-place-mutation"
    assert registry.RULES["BAP001"] is bap001
    assert codes(registry.all_rules()) == ["BAP001"]
    assert bap001.help_uri == "docs/rules/BAP001.md"


def test_registry_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        registry.RULES["BAP002"] = rule("BAP002")  # type: ignore[index]


def test_registered_adds_for_the_block_only_even_when_it_fails(toys: None) -> None:
    assert codes(registry.all_rules()) == ["BAP001", "BAP002", "BAP010", "XYZ100"]
    inside = []

    def fail_inside() -> None:
        with registry.registered(rule("BAP777")):
            inside.append("BAP777" in registry.RULES)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert inside == [True]
    assert "BAP777" not in registry.RULES


def test_registered_undoes_a_partial_registration() -> None:
    with (
        pytest.raises(ValueError, match="already registered"),
        registry.registered(rule("BAP555"), rule("BAP001", "other-name")),
    ):
        pass
    assert codes(registry.all_rules()) == ["BAP001"]


def test_register_and_unregister() -> None:
    toy = registry.register(rule("BAP321"))
    try:
        assert registry.get("BAP321") is toy
    finally:
        registry.unregister("BAP321")
    with pytest.raises(UnknownRuleError):
        registry.get("BAP321")


@pytest.mark.parametrize(
    ("code", "name", "error"),
    [
        ("BAP001", "another-name", "code BAP001 is already registered"),
        ("BAP002", "jsonb-in-place-mutation", "name jsonb-in-place-mutation is already"),
        ("bap002", "x", "letters then digits"),
        ("BAP", "x", "letters then digits"),
        ("002", "x", "letters then digits"),
        ("BAP002", "Bad_Name", "kebab-case"),
        ("BAP002", "trailing-", "kebab-case"),
    ],
)
def test_register_refuses_malformed_or_taken_rules(code: str, name: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        registry.register(rule(code, name))
    assert codes(registry.all_rules()) == ["BAP001"]


def test_get_unknown_code_is_a_usage_error_with_a_guess() -> None:
    with pytest.raises(UnknownRuleError) as info:
        registry.get("BAP01")
    exc = info.value
    assert isinstance(exc, UsageError)
    assert (exc.code, exc.known, exc.guess) == ("BAP01", ["BAP001"], "BAP001")
    assert exc.describe() == "unknown rule code 'BAP01' (rules: BAP001). Did you mean 'BAP001'?"
    assert "--" not in exc.describe()  # the engine names no command-line flag


def test_no_guess_for_a_code_nothing_like_a_rule() -> None:
    with pytest.raises(UnknownRuleError) as info:
        registry.select(["QQQ"])
    assert info.value.guess is None
    assert info.value.describe() == "unknown rule code 'QQQ' (rules: BAP001)."


def test_select_defaults_to_every_rule(toys: None) -> None:
    assert codes(registry.select()) == ["BAP001", "BAP002", "BAP010", "XYZ100"]
    assert codes(registry.select(["ALL"])) == codes(registry.select())
    assert registry.select([]) == ()


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (["BAP"], [], ["BAP001", "BAP002", "BAP010"]),
        (["BAP00"], [], ["BAP001", "BAP002"]),
        (["bap01"], [], ["BAP010"]),  # case does not matter
        ([" BAP002 "], [], ["BAP002"]),
        (["XYZ", "BAP010"], [], ["BAP010", "XYZ100"]),
        (None, ["BAP"], ["XYZ100"]),
        (["BAP"], ["BAP001"], ["BAP002", "BAP010"]),  # the more specific ignore wins
        (["BAP001"], ["BAP"], ["BAP001"]),  # the more specific select wins
        (["BAP001", "BAP002"], ["BAP00"], ["BAP001", "BAP002"]),
        (["BAP0"], ["BAP0"], []),  # a tie: ignore wins
        (["ALL"], ["ALL"], []),
        (["BAP001"], ["ALL"], ["BAP001"]),
    ],
)
def test_select_and_ignore_by_specificity(
    toys: None, select: list[str] | None, ignore: list[str], expected: list[str]
) -> None:
    assert codes(registry.select(select, ignore)) == expected


@pytest.mark.parametrize(("select", "ignore"), [(["BAP01"], []), (None, ["BAP2"]), ([""], [])])
def test_select_refuses_codes_no_rule_has(select: list[str] | None, ignore: list[str]) -> None:
    with pytest.raises(UnknownRuleError):
        registry.select(select, ignore)


def test_check_selector_normalises() -> None:
    assert registry.check_selector(" bap0 ") == "BAP0"
    assert registry.check_selector("all") == "ALL"


def test_sections_skip_headings_inside_code_blocks() -> None:
    doc = "## What it does\n\nA.\n\n## Example\n\n```python\n## not a heading\nx = 1\n```\n"
    toy = Rule("BAP002", "toy", "a toy", doc, _nothing)
    assert toy.sections() == {
        "What it does": "A.",
        "Example": "```python\n## not a heading\nx = 1\n```",
    }


def test_source_file_columns_count_characters() -> None:
    text = "é = 1; print(é)\n"
    source = SourceFile("x.py", text, ast.parse(text))
    call = next(n for n in ast.walk(source.tree) if isinstance(n, ast.Call))
    assert source.violation(call, "m", "f") == Violation("x.py", 1, 8, "m", "f")
    assert source.column(99, 3) == 1  # a line past the end: the first column
