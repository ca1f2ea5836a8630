"""A pack is data from anyone's repository: it must not run code, hang, or exhaust memory.

Every check that could hang on a regression runs ``bap`` in a subprocess with a timeout, so a
broken guard fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_pack

from backend_patterns.errors import PackError, TemplateError
from backend_patterns.pack import load_pack
from backend_patterns.pack._yaml import MAX_BYTES, load_with_lines
from backend_patterns.render import render
from backend_patterns.render._jinja import MAX_OUTPUT, MAX_RANGE
from backend_patterns.triggers import Compiled
from backend_patterns.triggers._regex import catastrophic

BAP = str(Path(sys.executable).parent / "bap")
EVIL = "(a+)+$"
HOSTILE_INPUT = "a" * 40 + "!"  # 26 characters took 16.7 s on Python's re


def bap(
    *args: str, pack: Path | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"BAP_PACK": str(pack)} if pack else {})}
    return subprocess.run(
        [BAP, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        input=stdin,
        cwd=cwd,
        check=False,
    )


def add_rule(pack: Path, text: str) -> None:
    triggers = pack / "triggers.yaml"
    body = triggers.read_text(encoding="utf-8")
    assert "\nrules:\n" in body
    triggers.write_text(body.replace("\nrules:\n", "\nrules:\n" + text, 1), encoding="utf-8")


def line_of(pack: Path, needle: str) -> int:
    lines = (pack / "triggers.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# ---- regexes -------------------------------------------------------------------------------

EVIL_RULES = f"""\
  - id: evil.intent
    pattern: crud_endpoint
    kind: intent
    any: ['{EVIL}']
  - id: evil.code
    pattern: crud_endpoint
    kind: code
    any: ['{EVIL}']
  - id: evil.negative
    pattern: "*"
    kind: negative
    context: code
    effect: lower
    weight: 0.1
    any: ['{EVIL}']
  - id: evil.task-negative
    pattern: "*"
    kind: negative
    effect: lower
    weight: 0.1
    any: ['{EVIL}']
