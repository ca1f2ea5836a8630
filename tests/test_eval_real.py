"""Real task phrasings (public GitHub issue/PR titles, verbatim) against the bundled triggers.

tests/eval/real_tuning.yaml is what the triggers were tuned on; tests/eval/real_frozen.yaml was
drawn at random (fixed seed, stratified by label) and is only reported, never tuned on. Gates:
the tuning part at its tuned score, the frozen part at its measured score, each with 2 cases slack.
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
# file -> correct cases measured with the triggers as tuned (tuning) / as shipped (frozen)
# frozen: 203 before three regexes copied from its titles were removed (they do not generalise)
MEASURED = {"real_tuning.yaml": 317, "real_frozen.yaml": 200}


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
    tuning = {c["task"].lower() for c in _cases("real_tuning.yaml")}
    frozen = {c["task"].lower() for c in _cases("real_frozen.yaml")}
    assert not tuning & frozen


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_real_cases_score(name: str) -> None:
    results, _ = evaluate(_cases(name), load_pack())
    correct = sum(r.ok for r in results)
    failed = [(r.case_id, r.expect, r.got) for r in results if not r.ok]
    assert correct >= MEASURED[name] - SLACK, (correct, len(results), failed)
