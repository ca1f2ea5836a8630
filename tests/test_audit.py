"""``bap validate --strict``: a lean trigger file, audited on labelled cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from backend_patterns.match.audit import audit, sentence_shaped
from backend_patterns.pack import load_pack
from backend_patterns.pack._yaml import load_with_lines

BAP = str(Path(sys.executable).parent / "bap")
LONG = "\\b" + "a" * 210 + "\\b"
TRIGGERS = f"""\
version: 1
patterns:
  demo: {{description: Demo}}
  other: {{description: Other}}
vocabulary:
  things: [widget, widget, gizmo, one rare gadget]
rules:
  - id: demo.words
    pattern: demo
    kind: keyword
    weight: 0.8
    any: [widget, widgets, a rare thing, a rare things, "@things"]
  - {{id: demo.regex, pattern: demo, kind: intent, weight: 0.6, any: ['\\bwidget\\b']}}
  - {{id: demo.copy, pattern: demo, kind: intent, weight: 0.6, any: ['\\bwidget\\b']}}
  - {{id: demo.long, pattern: demo, kind: intent, weight: 0.6, any: ['{LONG}']}}
  - id: other.regex
    pattern: other
    kind: intent
    weight: 0.6
    any: ['\\bwidget\\b', '\\bsprocket\\b']
    not: ['\\bwidget\\b']
"""
CASES = [
    {"task": "make a widget", "expect": ["demo"]},
    {"task": "another widget here", "expect": ["demo"]},
    {"task": "a rare thing to build", "expect": ["demo"]},
    {"task": "a sprocket", "expect": ["other"]},
]


def _pack(root: Path) -> Path:
    for name in ("demo", "other"):
        (root / "patterns" / name).mkdir(parents=True)
        (root / "patterns" / name / "pattern.yaml").write_text(
            "params: []\nfiles:\n  - {path: a.py, template: a.py.j2}\n"
        )
        (root / "patterns" / name / "a.py.j2").write_text("x = 1\n")
    (root / "triggers.yaml").write_text(TRIGGERS)
    return root


def test_audit_finds_every_kind_of_problem(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    _, lines = load_with_lines(root / "triggers.yaml")
    found = [str(p) for p in audit(load_pack(root, cache=False), CASES, lines)]
    assert found == [
        "triggers.yaml:6: [@things] duplicate member 'widget' (as 'widget', line 6)",
        "triggers.yaml:6: [@things] phrase 'one rare gadget' matches no labelled case",
        "triggers.yaml:12: [demo.words] phrase 'a rare thing' matches only 1 labelled case",
        "triggers.yaml:12: [demo.words] duplicate entry 'a rare things' in any "
        "(as 'a rare thing', line 12)",
        "triggers.yaml:14: [demo.copy] regex '\\bwidget\\b' is also in [demo.regex] (line 13)",
        "triggers.yaml:15: [demo.long] fires on no labelled case",
        f"triggers.yaml:15: [demo.long] regex of {len(LONG)} characters (over 200): "
        f"'{LONG[:40]}…'",
        f"triggers.yaml:15: [demo.long] regex '{LONG}' matches no labelled case",
        # other.regex repeats '\bwidget\b' for another pattern and as an exclusion (no
        # problem); 'gizmo', '\bsprocket\b' and the surface variant 'widgets' are vocabulary
    ]


def test_short_entries_are_vocabulary_and_long_ones_must_earn_their_place() -> None:
    assert not sentence_shaped("keyword", "pubsub")
    assert not sentence_shaped("keyword", "unit of")
    assert sentence_shaped("keyword", "put listings up")
    assert not sentence_shaped("keyword", "@connected_clients")
    assert not sentence_shaped("intent", "\\bjsonb_set\\(")
    assert sentence_shaped("intent", "\\b(two webhooks|two dispatchers) at (the )?same time\\b")


def test_strict_cli_exits_1_on_problems_and_0_without(tmp_path: Path) -> None:
    root = _pack(tmp_path / "pack")
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump(CASES))
    args = [BAP, "validate", "--pack", str(root), "--strict", "--cases", str(cases)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1, out.stderr
    assert "triggers.yaml:14: [demo.copy] regex" in out.stdout
    assert "strict: 8 problems on 4 labelled cases" in out.stdout
    plain = subprocess.run(args[:4], capture_output=True, text=True, timeout=60, check=False)
    assert plain.returncode == 0
    assert plain.stdout.startswith("ok:")
    (root / "triggers.yaml").write_text(
        "version: 1\npatterns:\n  demo: {description: Demo}\n  other: {description: Other}\n"
        "rules:\n  - {id: demo.w, pattern: demo, kind: keyword, weight: 0.8, any: [widget]}\n"
        "  - {id: other.w, pattern: other, kind: keyword, weight: 0.8, any: [sprocket]}\n"
    )
    clean = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert clean.returncode == 0, clean.stdout
    assert "strict: no problems on 4 labelled cases." in clean.stdout


def test_strict_default_cases_leave_the_frozen_part_out(tmp_path: Path) -> None:
    root = _pack(tmp_path / "pack")
    evals = tmp_path / "work" / "tests" / "eval"
    evals.mkdir(parents=True)
    (evals / "cases.yaml").write_text(yaml.safe_dump(CASES))
    # in the frozen part, 'a rare thing' would match a second case and pass
    frozen = [{"task": "another rare thing", "expect": ["demo"]}]
    (evals / "real_frozen.yaml").write_text(yaml.safe_dump(frozen))
    args = [BAP, "validate", "--pack", str(root), "--strict"]
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=60, check=False, cwd=evals.parent.parent
    )
    assert out.returncode == 1, out.stderr
    assert "phrase 'a rare thing' matches only 1 labelled case" in out.stdout
    assert "problems on 4 labelled cases" in out.stdout


def test_cases_without_strict_is_a_usage_error(tmp_path: Path) -> None:
    root = _pack(tmp_path / "pack")
    args = [BAP, "validate", "--pack", str(root), "--cases", "x.yaml"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert out.stderr.startswith("Error:")
