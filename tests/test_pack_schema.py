"""Pack files are checked by their schemas: every bad value is one ``Error:`` line with its file
and line, never a traceback, and a value the engine cannot use is refused, not ignored."""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_pack

from backend_patterns.errors import PackError
from backend_patterns.pack import load_pack


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return copy_pack(tmp_path / "pack")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _error(pack: Path) -> PackError:
    with pytest.raises(PackError) as info:
        load_pack(pack, cache=False)
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("threshold: 0.5", "threshold: [1]", "'threshold' must be a number from 0 to 1."),
        ("threshold: 0.5", "threshold: 7", "'threshold' must be a number from 0 to 1."),
        ("max_task_chars: 20000", "max_task_chars: abc", "'max_task_chars' must be a whole"),
        ("weight: 0.85", "weight: .nan", "'weight' must be a finite number, not nan."),
        ("weight: 0.85", "weight: true", "'weight' must be a number in (0, 1]."),
        ("weight: 0.85", "weight: .inf", "'weight' must be a finite number, not inf."),
        ("kind: keyword\n    weight: 0.85", "kind: keyword\n    min: 0", "'min' must be a whole"),
        ("version: 1", "version: 7", "'version' must be 1."),
    ],
)
def test_bad_settings_and_rule_values_are_refused(
    pack: Path, old: str, new: str, says: str
) -> None:
    triggers = pack / "triggers.yaml"
    _replace(triggers, old, new)
    error = _error(pack)
    assert says in error.describe()
    assert error.path == str(triggers)
    lines = triggers.read_text().splitlines()
    assert error.line is not None
    assert new.splitlines()[-1].strip() in lines[error.line - 1]


def test_a_rule_without_matchers_is_refused(pack: Path) -> None:
    _replace(pack / "triggers.yaml", "    any: [BAP001]\n", "")
    error = _error(pack)
    assert error.rule_id == "jsonb.lint-finding"
    assert "a rule needs 'any' or 'all'." in error.describe()


def test_a_finding_rule_takes_lint_codes(pack: Path) -> None:
    _replace(pack / "triggers.yaml", "any: [BAP001]", "any: [bap-one]")
    error = _error(pack)
    assert "'bap-one' is not a lint rule code" in error.describe()


def test_an_unknown_inference_list_offers_the_known_ones(pack: Path) -> None:
    _replace(pack / "triggers.yaml", "  not_files:", "  not_file:")
    error = _error(pack)
    assert "unknown key 'not_file' in inference." in error.describe()
    assert "Did you mean 'not_files'?" in error.describe()


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("    infer: entity", "    infer: entty", "an 'infer' hint is entity"),
        ("    infer: entity", "    infer: {when: '(unclosed', value: x}", "does not compile"),
        ("    kind: pascal\n", "    kind: pascall\n", "Did you mean 'pascal'?"),
        ("    kind: pascal\n", "    kind: pascal\n    helpp: x\n", "Did you mean 'help'?"),
    ],
)
def test_bad_pattern_files_are_refused(pack: Path, old: str, new: str, says: str) -> None:
    spec = pack / "patterns" / "crud_endpoint" / "pattern.yaml"
    _replace(spec, old, new)
    error = _error(pack)
    assert error.path == str(spec)
    assert says in error.describe()
    assert error.line is not None


def test_bad_values_reach_the_cli_as_one_error_line(pack: Path) -> None:
    _replace(pack / "triggers.yaml", "threshold: 0.5", "threshold: [1]")
    done = subprocess.run(
        [sys.executable, "-m", "backend_patterns", "validate", "--pack", str(pack)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def test_the_cache_holds_only_plain_data(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No compiled regex programs or bytes: nothing that depends on the interpreter's regex
    internals, so a cache read back by any Python means the same."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    load_pack(pack)
    (cached,) = (tmp_path / "cache").rglob("*.marshal")
    data = marshal.loads(cached.read_bytes())
    assert _plain(data)
    assert "programs" not in data["compiled"]
    assert data["compiled"]["literals"], "regex gates survive as plain strings"
