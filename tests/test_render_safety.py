"""Render safety on every output, in process: a path out of the folder is refused by
``render()`` itself, so ``bap render`` (stdout and ``--json``) and MCP ``render_pattern`` never
hand one to a client; ``write_files`` checks everything first and cleans up after a clash; the
200-character limit of text parameters."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from mcp import Client

from backend_patterns.errors import BapError, OutputExistsError, ParamError, UnsafePathError
from backend_patterns.mcp.server import build_server
from backend_patterns.pack import load_pack
from backend_patterns.program import main
from backend_patterns.render import RenderedFile, render, render_pattern, write_files

UNSAFE = ["../escape.py", "a/../../escape.py", "/tmp/bap-escape.py", "a\\\\b.py", "' '"]


def demo_pack(root: Path, path: str, params: str = "[]") -> Path:
    """A one-pattern pack ("demo") whose one file renders to ``path``."""
    (root / "patterns" / "demo").mkdir(parents=True)
    (root / "triggers.yaml").write_text(
        "version: 1\npatterns:\n  demo: {description: A demo}\nrules:\n"
        "  - {id: d, pattern: demo, kind: keyword, any: [demo]}\n"
    )
    (root / "patterns" / "demo" / "pattern.yaml").write_text(
        f"summary: demo\nparams: {params}\nfiles:\n  - {{path: {path}, template: x.j2}}\n"
    )
    (root / "patterns" / "demo" / "x.j2").write_text("x = {{ 1 }}\n")
    return root


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path", UNSAFE)
def test_render_refuses_a_path_out_of_the_folder(tmp_path: Path, path: str) -> None:
    pack = load_pack(demo_pack(tmp_path / "pack", path), cache=False)
    with pytest.raises(UnsafePathError, match="refusing to write outside the output folder"):
        render("demo", pack=pack)


def test_a_safe_path_is_normalised(tmp_path: Path) -> None:
    pack = load_pack(demo_pack(tmp_path / "pack", "'./pkg//x.py '"), cache=False)
    [rendered] = render("demo", pack=pack)
    assert (rendered.path, rendered.content) == ("pkg/x.py", "x = 1\n")


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_bap_render_prints_no_unsafe_path(tmp_path: Path, json_flag: list[str]) -> None:
    pack = demo_pack(tmp_path / "pack", "../escape.py")
    code, out, err = run("render", "demo", "--pack", str(pack), *json_flag)
    assert (code, out) == (2, "")
    assert err.startswith("Error: refusing to write outside the output folder: '../escape.py'")
    safe = demo_pack(tmp_path / "safe", "ok.py")
    code, out, err = run("render", "demo", "--pack", str(safe), *json_flag)
    assert (code, err) == (0, "")
    if json_flag:
        assert json.loads(out)["files"] == [{"path": "ok.py", "content": "x = 1\n"}]
    else:
        assert out == "x = 1\n"  # one file: no header


async def test_mcp_render_pattern_returns_no_unsafe_path(tmp_path: Path) -> None:
    pack = load_pack(demo_pack(tmp_path / "pack", "../escape.py"), cache=False)
    async with Client(build_server(pack)) as client:
        result = await client.call_tool("render_pattern", {"pattern": "demo"})
    assert result.is_error
    [content] = result.content
    assert content.text == (  # type: ignore[union-attr]
        "Error executing tool render_pattern: "
        "refusing to write outside the output folder: '../escape.py'."
    )
    assert result.structured_content is None


def test_a_parameter_cannot_steer_a_rendered_path_out(tmp_path: Path) -> None:
    params = "[{name: name, kind: text, default: ok}]"
    pack = load_pack(demo_pack(tmp_path / "pack", "'{{ name }}.py'", params), cache=False)
    with pytest.raises(UnsafePathError):
        render("demo", {"name": "../../evil"}, pack=pack)
    assert [f.path for f in render("demo", {"name": "sub/fine"}, pack=pack)] == ["sub/fine.py"]


# ---- write_files ----


def files(*paths: str) -> list[RenderedFile]:
    return [RenderedFile(p, f"# {p}\n") for p in paths]


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def test_write_files_writes_below_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = write_files(files("a.py", "pkg/sub/b.py"), out)
    assert written == [out.resolve() / "a.py", out.resolve() / "pkg" / "sub" / "b.py"]
    assert tree(out) == {"a.py": "# a.py\n", "pkg/sub/b.py": "# pkg/sub/b.py\n"}


def test_a_clash_mid_write_removes_what_this_call_created(tmp_path: Path) -> None:
    """The second "a.py" finds the name taken by the time it is placed (as a file created by
    someone else meanwhile would): the files this call created are removed, nothing is left."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("the user's\n")
    with pytest.raises(OutputExistsError, match=r"a\.py already exists; nothing was written"):
        write_files(files("b.py", "a.py", "./a.py"), out)
    assert tree(out) == {"keep.txt": "the user's\n"}
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # no temporary files either


