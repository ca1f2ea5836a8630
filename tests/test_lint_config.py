"""``lint.config``: the ``[tool.bap.lint]`` table, found by walking up to the nearest
pyproject.toml that has one, read as plain data, and refused in one line when malformed; and
``bap check`` honouring it, with the flags overriding it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backend_patterns.errors import LintConfigError, UsageError
from backend_patterns.lint.config import LintConfig, find_config, load_config, start_dir

BAP = str(Path(sys.executable).parent / "bap")
USE = """\
async def tag(session, agent: "Agent"):
    agent.agent_metadata["k"] = 1
    await session.commit()
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def bap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [BAP, "check", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )


def test_no_table_gives_the_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "bap-user"\n')
    config = load_config(tmp_path)
    assert config == LintConfig()
    assert config.select is None
    assert config.excluder()(tmp_path / "x.py") is False


def test_the_full_table(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        "[tool.bap.lint]\n"
        'select = ["bap"]\n'
        'ignore = ["BAP001"]\n'
        'json-attrs = ["Agent.agent_metadata"]\n'
        'exclude = ["migrations"]\n',
    )
    config = load_config(tmp_path / "app")
    assert config == LintConfig(
        path=pyproject.absolute(),
        select=("BAP",),
        ignore=("BAP001",),
        json_attrs=("Agent.agent_metadata",),
        exclude=("migrations",),
    )
    assert config.root == tmp_path.absolute()
    assert config.excluder()(tmp_path / "migrations" / "v1.py")


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", '[tool.bap.lint]\nselect = ["BAP001"]\n')
    inner = write(tmp_path / "a" / "pyproject.toml", '[tool.bap.lint]\nignore = ["BAP"]\n')
    write(tmp_path / "a" / "b" / "pyproject.toml", "[tool.ruff]\nline-length = 99 # bap\n")
    write(tmp_path / "a" / "b" / "c" / "pyproject.toml", "not toml at all [")  # not ours
    found = find_config(tmp_path / "a" / "b" / "c")
    assert found is not None
    assert found[0] == inner.absolute()
    assert load_config(tmp_path / "a" / "b").ignore == ("BAP",)
    assert load_config(tmp_path / "other").path == outer.absolute()


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        (
            'selct = ["BAP"]',
            "selct",
            "unknown key (known: select, ignore, json-attrs, exclude, max-file-bytes).",
        ),
        ('select = "BAP001"', "select", "expected an array of strings, got a string."),
        (
            'ignore = ["BAP001", 1]',
            "ignore",
            "expected an array of strings; item 2 is an integer.",
        ),
        ("exclude = {a = 1}", "exclude", "expected an array of strings, got a table."),
        ('select = ["BAP01"]', "select", "unknown rule code 'BAP01' (rules: BAP001)."),
        ('ignore = ["ZZZ"]', "ignore", "unknown rule code 'ZZZ' (rules: BAP001)."),
        ('json-attrs = ["agent_metadata"]', "json-attrs", "got 'agent_metadata'."),
        ("json-attrs = [true]", "json-attrs", "item 1 is a boolean."),
    ],
)
def test_a_malformed_table_names_the_file_and_the_key(
    tmp_path: Path, toml: str, key: str, message: str
) -> None:
    pyproject = write(tmp_path / "pyproject.toml", f"[tool.bap.lint]\n{toml}\n")
    with pytest.raises(LintConfigError) as info:
        load_config(tmp_path)
    exc = info.value
    assert isinstance(exc, UsageError)
    assert (exc.path, exc.key) == (str(pyproject.absolute()), key)
    assert exc.describe().startswith(f"{pyproject.absolute()}: [tool.bap.lint] {key}: ")
    assert message in exc.describe()
    assert "\n" not in exc.describe()
    assert "--" not in exc.describe()


def test_a_close_key_is_suggested(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.bap.lint]\njson_attrs = ["A.b"]\n')
    with pytest.raises(LintConfigError, match=r"Did you mean 'json-attrs'\?$"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.bap.lint\n", "not valid TOML ("),
        ("[tool]\nbap = 3\n", "[tool.bap] is an integer, not a table."),
        ("[tool.bap]\nlint = [1]\n", "[tool.bap.lint] is an array, not a table."),
    ],
)
def test_a_broken_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    pyproject = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(LintConfigError) as info:
        load_config(tmp_path)
    assert info.value.key is None
    assert info.value.describe().startswith(f"{pyproject.absolute()}: {message}")


