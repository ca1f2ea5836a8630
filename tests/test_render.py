"""``bap render`` through the real command: stdout, --json, --out (atomic, no clobbering,
--force, no escaping the folder) and template errors that name the file and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

BAP = Path(sys.executable).parent / "bap"
CRUD_FILES = ["app.py", "db.py", "models.py", "schemas.py", "router.py"]


def bap(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BAP), *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def assert_error(result: subprocess.CompletedProcess[str], *needles: str) -> list[str]:
    """Exit 2, nothing on stdout, an ``Error:`` first line, never a traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines, "no error message"
    assert lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return lines


def rendered_json(*args: str) -> dict[str, Any]:
    result = bap("render", "crud_endpoint", "--json", *args)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_pack(root: Path, templates: dict[str, str], files: str, params: str = "[]") -> Path:
    """A one-pattern pack ("demo") with the given templates and `files:` list."""
    (root / "patterns" / "demo").mkdir(parents=True)
    (root / "triggers.yaml").write_text(
        textwrap.dedent("""\
        version: 1
        patterns:
          demo:
            description: A demo pattern
        rules:
          - id: demo.words
            pattern: demo
            kind: keyword
            any: [demo]
        """)
    )
    (root / "patterns" / "demo" / "pattern.yaml").write_text(
        f"summary: demo\nparams: {params}\nfiles: {files}\n"
    )
    for name, text in templates.items():
        (root / "patterns" / "demo" / name).write_text(text)
    return root


# ---- stdout and --json ----


def test_stdout_prints_every_file_with_a_header() -> None:
    result = bap("render", "crud_endpoint")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = rendered_json()
    expected = "".join(
        ("\n" if i else "") + f"# ---- {f['path']} ----\n" + f["content"]
        for i, f in enumerate(data["files"])
    )
    assert result.stdout == expected
    assert [f["path"] for f in data["files"]] == CRUD_FILES


def test_json_carries_the_resolved_params_and_the_files() -> None:
    data = rendered_json("--set", "resource=BlogPost", "--set", "id_type=uuid")
    assert data["pattern"] == "crud_endpoint"
    assert data["params"]["resource"] == "BlogPost"
    assert data["params"]["plural"] == "blog_posts"
    assert data["params"]["prefix"] == "/blog-posts"
    files = {f["path"]: f["content"] for f in data["files"]}
    assert set(files) == set(CRUD_FILES)
    assert "class BlogPost(Base):" in files["models.py"]
    assert "BlogPostId = Annotated[uuid.UUID, Path()]" in files["router.py"]


def test_with_tests_adds_the_test_module() -> None:
    paths = [f["path"] for f in rendered_json("--with-tests")["files"]]
    assert paths == [*CRUD_FILES, "test_items_api.py", "pytest.ini"]


def test_unknown_pattern_guesses() -> None:
    assert_error(
        bap("render", "crud_endpont"),
        "unknown pattern 'crud_endpont'",
        "Did you mean 'crud_endpoint'?",
    )


def test_unknown_option_is_an_error() -> None:
    assert_error(bap("render", "crud_endpoint", "--bogus"), "unrecognized arguments")


# ---- --out ----