def test_an_os_error_mid_write_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    long = "x" * 300 + ".py"
    with pytest.raises(BapError) as caught:
        write_files(files("a.py", long), out)
    assert str(caught.value) == f"cannot write {out.resolve() / long}: File name too long."
    assert tree(out) == {}


def test_everything_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.py").write_text("mine\n")
    with pytest.raises(OutputExistsError, match=r"b\.py already exists"):
        write_files(files("a.py", "b.py"), out)
    assert tree(out) == {"b.py": "mine\n"}
    (out / "dir.py").mkdir()
    with pytest.raises(BapError, match=r"dir\.py is a folder; nothing was written"):
        write_files(files("c.py", "dir.py"), out, force=True)
    (out / "pkg").write_text("a file\n")
    with pytest.raises(BapError, match="pkg is a file, not a folder; nothing was written"):
        write_files(files("c.py", "pkg/d.py"), out, force=True)
    (out / "link.py").symlink_to(out / "missing.py")  # a dangling link is never written through
    with pytest.raises(OutputExistsError, match="already exists"):
        write_files(files("c.py", "link.py"), out)
    assert not (out / "missing.py").exists()
    (out / "link.py").unlink()
    for bad in ("../up.py", "/abs.py", "", "a\0b.py", "a\\b.py"):
        with pytest.raises(UnsafePathError):
            write_files(files("c.py", bad), out)
    assert tree(out) == {"b.py": "mine\n", "pkg": "a file\n"}
    assert not (tmp_path / "up.py").exists()


def test_a_module_never_hides_a_package_of_its_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "app").mkdir(parents=True)
    with pytest.raises(BapError, match="would hide the package") as caught:
        write_files(files("app.py"), out, force=True)
    assert str(out.resolve() / "app") in str(caught.value)
    assert not (out / "app.py").exists()
    write_files(files("app.txt", "app/x.py"), out)  # not a module, or below the package
    assert tree(out) == {"app.txt": "# app.txt\n", "app/x.py": "# app/x.py\n"}


def test_force_overwrites_and_a_symlinked_folder_cannot_lead_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.py").write_text("old\n")
    write_files(files("a.py"), out, force=True)
    assert (out / "a.py").read_text() == "# a.py\n"
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / "sub").symlink_to(outside)
    with pytest.raises(UnsafePathError, match="refusing to write outside"):
        write_files(files("sub/x.py"), out, force=True)
    assert list(outside.iterdir()) == []
    (tmp_path / "file").write_text("")
    with pytest.raises(BapError, match="exists and is not a folder"):
        write_files(files("a.py"), tmp_path / "file")


# ---- the text parameter limit ----


def test_text_parameters_are_at_most_200_characters_on_one_line(tmp_path: Path) -> None:
    params = "[{name: title, kind: text, default: ok}]"
    pack = load_pack(demo_pack(tmp_path / "pack", "x.py", params), cache=False)
    assert render_pattern("demo", {"title": "t" * 200}, pack=pack).params == {"title": "t" * 200}
    for bad in ("t" * 201, "two\nlines", "tab\there"):
        with pytest.raises(ParamError, match="expected one short line of text") as caught:
            render_pattern("demo", {"title": bad}, pack=pack)
        assert caught.value.param == "title"
    assert render_pattern("demo", {"title": "  padded  "}, pack=pack).params["title"] == "padded"


