"""Loading and validating packs: the bundled one, user packs, and every way a pack can be bad."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_pack

from backend_patterns.errors import PackError, UnknownPatternError
from backend_patterns.pack import bundled_pack_dir, load_pack

BAP = str(Path(sys.executable).parent / "bap")
ROOT = Path(bundled_pack_dir())


def bap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAP, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled pack."""
    return copy_pack(tmp_path / "pack")


def test_bundled_pack_has_the_four_patterns() -> None:
    pack = load_pack()
    assert set(pack.patterns) == {
        "crud_endpoint",
        "service_layer",
        "websocket_handler",
        "jsonb_mutation",
    }
    assert pack.pattern("crud_endpoint").description == "CRUD endpoint template"
    assert pack.skill_path.is_file()
    selection = {row["task"]: row["pattern"] for row in pack.triggers["selection"]}
    assert selection == {
        "New endpoint": "crud_endpoint",
        "Business logic": "service_layer",
        "Real-time features": "websocket_handler",
        "JSONB fields": "jsonb_mutation",
    }


def test_unknown_pattern_suggests_the_closest() -> None:
    with pytest.raises(UnknownPatternError) as info:
        load_pack().pattern("crud_endpont")
    assert "Did you mean 'crud_endpoint'?" in info.value.describe()


def test_cache_follows_the_content(
    pack_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = load_pack(pack_copy)
    assert list((tmp_path / "cache").rglob("*.marshal")), "the parsed pack is cached"
    triggers = pack_copy / "triggers.yaml"
    triggers.write_text(triggers.read_text().replace("threshold: 0.5", "threshold: 0.75"))
    second = load_pack(pack_copy)
    assert first.compiled["threshold"] == 0.5
    assert second.compiled["threshold"] == 0.75


def test_env_var_selects_a_user_pack(pack_copy: Path) -> None:
    triggers = pack_copy / "triggers.yaml"
    triggers.write_text(
        triggers.read_text().replace(
            "description: WebSocket endpoint", "description: Team socket recipe"
        )
    )
    out = bap(
        "suggest",
        "--json",
        "add a websocket endpoint",
        env={"BAP_PACK": str(pack_copy), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert out.returncode == 0, out.stderr
    assert "Team socket recipe" in out.stdout


def _break(pack: Path, old: str, new: str) -> None:
    triggers = pack / "triggers.yaml"
    text = triggers.read_text()
    assert old in text
    triggers.write_text(text.replace(old, new, 1))


def _line_of(pack: Path, needle: str) -> int:
    lines = (pack / "triggers.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def _validate_error(pack: Path) -> str:
    out = bap("validate", "--pack", str(pack))
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.startswith("Error: "), out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    return out.stderr.strip()


def test_validate_accepts_the_bundled_pack() -> None:
    out = bap("validate")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok: ")


def test_malformed_yaml_names_file_and_line(pack_copy: Path) -> None:
    _break(pack_copy, "  threshold: 0.5", "  threshold: [0.5")
    message = _validate_error(pack_copy)
    assert "triggers.yaml:" in message
    assert "invalid YAML" in message


def test_unknown_key_offers_did_you_mean(pack_copy: Path) -> None:
    _break(pack_copy, "    kind: keyword\n    weight: 0.85", "    kind: keyword\n    wieght: 0.85")
    line = _line_of(pack_copy, "wieght:")
    message = _validate_error(pack_copy)
    assert f"triggers.yaml:{line}:" in message
    assert "[ws.websocket]" in message
    assert "Did you mean 'weight'?" in message


def test_bad_regex_is_named_by_its_rule(pack_copy: Path) -> None:
    _break(pack_copy, "any: ['@\\w+\\.websocket\\(',", "any: ['@\\w+\\.websocket\\((',")
    message = _validate_error(pack_copy)
    assert "[ws.code]" in message
    assert "does not compile" in message


def test_double_quoted_regex_escape_is_caught(pack_copy: Path) -> None:
    _break(pack_copy, "'\\bsomeone is typing\\b'", '"\\bsomeone is typing\\b"')
    message = _validate_error(pack_copy)
    assert "[ws.push-to-audience]" in message
    assert "single quotes" in message


def test_unknown_vocabulary_group(pack_copy: Path) -> None:
    _break(pack_copy, 'all: ["@immediacy", "@deliver"]', 'all: ["@imediacy", "@deliver"]')
    message = _validate_error(pack_copy)
    assert "[ws.deliver-now]" in message
    assert "Did you mean '@immediacy'?" in message


def test_unknown_pattern_in_a_rule(pack_copy: Path) -> None:
    _break(
        pack_copy,
        "    pattern: websocket_handler\n    kind: keyword\n    weight: 0.85",
        "    pattern: websocket_handlr\n    kind: keyword\n    weight: 0.85",
    )
    message = _validate_error(pack_copy)
    assert "Did you mean 'websocket_handler'?" in message


def test_missing_pattern_file(pack_copy: Path) -> None:
    shutil.rmtree(pack_copy / "patterns" / "jsonb_mutation")
    message = _validate_error(pack_copy)
    assert "jsonb_mutation" in message
    assert "missing" in message


def test_missing_template_file(pack_copy: Path) -> None:
    spec = load_pack(pack_copy).pattern("crud_endpoint")
    (pack_copy / "patterns" / "crud_endpoint" / spec.files[0].template).unlink()
    message = _validate_error(pack_copy)
    assert "not found" in message
    assert "pattern.yaml:" in message


def test_duplicate_rule_id(pack_copy: Path) -> None:
    _break(pack_copy, "- id: ws.two-way", "- id: ws.websocket")
    assert "duplicate rule id" in _validate_error(pack_copy)


def test_not_a_pack_folder(tmp_path: Path) -> None:
    message = _validate_error(tmp_path)
    assert "not a pack" in message


def test_load_pack_raises_pack_error(pack_copy: Path) -> None:
    _break(pack_copy, "version: 1", "version: 7")
    with pytest.raises(PackError) as info:
        load_pack(pack_copy, cache=False)
    assert info.value.line == _line_of(pack_copy, "version: 7")


def test_bad_regex_in_a_large_pack(tmp_path: Path) -> None:
    """Large packs parse their regexes in two processes; errors still name the rule."""
    (tmp_path / "patterns" / "demo").mkdir(parents=True)
    (tmp_path / "patterns" / "demo" / "pattern.yaml").write_text(
        "params: []\nfiles:\n  - {path: a.py, template: a.py.j2}\n"
    )
    (tmp_path / "patterns" / "demo" / "a.py.j2").write_text("x = 1\n")
    rules = [
        f"  - {{id: r{i}, pattern: demo, kind: intent, any: ['\\\\bword{i}\\\\b']}}"
        for i in range(2100)
    ]
    rules[1500] = "  - {id: broken.one, pattern: demo, kind: intent, any: ['\\\\bzzz(unclosed']}"
    (tmp_path / "triggers.yaml").write_text(
        "version: 1\npatterns:\n  demo: {description: Demo}\nrules:\n" + "\n".join(rules) + "\n"
    )
    message = _validate_error(tmp_path)
    assert "[broken.one]" in message
    assert "does not compile" in message
    assert f"triggers.yaml:{1500 + 5}:" in message