"""


@pytest.fixture
def evil_pack(tmp_path: Path) -> Path:
    pack = copy_pack(tmp_path / "pack")
    add_rule(pack, EVIL_RULES)
    return pack


def test_nested_repeats_run_in_linear_time_on_re2(evil_pack: Path, tmp_path: Path) -> None:
    assert bap("validate", pack=evil_pack).returncode == 0  # RE2 runs them safely
    code = tmp_path / "code.py"
    code.write_text(HOSTILE_INPUT * 1000, encoding="utf-8")  # long: the windowed search
    start = time.perf_counter()
    for args in (
        ["suggest", "--json", HOSTILE_INPUT],
        ["suggest", "--json", HOSTILE_INPUT, "--code", str(code)],
        ["explain", HOSTILE_INPUT, "--code", str(code)],
    ):
        out = bap(*args, pack=evil_pack)
        assert out.returncode == 0, out.stderr
    assert time.perf_counter() - start < 20


def test_nested_repeats_fire_where_they_match(evil_pack: Path) -> None:
    out = bap("explain", "create crud endpoints for " + "a" * 40, pack=evil_pack)
    assert out.returncode == 0, out.stderr
    assert "evil.intent" in out.stdout


def test_nested_repeats_cannot_hang_the_prompt_hook(evil_pack: Path, tmp_path: Path) -> None:
    payload = {
        "session_id": "s",
        "cwd": str(tmp_path),
        "hook_event_name": "UserPromptSubmit",
        "prompt": HOSTILE_INPUT,
    }
    out = bap("hook", "prompt", pack=evil_pack, stdin=json.dumps(payload), cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_a_look_around_regex_with_nested_repeats_is_refused(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path / "pack")
    add_rule(
        pack,
        "  - id: evil.fallback\n"
        "    pattern: crud_endpoint\n"
        "    kind: code\n"
        "    any: ['(?<!x)(\\w+\\s?)*$']\n",
    )
    out = bap("validate", pack=pack)
    assert out.returncode == 2
    message = out.stderr.strip()
    assert message.startswith("Error:"), message
    assert len(message.splitlines()) == 1
    assert f"triggers.yaml:{line_of(pack, '(?<!x)')}:" in message
    assert "[evil.fallback]" in message
    assert "exponential time" in message


@pytest.mark.parametrize(
    "source",
    [
        "(a+)+$",
        "(a|a)*$",
        "(\\w+\\s?)*$",
        "(a*)*b",
        "((ab)*)*c",
        "(x[^y]*)+z",
        "(?:[a-z]+|\\d+)+x",
    ],
)
def test_catastrophic_nesting_is_recognised(source: str) -> None:
    assert catastrophic(source)


@pytest.mark.parametrize(
    "source",
    [
        "(\\.get\\([^)\\n]*\\)|\\[[^\\]\\n]{1,60}\\])*",
        "(.*\\n){0,12}?",
        "(?:\\s*,\\s*\\w+)*",
        "(get|post|put)+",
        "\\b[a-z_]\\w*\\.[a-z_]\\w*\\[[^\\]]{1,40}\\]\\s*(=(?!=)|\\.append)",
    ],
)
def test_unambiguous_repeats_are_not_refused(source: str) -> None:
    assert catastrophic(source) is None


def test_bundled_look_around_regexes_still_fire() -> None:
    """The few bundled regexes RE2 cannot run (here ``=(?!=)``) still match, on ``re``."""
    from backend_patterns.match import suggest

    rules = Compiled(load_pack().compiled or {})
    source = next(
        s for r in rules.rules if r.id == "jsonb.subscript" for s in r.any if "(?!=)" in s
    )
    assert rules.program(source)[1] is False  # Python's re
    assert rules.search(source, "then order.extra['k'] = 1 happens") == "order.extra['k'] ="
    assert rules.search(source, "if order.extra['k'] == 1") is None
    top = suggest("order.extra['shipping'] = address is not saved", top=1)
    assert top
    assert top[0].pattern == "jsonb_mutation"


def test_re2_and_windows_find_the_same_match_in_long_code() -> None:
    rules = Compiled(load_pack().compiled or {})
    source = next(
        s
        for r in rules.rules
        if r.kind == "code"
        for s in r.any
        if s.startswith("(?-i:jsonb_set(?<!\\wjsonb_set)")
    )
    assert rules.program(source)[1] is True  # RE2, the look-behind turned back into \b
    for filler in ("x = 1\n", "é = 'ünï' * 2\n"):
        for needle, found in (("jsonb_set(", "jsonb_set"), ("xjsonb_set(", None)):
            code = filler * 3000 + f"q = {needle}col)\n" + filler * 3000
            assert len(code) > 20_000  # searched in windows around the literal
            assert rules.search(source, code, code.lower()) == found, (filler, needle)


def test_a_pattern_hint_with_nested_repeats_cannot_hang(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path / "pack")
    spec = pack / "patterns" / "crud_endpoint" / "pattern.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "'\\buuids?\\b'" in text
    spec.write_text(text.replace("'\\buuids?\\b'", f"'{EVIL}'"), encoding="utf-8")
    out = bap("suggest", "--json", "crud endpoints for invoices " + HOSTILE_INPUT, pack=pack)
    assert out.returncode == 0, out.stderr


# ---- YAML ----------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path / "pack")
    lines = ["lol0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    triggers = pack / "triggers.yaml"
    triggers.write_text("\n".join(lines) + "\n" + triggers.read_text(encoding="utf-8"))
    start = time.perf_counter()
    out = bap("validate", pack=pack)
    assert time.perf_counter() - start < 20
    assert out.returncode == 2
    message = out.stderr.strip()
    assert message.startswith("Error:"), message
    assert len(message.splitlines()) == 1, message
    assert "triggers.yaml" in message
    assert "alias" in message


def test_an_alias_inside_its_own_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    with pytest.raises(PackError, match="without end"):
        load_with_lines(path)


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("- expect: &e [crud_endpoint]\n- expect: *e\n", encoding="utf-8")
    data, lines = load_with_lines(path)
    assert data == [{"expect": ["crud_endpoint"]}, {"expect": ["crud_endpoint"]}]
    assert lines[(1,)] == 2


def test_an_oversized_triggers_file_is_refused_unread(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path / "pack")
    triggers = pack / "triggers.yaml"
    with triggers.open("a", encoding="utf-8") as f:
        f.write(("# padding\n" * 1000) * (MAX_BYTES // 10_000 + 1))
    out = bap("validate", pack=pack)
    assert out.returncode == 2
    message = out.stderr.strip()
    assert message.startswith("Error:"), message
    assert len(message.splitlines()) == 1, message
    assert "triggers.yaml" in message
    assert "at most" in message


# ---- templates -----------------------------------------------------------------------------


def hostile_pack(tmp_path: Path, template: str) -> Path:
    pack = copy_pack(tmp_path / "pack")
    (pack / "patterns" / "crud_endpoint" / "app.py.j2").write_text(template, encoding="utf-8")
    return pack


ESCAPE = "{{ cycler.__init__.__globals__.os.system('touch %s') }}\n"


def test_a_template_cannot_run_code_through_bap_render(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    pack = hostile_pack(tmp_path, ESCAPE % marker)
    out_dir = tmp_path / "out"
    result = bap("render", "crud_endpoint", "--out", str(out_dir), pack=pack)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith("Error:"), message
    assert "app.py.j2" in message
    assert not marker.exists()
    assert not out_dir.exists() or not any(out_dir.rglob("*"))


def test_a_template_cannot_run_code_through_render(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    pack = load_pack(hostile_pack(tmp_path, ESCAPE % marker))
    with pytest.raises(TemplateError, match=r"unsafe|undefined"):
        render("crud_endpoint", pack=pack)
    assert not marker.exists()


def test_templates_cannot_mutate_what_they_are_given(tmp_path: Path) -> None:
    pack = load_pack(hostile_pack(tmp_path, "{% set _ = fields.append(1) %}\n"))
    with pytest.raises(TemplateError, match="unsafe"):
        render("crud_endpoint", pack=pack)


def test_a_huge_range_is_an_error_at_once(tmp_path: Path) -> None:
    pack = hostile_pack(tmp_path, "{% for i in range(10**9) %}{{ i }}{% endfor %}\n")
    start = time.perf_counter()
    result = bap("render", "crud_endpoint", "--out", str(tmp_path / "out"), pack=pack)
    assert time.perf_counter() - start < 20
    assert result.returncode == 2
    assert result.stderr.startswith("Error:"), result.stderr
    assert "range()" in result.stderr
    assert f"{MAX_RANGE:,}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_range_within_the_limit_renders(tmp_path: Path) -> None:
    pack = load_pack(hostile_pack(tmp_path, "{{ range(3) | list | length }}\n"))
    files = {f.path: f.content for f in render("crud_endpoint", pack=pack)}
    assert files["app.py"] == "3\n"


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(5000) %}{{ 'x' * 9000 }}{% endfor %}\n",  # grows past the cap
        "{{ 'x' * 10**10 }}\n",  # one huge string, refused before it is made
        "{{ 7 ** 100000000 }}\n",  # a number too long to compute
    ],
)
def test_output_past_the_cap_is_an_error(tmp_path: Path, template: str) -> None:
    pack = hostile_pack(tmp_path, template)
    start = time.perf_counter()
    result = bap("render", "crud_endpoint", "--out", str(tmp_path / "out"), pack=pack)
    assert time.perf_counter() - start < 20
    assert result.returncode == 2
    assert result.stderr.startswith("Error:"), result.stderr
    assert "app.py.j2" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_output_cap_names_its_limit(tmp_path: Path) -> None:
    template = "{% for i in range(5000) %}{{ 'x' * 9000 }}{% endfor %}\n"
    pack = load_pack(hostile_pack(tmp_path, template))
    with pytest.raises(TemplateError, match=f"more than {MAX_OUTPUT:,} characters"):
        render("crud_endpoint", pack=pack)