# ---- rendering in process: roles, tests, targets, template errors ----


def roles_pack(root: Path, templates: dict[str, str] | None = None, params: str = "[]") -> Path:
    """A pattern "demo" with an app (standalone), a db (shared), a module and a test file."""
    (root / "patterns" / "demo").mkdir(parents=True)
    (root / "triggers.yaml").write_text(
        "version: 1\npatterns:\n  demo: {description: A demo}\nrules:\n"
        "  - {id: d, pattern: demo, kind: keyword, any: [demo]}\n"
    )
    (root / "patterns" / "demo" / "pattern.yaml").write_text(
        f"summary: demo\nparams: {params}\nfiles:\n"
        "  - {path: test_x.py, template: t.j2, role: tests, tests: true}\n"
        "  - {path: app.py, template: app.j2, role: app, standalone: true}\n"
        "  - {path: db.py, template: db.j2, role: db, shared: true}\n"
        "  - {path: 'pkg/{{ name }}.py', template: mod.j2, role: mod}\n"
    )
    sources = {
        "app.j2": "import {{ mod.mod }}\n",
        "db.j2": "Base = object\n",
        "mod.j2": "from {{ base.module }} import {{ base.name }}  # {{ standalone }}\n",
        "t.j2": "import {{ mod.mod }}\n",
        **(templates or {}),
    }
    for name, text in sources.items():
        (root / "patterns" / "demo" / name).write_text(text)
    return root


NAME = "[{name: name, kind: snake, default: things}]"


def test_rendered_files_carry_roles_and_tests_only_when_asked(tmp_path: Path) -> None:
    pack = load_pack(roles_pack(tmp_path / "pack", params=NAME), cache=False)
    rendering = render_pattern("demo", {"name": "orders"}, pack=pack)
    assert rendering.pattern == "demo"
    assert rendering.params == {"name": "orders"}
    assert [(f.path, f.role, f.tests) for f in rendering.files] == [
        ("app.py", "app", False),
        ("db.py", "db", False),
        ("pkg/orders.py", "mod", False),
    ]
    assert rendering.files[0].content == "import pkg.orders\n"
    assert rendering.files[2].content == "from db import Base  # True\n"
    with_tests = render("demo", pack=pack, with_tests=True)
    assert (with_tests[0].path, with_tests[0].tests) == ("test_x.py", True)
    assert [f.path for f in with_tests][1:] == ["app.py", "db.py", "pkg/things.py"]
    assert [f.path for f in render("demo", pack=pack)] == ["app.py", "db.py", "pkg/things.py"]


def test_a_target_places_each_role_and_reuses_what_the_project_has(tmp_path: Path) -> None:
    from backend_patterns.render import Ref, SessionRef, Target

    pack = load_pack(roles_pack(tmp_path / "pack", params=NAME), cache=False)
    session = SessionRef("app.deps", "SessionDep", provider=Ref("app.deps", "get_session"))
    paths = {"db": "src/app/db.py", "mod": "src/app/things.py", "tests": "tests/test_t.py"}
    target = Target(paths, Ref("app.db", "Base"), session, import_root="src")
    rendering = render_pattern("demo", pack=pack, target=target, with_tests=True)
    assert [(f.path, f.role) for f in rendering.files] == [
        ("tests/test_t.py", "tests"),
        ("src/app/db.py", "db"),
        ("src/app/things.py", "mod"),
    ]  # the standalone app is left out
    assert rendering.files[0].content == "import app.things\n"
    assert rendering.files[2].content == "from app.db import Base  # False\n"
    reuse = Target(
        paths, Ref("core.models", "Model"), session, import_root="src", existing=frozenset({"db"})
    )
    files = render_pattern("demo", pack=pack, target=reuse).files
    assert [(f.path, f.content) for f in files] == [
        ("src/app/things.py", "from core.models import Model  # False\n")
    ]
    lost = Target({"db": "src/app/db.py"}, Ref("app.db", "Base"), session)
    with pytest.raises(BapError, match="no place for the 'mod' file of demo"):
        render_pattern("demo", pack=pack, target=lost)
    out = Target({**paths, "mod": "../out.py"}, Ref("app.db", "Base"), session)
    with pytest.raises(UnsafePathError):
        render_pattern("demo", pack=pack, target=out)