def test_out_writes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "svc"
    result = bap("render", "crud_endpoint", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    wrote = [f"wrote {out / name}" for name in CRUD_FILES]
    assert lines[: len(wrote)] == wrote
    # then the next steps: how to run it (and what to install, see test_render_deps.py)
    assert lines[len(wrote) : len(wrote) + 2] == ["", "next steps:"]
    assert f"  run:     cd {out} && uvicorn app:app" in lines
    expected = {f["path"]: f["content"] for f in rendered_json()["files"]}
    assert tree(out) == expected  # exactly these files: no temporary files left behind
    mask = os.umask(0)
    os.umask(mask)
    for name in CRUD_FILES:
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~mask


def test_out_with_json_lists_what_was_written(tmp_path: Path) -> None:
    data = json.loads(bap("render", "crud_endpoint", "--out", str(tmp_path), "--json").stdout)
    assert data["written"] == [str(tmp_path / name) for name in CRUD_FILES]
    assert data["params"]["resource"] == "Item"


def test_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    assert bap("render", "crud_endpoint", "--out", str(tmp_path)).returncode == 0
    (tmp_path / "router.py").write_text("# mine\n")
    (tmp_path / "app.py").unlink()
    before = tree(tmp_path)
    lines = assert_error(
        bap("render", "crud_endpoint", "--out", str(tmp_path), "--set", "resource=Order"),
        str(tmp_path / "db.py"),
        "already exists",
        "--force",
    )
    assert len(lines) == 1
    assert tree(tmp_path) == before  # router.py untouched, the missing app.py not written


def test_force_overwrites(tmp_path: Path) -> None:
    assert bap("render", "crud_endpoint", "--out", str(tmp_path)).returncode == 0
    (tmp_path / "router.py").write_text("# mine\n")
    result = bap(
        "render", "crud_endpoint", "--out", str(tmp_path), "--force", "--set", "resource=Order"
    )
    assert result.returncode == 0, result.stderr
    assert "class Order(Base):" in (tmp_path / "models.py").read_text()
    assert "async def create_order(" in (tmp_path / "router.py").read_text()
    assert sorted(tree(tmp_path)) == sorted(CRUD_FILES)


def test_out_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert_error(bap("render", "crud_endpoint", "--out", str(target)), "not a folder")
    assert target.read_text() == "x"


def test_a_file_in_the_way_of_a_folder_is_an_error(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack", {"x.j2": "x = 1\n"}, "[{path: pkg/x.py, template: x.j2}]")
    out = tmp_path / "out"
    out.mkdir()
    (out / "pkg").write_text("in the way")
    assert_error(bap("render", "demo", "--pack", str(pack), "--out", str(out)), "not a folder")
    assert tree(out) == {"pkg": "in the way"}


# ---- paths that would escape the output folder ----


@pytest.mark.parametrize("path", ["../escape.py", "/tmp/bap-escape.py", "a/../../escape.py"])
def test_pack_paths_escaping_the_folder_are_refused(tmp_path: Path, path: str) -> None:
    pack = make_pack(
        tmp_path / "pack", {"x.j2": "x = 1\n"}, f"[{{path: '{path}', template: x.j2}}]"
    )
    out = tmp_path / "out"
    assert_error(
        bap("render", "demo", "--pack", str(pack), "--out", str(out)), "refusing to write outside"
    )
    assert not (tmp_path / "escape.py").exists()
    assert not Path("/tmp/bap-escape.py").exists()
    assert not out.exists() or tree(out) == {}


def test_a_parameter_cannot_steer_a_path_out(tmp_path: Path) -> None:
    pack = make_pack(
        tmp_path / "pack",
        {"x.j2": "x = 1\n"},
        "[{path: '{{ name }}.py', template: x.j2}]",
        params="[{name: name, kind: text, default: ok}]",
    )
    out = tmp_path / "out"
    assert_error(
        bap("render", "demo", "--pack", str(pack), "--out", str(out), "--set", "name=../../evil"),
        "refusing to write outside",
    )
    assert not (tmp_path / "evil.py").exists()
    assert bap("render", "demo", "--pack", str(pack), "--out", str(out)).returncode == 0
    assert tree(out) == {"ok.py": "x = 1\n"}


def test_a_symlink_cannot_lead_out(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack", {"x.j2": "x = 1\n"}, "[{path: sub/x.py, template: x.j2}]")
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(outside)
    assert_error(
        bap("render", "demo", "--pack", str(pack), "--out", str(out)), "refusing to write outside"
    )
    assert list(outside.iterdir()) == []


# ---- template errors name the file and line ----


def test_template_syntax_error_shows_file_line_and_source(tmp_path: Path) -> None:
    broken = "x = 1\ny = 2\nz = {{ 1 + }}\n"
    pack = make_pack(
        tmp_path / "pack", {"broken.py.j2": broken}, "[{path: x.py, template: broken.py.j2}]"
    )
    template = pack / "patterns" / "demo" / "broken.py.j2"
    lines = assert_error(bap("render", "demo", "--pack", str(pack)))
    assert lines[0].startswith(f'Error: File "{template}", line 3: ')
    assert lines[1].strip() == "z = {{ 1 + }}"


def test_unclosed_block_is_reported_where_it_ends(tmp_path: Path) -> None:
    pack = make_pack(
        tmp_path / "pack", {"t.j2": "{% if true %}\nx = 1\n"}, "[{path: x.py, template: t.j2}]"
    )
    lines = assert_error(bap("render", "demo", "--pack", str(pack)), 't.j2", line ')
    assert "endif" in lines[0]


def test_undefined_variable_shows_file_and_line(tmp_path: Path) -> None:
    pack = make_pack(
        tmp_path / "pack", {"t.j2": "a = 1\nb = {{ nope }}\n"}, "[{path: x.py, template: t.j2}]"
    )
    template = pack / "patterns" / "demo" / "t.j2"
    lines = assert_error(bap("render", "demo", "--pack", str(pack)), "'nope' is undefined")
    assert lines[0].startswith(f'Error: File "{template}", line 2: ')
    assert lines[1].strip() == "b = {{ nope }}"


def test_error_in_a_path_expression_points_at_pattern_yaml(tmp_path: Path) -> None:
    pack = make_pack(
        tmp_path / "pack", {"t.j2": "x = 1\n"}, "[{path: '{{ missing }}.py', template: t.j2}]"
    )
    assert_error(
        bap("render", "demo", "--pack", str(pack)),
        str(pack / "patterns" / "demo" / "pattern.yaml"),
        "path expression",
        "'missing' is undefined",
    )


def test_two_files_rendering_to_one_path_is_an_error(tmp_path: Path) -> None:
    pack = make_pack(
        tmp_path / "pack",
        {"t.j2": "x = 1\n"},
        "[{path: x.py, template: t.j2}, {path: ./x.py, template: t.j2}]",
    )
    assert_error(bap("render", "demo", "--pack", str(pack)), "'x.py' twice")
