"""``bap validate --strict``: a lean trigger file, audited on labelled cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from backend_patterns.match.audit import audit
from backend_patterns.pack import load_pack
from backend_patterns.pack._yaml import load_with_lines

BAP = str(Path(sys.executable).parent / "bap")
LONG = "\\b" + "a" * 210 + "\\b"
TRIGGERS = f"""\
version: 1
patterns:
  demo: {{description: Demo}}
vocabulary:
  things: [widget, widget, gizmo]
rules:
  - id: demo.words
    pattern: demo
    kind: keyword
    weight: 0.8
    any: [widget, widgets, rare thing, "@things"]
  - {{id: demo.regex, pattern: demo, kind: intent, weight: 0.6, any: ['\\bwidget\\b']}}
  - {{id: demo.copy, pattern: demo, kind: intent, weight: 0.6, any: ['\\bwidget\\b']}}
  - {{id: demo.long, pattern: demo, kind: intent, weight: 0.6, any: ['{LONG}']}}
"""
CASES = [
    {"task": "make a widget", "expect": ["demo"]},
    {"task": "another widget here", "expect": ["demo"]},
    {"task": "a rare thing to build", "expect": ["demo"]},
]


def _pack(root: Path) -> Path:
    (root / "patterns" / "demo").mkdir(parents=True)
    (root / "patterns" / "demo" / "pattern.yaml").write_text(
        "params: []\nfiles:\n  - {path: a.py, template: a.py.j2}\n"
    )
    (root / "patterns" / "demo" / "a.py.j2").write_text("x = 1\n")
    (root / "triggers.yaml").write_text(TRIGGERS)
    return root


def test_audit_finds_every_kind_of_problem(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    _, lines = load_with_lines(root / "triggers.yaml")
    found = [str(p) for p in audit(load_pack(root, cache=False), CASES, lines)]
    assert found == [
        "triggers.yaml:5: [@things] duplicate member 'widget' (as 'widget', line 5)",
        "triggers.yaml:5: [@things] phrase 'gizmo' matches no labelled case",
        "triggers.yaml:11: [demo.words] duplicate entry 'widgets' in any (as 'widget', line 11)",
        "triggers.yaml:11: [demo.words] phrase 'rare thing' matches only 1 labelled case",
        "triggers.yaml:13: [demo.copy] regex '\\bwidget\\b' is also in [demo.regex] (line 12)",
        "triggers.yaml:14: [demo.long] fires on no labelled case",
        f"triggers.yaml:14: [demo.long] regex of {len(LONG)} characters (over 200): "
        f"'{LONG[:40]}…'",
        f"triggers.yaml:14: [demo.long] regex '{LONG}' matches no labelled case",
    ]


def test_strict_cli_exits_1_on_problems_and_0_without(tmp_path: Path) -> None:
    root = _pack(tmp_path / "pack")
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump(CASES))
    args = [BAP, "validate", "--pack", str(root), "--strict", "--cases", str(cases)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1, out.stderr
    assert "triggers.yaml:13: [demo.copy] regex" in out.stdout
    assert "strict: 8 problems on 3 labelled cases" in out.stdout
    plain = subprocess.run(args[:4], capture_output=True, text=True, timeout=60, check=False)
    assert plain.returncode == 0
    assert plain.stdout.startswith("ok:")
    (root / "triggers.yaml").write_text(
        "version: 1\npatterns:\n  demo: {description: Demo}\nrules:\n"
        "  - {id: demo.w, pattern: demo, kind: keyword, weight: 0.8, any: [widget]}\n"
    )
    clean = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert clean.returncode == 0, clean.stdout
    assert "strict: no problems on 3 labelled cases." in clean.stdout


def test_cases_without_strict_is_a_usage_error(tmp_path: Path) -> None:
    root = _pack(tmp_path / "pack")
    args = [BAP, "validate", "--pack", str(root), "--cases", "x.yaml"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert out.stderr.startswith("Error:")