def test_a_parameter_may_not_take_a_name_of_the_import_context(tmp_path: Path) -> None:
    params = "[{name: mod, kind: text, default: x}]"
    pack = load_pack(demo_pack(tmp_path / "pack", "x.py", params), cache=False)
    with pytest.raises(BapError, match=r"^pattern demo has a parameter named 'mod', a reserved"):
        render("demo", pack=pack)


def test_two_files_at_one_path_are_refused(tmp_path: Path) -> None:
    root = demo_pack(tmp_path / "pack", "a.py")
    yaml = root / "patterns" / "demo" / "pattern.yaml"
    yaml.write_text(yaml.read_text() + "  - {path: ./a.py, template: x.j2}\n")
    with pytest.raises(BapError, match=r"^pattern demo renders 'a\.py' twice"):
        render("demo", pack=load_pack(root, cache=False))


@pytest.mark.parametrize(
    ("template", "message", "line", "source"),
    [
        (
            "x = 1\ny = 2\nz = {{ 1 + }}\n",
            "unexpected 'end of print statement'",
            3,
            "z = {{ 1 + }}",
        ),
        ("x = 1\n{{ missing.attr }}\n", "'missing' is undefined", 2, "{{ missing.attr }}"),
        (
            "{% for i in range(1100) %}{{ 'x' * 1999 }}{% endfor %}\n",
            "the template renders more than 2,000,000 characters; nothing was written.",
            None,
            None,
        ),
        ("{% if true %}\nx\n", "Unexpected end of template.", 2, "x"),
        (
            "{{ 1 // 0 }}\nok\n",
            "ZeroDivisionError: integer division or modulo by zero",
            1,
            "{{ 1 // 0 }}",
        ),
        (
            "a = 1\nb = {{ 1 // 0 }}\n",
            "ZeroDivisionError: integer division or modulo by zero",
            2,
            "b = {{ 1 // 0 }}",
        ),
    ],
)
def test_a_template_error_names_the_file_the_line_and_its_source(
    tmp_path: Path, template: str, message: str, line: int, source: str
) -> None:
    from backend_patterns.errors import TemplateError

    root = demo_pack(tmp_path / "pack", "x.py")
    (root / "patterns" / "demo" / "x.j2").write_text(template)
    with pytest.raises(TemplateError) as caught:
        render("demo", pack=load_pack(root, cache=False))
    error = caught.value
    assert error.message.startswith(message)
    assert error.path == str(load_pack(root, cache=False).pattern("demo").directory / "x.j2")
    assert (error.line, error.source) == (line, source)


def test_a_failing_path_expression_names_the_error(tmp_path: Path) -> None:
    from backend_patterns.errors import TemplateError

    root = demo_pack(tmp_path / "pack", "'{{ 1 // 0 }}.py'")
    with pytest.raises(TemplateError) as caught:
        render("demo", pack=load_pack(root, cache=False))
    assert caught.value.message == (
        "in the path expression '{{ 1 // 0 }}.py': integer division or modulo by zero"
    )


def test_an_error_in_a_path_expression_points_at_pattern_yaml(tmp_path: Path) -> None:
    from backend_patterns.errors import TemplateError

    root = demo_pack(tmp_path / "pack", "'{{ nope.attr }}.py'")
    with pytest.raises(TemplateError) as caught:
        render("demo", pack=load_pack(root, cache=False))
    error = caught.value
    assert error.message == "in the path expression '{{ nope.attr }}.py': 'nope' is undefined"
    assert (
        Path(str(error.path)).resolve() == (root / "patterns" / "demo" / "pattern.yaml").resolve()
    )
    assert (error.line, error.source) == (None, None)
