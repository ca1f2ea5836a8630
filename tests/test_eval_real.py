"""Real task phrasings (public GitHub issue/PR titles, verbatim) against the bundled triggers.

tests/eval/real_tuning.yaml is what the triggers were tuned on: the first draw (rt*) and the first
frozen part (rf*), moved there once its failures had been read case by case. tests/eval/
real_frozen.yaml is a fresh draw (rg*, other queries, fixed seed, stratified by label), labelled
before it was ever scored and scored once, never tuned on. Gates: the tuning part at its tuned
score, the frozen part at its measured score, each with 2 cases slack.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from backend_patterns.match.evaluate import evaluate, load_cases
from backend_patterns.pack import load_pack

EVAL = Path(__file__).parent / "eval"
PATTERNS = {"crud_endpoint", "service_layer", "websocket_handler", "jsonb_mutation"}
TAGS = {"direct", "paraphrase", "typo", "ambiguous", "negative", "near", "far", "real"}
SLACK = 2
# file -> correct cases measured with the triggers as tuned (tuning, 555/606) / as shipped
# (frozen, 243/326: overall 0.745, negatives 0.756; 0.724 with the triggers before this tuning;
# unchanged, 243, after the near-miss families were added, scored once)
MEASURED = {"real_tuning.yaml": 555, "real_frozen.yaml": 243}
SIZES = {"real_tuning.yaml": 606, "real_frozen.yaml": 326}


def _cases(name: str) -> list[dict]:
    return load_cases(str(EVAL / name))


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_cases_are_well_formed(name: str) -> None:
    cases = _cases(name)
    ids = [c.get("id") for c in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for c in cases:
        url = urlparse(str(c.get("source") or ""))
        assert url.scheme == "https" or url.scheme == "http", (c["id"], c.get("source"))
        assert url.netloc, (c["id"], c.get("source"))
        assert set(c["expect"]) <= PATTERNS, (c["id"], c["expect"])
        assert len(c["expect"]) <= 2, c["id"]
        tags = set(c["tags"])
        assert tags <= TAGS, (c["id"], c["tags"])
        assert "real" in tags, (c["id"], c["tags"])
        if c["expect"]:
            assert "negative" not in tags, c["id"]
            assert (len(c["expect"]) == 2) == ("ambiguous" in tags), c["id"]
        else:
            assert "negative" in tags, c["id"]
            assert tags & {"near", "far"}, c["id"]


def test_tuning_and_frozen_do_not_overlap() -> None:
    tuning, frozen = _cases("real_tuning.yaml"), _cases("real_frozen.yaml")
    assert len(tuning) == SIZES["real_tuning.yaml"]
    assert len(frozen) == SIZES["real_frozen.yaml"]
    titles = {" ".join(c["task"].lower().split()) for c in tuning}
    assert not titles & {" ".join(c["task"].lower().split()) for c in frozen}
    assert not {c["source"] for c in tuning} & {c["source"] for c in frozen}
    assert not {c["id"] for c in tuning} & {c["id"] for c in frozen}
    # every pattern and both kinds of negative are in the frozen part
    expected = {e for c in frozen for e in c["expect"]}
    assert expected == PATTERNS
    assert {t for c in frozen for t in c["tags"]} >= {"near", "far"}


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_real_cases_score(name: str) -> None:
    results, _ = evaluate(_cases(name), load_pack())
    correct = sum(r.ok for r in results)
    failed = [(r.case_id, r.expect, r.got) for r in results if not r.ok]
    assert correct >= MEASURED[name] - SLACK, (correct, len(results), failed)
