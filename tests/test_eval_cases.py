"""The bundled triggers on the project's own labelled cases (tests/eval/*.yaml).

These cases were written independently of the rules, in many developers' voices. Accuracy is
a regression gate here; the figures themselves come from `bap eval` and the shared scorer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_patterns.match.evaluate import by_tag, evaluate, load_cases, summary
from backend_patterns.pack import load_pack

# real_*.yaml (real issue titles) have their own gates in tests/test_eval_real.py.
CASES = sorted(
    p for p in (Path(__file__).parent / "eval").glob("*.yaml") if not p.name.startswith("real_")
)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_labelled_cases(path: Path) -> None:
    results, _ = evaluate(load_cases(str(path)), load_pack())
    totals = summary(results)
    failed = [(r.case_id, r.expect, r.got) for r in results if not r.ok]
    assert totals["overall"] >= 0.95, failed
    assert totals["negatives"] >= 0.95, failed
    for tag, n, correct in by_tag(results):
        assert correct / n >= 0.85, (tag, failed)