def test_start_dir_is_the_folder_the_paths_share(tmp_path: Path) -> None:
    a = write(tmp_path / "p" / "a" / "x.py", "")
    b = write(tmp_path / "p" / "b" / "y.py", "")
    assert start_dir([str(a), str(b)]) == (tmp_path / "p").absolute()
    assert start_dir([str(a)]) == a.parent.absolute()
    assert start_dir([str(tmp_path / "p")]) == (tmp_path / "p").absolute()
    assert start_dir([]) == Path.cwd()


# --- bap check with a [tool.bap.lint] table ----------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / "app" / "service.py", USE)
    write(tmp_path / "migrations" / "v1.py", USE)
    return tmp_path


def test_cli_reads_json_attrs_and_exclude(project: Path) -> None:
    assert bap(cwd=project).returncode == 0  # no model: nothing to report
    write(
        project / "pyproject.toml",
        '[tool.bap.lint]\njson-attrs = ["Agent.agent_metadata"]\nexclude = ["migrations"]\n',
    )
    result = bap("--format", "json", cwd=project)
    assert result.returncode == 1, result.stderr
    assert [f["path"] for f in json.loads(result.stdout)] == ["app/service.py"]
    # excluded even when named, so a pre-commit hook that passes file names honours it
    assert bap("migrations/v1.py", cwd=project).returncode == 0
    # the config of the project applies when checking from elsewhere
    assert bap(str(project / "app"), cwd=project.parent).returncode == 1


def test_cli_flags_override_the_table(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.bap.lint]\njson-attrs = ["Agent.agent_metadata"]\nselect = []\n',
    )
    result = bap(cwd=project)
    assert (result.returncode, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr == "warning: no rule is selected; nothing was checked\n"
    assert bap("--select", "BAP", cwd=project).returncode == 1  # --select replaces select
    write(
        project / "pyproject.toml",
        '[tool.bap.lint]\njson-attrs = ["Agent.agent_metadata"]\nignore = ["BAP001"]\n',
    )
    assert bap(cwd=project).returncode == 0
    assert bap("--select", "BAP", cwd=project).returncode == 0  # the ignore still applies
    assert bap("--select", "BAP001", cwd=project).returncode == 0  # a tie: ignore wins
    write(project / "pyproject.toml", '[tool.bap.lint]\nselect = ["BAP001"]\n')
    result = bap("--ignore", "BAP001", "--json-attr", "Agent.agent_metadata", cwd=project)
    assert result.returncode == 0  # --ignore adds to the table


@pytest.mark.parametrize(
    "toml", ['select = ["BAP01"]', "ignore = 1", 'unknown = "x"', "[[[", 'json-attrs = ["x"]']
)
def test_cli_malformed_table_is_one_error_line(project: Path, toml: str) -> None:
    write(project / "pyproject.toml", f"[tool.bap.lint]\n{toml}\n")
    result = bap(cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {project / 'pyproject.toml'}: ")
    assert "Traceback" not in result.stderr


def test_the_readme_example_is_a_valid_table(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    (block,) = re.findall(r"```toml\n(\[tool\.bap\.lint\]\n.*?)```", readme, re.DOTALL)
    write(tmp_path / "pyproject.toml", block)
    config = load_config(tmp_path)
    assert config.select == ("BAP",)
    assert config.json_attrs == ("Agent.agent_metadata",)
    assert config.excluder()(tmp_path / "app" / "legacy" / "x.py")


def test_max_file_bytes(tmp_path: Path) -> None:
    from backend_patterns.errors import LintConfigError
    from backend_patterns.lint.config import LintConfig, load_config

    assert LintConfig().max_file_bytes == 2 * 1024 * 1024
    (tmp_path / "pyproject.toml").write_text("[tool.bap.lint]\nmax-file-bytes = 1000\n")
    assert load_config(tmp_path).max_file_bytes == 1000
    for bad in ("0", "-1", '"2MB"', "true", "1.5"):
        (tmp_path / "pyproject.toml").write_text(f"[tool.bap.lint]\nmax-file-bytes = {bad}\n")
        with pytest.raises(LintConfigError, match="max-file-bytes: expected a positive integer"):
            load_config(tmp_path)
