"""``bap tune``: rule weights and the threshold fitted on labelled cases, written in place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backend_patterns.match.evaluate import evaluate, load_cases
from backend_patterns.match.tune import Model, Table, fit, folds, rewrite, tune
from backend_patterns.pack import load_pack

BAP = str(Path(sys.executable).parent / "bap")
ROOT = Path(__file__).resolve().parents[1]

TRIGGERS = """\
# A toy pack. This comment must survive.
version: 1
settings:
  threshold: 0.5   # the cut
patterns:
  demo: {description: Demo}
  other: {description: Other}
rules:
  # block style, with a weight
  - id: demo.widget
    pattern: demo
    kind: keyword
    weight: 0.3  # too low by hand
    any: [widget, widgets]
  # flow style
  - {id: demo.gadget, pattern: demo, kind: keyword, weight: 0.9, any: [gadget]}
  - id: other.sprocket
    pattern: other
    kind: keyword
    any: [sprocket]
  - {id: other.cog, pattern: other, kind: keyword, any: [cog]}
"""


def _pack(root: Path, triggers: str = TRIGGERS) -> Path:
    for name in ("demo", "other"):
        (root / "patterns" / name).mkdir(parents=True)
        (root / "patterns" / name / "pattern.yaml").write_text(
            "params: []\nfiles:\n  - {path: a.py, template: a.py.j2}\n"
        )
        (root / "patterns" / name / "a.py.j2").write_text("x = 1\n")
    (root / "triggers.yaml").write_text(triggers)
    return root


def _cases() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(8):
        out.append(
            {
                "id": f"w{i}",
                "task": f"make a widget number {i}",
                "expect": ["demo"],
                "tags": ["direct"],
            }
        )
        out.append(
            {"id": f"g{i}", "task": f"a gadget for item {i}", "expect": [], "tags": ["negative"]}
        )
        out.append(
            {
                "id": f"s{i}",
                "task": f"one sprocket please {i}",
                "expect": ["other"],
                "tags": ["direct"],
            }
        )
    return out


def test_fitting_raises_good_rules_and_lowers_misleading_ones(tmp_path: Path) -> None:
    pack = load_pack(_pack(tmp_path), cache=False)
    result = tune(_cases(), pack, k=4)
    weights = dict(zip(result.table.ids, result.model.weights, strict=True))
    assert weights["demo.widget"] > 0.5  # fired on every demo case: 0.3 was too timid
    assert weights["demo.gadget"] < 0.5  # fired only on cases that want nothing
    assert weights["other.cog"] == 1.0  # never fired: keeps its (default) weight
    rows = {tag: (before, after) for tag, _, before, after in result.tags()}
    assert rows["direct"] == (0.5, 1.0)  # widget cases fail by hand, pass when fitted
    assert rows["negative"] == (0.0, 1.0)  # gadget cases were suggested by hand
    assert rows["overall"][1] == 1.0


def test_tuning_is_deterministic_and_folds_partition_the_cases(tmp_path: Path) -> None:
    pack = load_pack(_pack(tmp_path), cache=False)
    first, second = tune(_cases(), pack, k=3), tune(_cases(), pack, k=3)
    assert first.model.weights == second.model.weights
    assert first.model.threshold == second.model.threshold
    assert [r.got for r in first.after] == [r.got for r in second.after]
    parts = folds(24, 5)
    assert sorted(i for p in parts for i in p) == list(range(24))
    assert parts == folds(24, 5)
    assert parts != folds(24, 5, seed=1)


def test_hand_set_scores_agree_with_the_engine() -> None:
    """The tuner's re-scoring is the engine's: same top-1 answers as `bap eval`."""
    pack = load_pack(ROOT)
    cases = load_cases(str(ROOT / "tests" / "eval" / "cases.yaml"))[:80]
    table = Table(cases, pack)
    results, _ = evaluate(cases, pack)
    assert [table.predict(i, table.hand) for i in range(len(cases))] == [r.got for r in results]


def test_threshold_is_fitted_between_scores(tmp_path: Path) -> None:
    pack = load_pack(_pack(tmp_path), cache=False)
    table = Table(_cases(), pack)
    model = fit(table, list(range(len(table.cases))))
    assert isinstance(model, Model)
    widget = table.top(0, model)[0]
    gadget = table.top(1, model)[0]
    assert gadget < model.threshold <= widget


def test_rewrite_changes_only_the_numbers() -> None:
    new = rewrite(
        TRIGGERS,
        {"demo.widget": 0.71, "demo.gadget": 0.12, "other.sprocket": 0.8, "other.cog": 0.4},
        0.42,
    )
    assert "# A toy pack. This comment must survive." in new
    assert "  threshold: 0.42   # the cut\n" in new
    assert "    weight: 0.71  # too low by hand\n" in new
    assert (
        "  - {id: demo.gadget, pattern: demo, kind: keyword, weight: 0.12, any: [gadget]}" in new
    )
    assert "    kind: keyword\n    weight: 0.8\n    any: [sprocket]\n" in new  # added, indented
    assert "  - {id: other.cog, pattern: other, kind: keyword, weight: 0.4, any: [cog]}" in new
    data = yaml.safe_load(new)
    assert [r["weight"] for r in data["rules"]] == [0.71, 0.12, 0.8, 0.4]
    old_lines, new_lines = TRIGGERS.splitlines(), new.splitlines()
    assert len(new_lines) == len(old_lines) + 1  # the one weight line added
    assert rewrite(TRIGGERS, {}, None) == TRIGGERS


def test_rewrite_refuses_an_unknown_rule() -> None:
    from backend_patterns.errors import UsageError

    with pytest.raises(UsageError, match="no rule 'nope'"):
        rewrite(TRIGGERS, {"nope": 0.5}, None)


def _bap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BAP, *args], capture_output=True, text=True, timeout=120, check=False)


def test_cli_reports_and_writes(tmp_path: Path) -> None:
    root = _pack(tmp_path / "pack")
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump(_cases()))
    shown = _bap("tune", str(cases), "--pack", str(root), "--folds", "4")
    assert shown.returncode == 0, shown.stderr
    assert "overall" in shown.stdout
    assert "demo.widget" in shown.stdout
    assert (root / "triggers.yaml").read_text() == TRIGGERS  # nothing written without --write
    written = _bap("tune", str(cases), "--pack", str(root), "--folds", "4", "--write")
    assert written.returncode == 0, written.stderr
    text = (root / "triggers.yaml").read_text()
    assert text != TRIGGERS
    assert "# A toy pack. This comment must survive." in text
    assert load_pack(root, cache=False).triggers["rules"][0]["weight"] > 0.5


@pytest.mark.parametrize("folds", ["1", "999"])
def test_cli_bad_folds(tmp_path: Path, folds: str) -> None:
    root = _pack(tmp_path / "pack")
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump(_cases()))
    out = _bap("tune", str(cases), "--pack", str(root), "--folds", folds)
    assert out.returncode == 2
    assert out.stderr.startswith("Error:")
    assert len(out.stderr.strip().splitlines()) == 1
