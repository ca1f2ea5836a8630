"""Scoring: the threshold, "lower" and "veto" negatives, the retry on the typo-corrected task,
and rules scoped by ``paths``; on toy packs whose numbers are known exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_patterns.match import explain, suggest
from backend_patterns.pack import Pack, load_pack
from backend_patterns.triggers import Hit, score
from backend_patterns.triggers._score import combine


def toy_pack(root: Path, rules: str, *, threshold: float = 0.5) -> Pack:
    """A pack with patterns ``alpha`` and ``beta`` and the given rules (YAML list items)."""
    for name in ("alpha", "beta"):
        (root / "patterns" / name).mkdir(parents=True)
        (root / "patterns" / name / "pattern.yaml").write_text(
            "params: []\nfiles:\n  - {path: a.py, template: a.py.j2}\n"
        )
        (root / "patterns" / name / "a.py.j2").write_text("x = 1\n")
    (root / "triggers.yaml").write_text(
        f"version: 1\nsettings:\n  threshold: {threshold}\n"
        "patterns:\n  alpha: {description: A}\n  beta: {description: B}\nrules:\n" + rules
    )
    return load_pack(root, cache=False)


def scores(task: str, pack: Pack, path: str | None = None) -> dict[str, float]:
    rows, _ = explain(task, path=path, pack=pack)
    return {r.pattern: round(r.score, 6) for r in rows}


def test_a_score_equal_to_the_threshold_is_suggested(tmp_path: Path) -> None:
    pack = toy_pack(
        tmp_path,
        "  - {id: a, pattern: alpha, kind: keyword, weight: 0.5, any: [socket]}\n"
        "  - {id: b, pattern: beta, kind: keyword, weight: 0.49, any: [socket]}\n",
    )
    found = suggest("a socket", pack=pack)
    assert [(s.pattern, s.score) for s in found] == [("alpha", 0.5)]
    rows, _ = explain("a socket", pack=pack)
    assert {r.pattern: r.suggested for r in rows} == {"alpha": True, "beta": False}


LOWERED = (
    "  - {id: a, pattern: alpha, kind: keyword, weight: 0.8, any: [socket]}\n"
    "  - {id: b, pattern: beta, kind: keyword, weight: 0.6, any: [socket]}\n"
    "  - {id: n, pattern: alpha, kind: negative, effect: lower, weight: 0.25, any: ['\\bslow']}\n"
    "  - {id: m, pattern: '*', kind: negative, effect: lower, weight: 0.5, any: ['\\bquiet']}\n"
    "  - {id: v, pattern: beta, kind: negative, any: ['\\bnever']}\n"
)


def test_lower_negatives_scale_the_score(tmp_path: Path) -> None:
    pack = toy_pack(tmp_path, LOWERED)
    assert scores("a socket", pack) == {"alpha": 0.8, "beta": 0.6}
    # alpha: 0.8 * (1 - 0.25); beta is untouched by a rule of alpha
    assert scores("a slow socket", pack) == {"alpha": 0.6, "beta": 0.6}
    # pattern "*" lowers every pattern: the runner-up drops below the threshold too
    assert scores("a quiet socket", pack) == {"alpha": 0.4, "beta": 0.3}
    assert scores("a slow quiet socket", pack) == {"alpha": 0.3, "beta": 0.3}
    assert [s.pattern for s in suggest("a slow socket", pack=pack)] == ["alpha", "beta"]
    assert suggest("a quiet socket", pack=pack) == []
    _, negatives = explain("a slow quiet socket", pack=pack)
    assert sorted((h.rule, h.effect) for h in negatives) == [("m", "lower"), ("n", "lower")]


def test_a_veto_drops_only_its_pattern(tmp_path: Path) -> None:
    pack = toy_pack(tmp_path, LOWERED)
    assert scores("never a socket", pack) == {"alpha": 0.8, "beta": 0.0}
    assert [s.pattern for s in suggest("never a socket", pack=pack)] == ["alpha"]


def test_score_and_combine_on_plain_hits() -> None:
    def hit(pattern: str, weight: float, effect: str = "add") -> Hit:
        return Hit("r", pattern, "keyword", "m", weight, effect)

    assert combine([]) == 0.0
    assert combine([0.5, 0.5]) == pytest.approx(0.75)
    assert combine([1.5, 0.2]) == 1.0  # a weight is clamped to [0, 1]
    assert combine([-0.5, 0.2]) == pytest.approx(0.2)
    got = score([hit("a", 0.8), hit("b", 0.6), hit("a", 0.5, "lower")], ["a", "b"])
    assert got == pytest.approx({"a": 0.4, "b": 0.6})
    assert score([hit("a", 0.8), hit("*", 2.0, "lower")], ["a"]) == {"a": 0.0}
    assert score([hit("a", 0.8), hit("a", 0.3, "veto")], ["a"]) == {"a": 0.0}
    assert score([hit("b", 0.8)], ["a"]) == {"a": 0.0}
    assert score([hit("a", 0.8, "near")], ["a"]) == {"a": 0.0}


def test_intent_rules_retry_on_the_typo_corrected_task(tmp_path: Path) -> None:
    pack = toy_pack(
        tmp_path,
        # the keyword rule puts "endpoints" in the vocabulary that typos are corrected onto
        "  - {id: k, pattern: beta, kind: keyword, weight: 0.1, any: [endpoints]}\n"
        "  - {id: i, pattern: alpha, kind: intent, weight: 0.9, any: ['\\bnew endpoints\\b']}\n",
    )
    found = suggest("scaffold new endpoitns", pack=pack)
    assert [s.pattern for s in found] == ["alpha"]
    assert [(r.kind, r.matched) for r in found[0].reasons] == [("intent", "new endpoints")]
    assert scores("scaffold new endpoints", pack)["alpha"] == 0.9
    assert scores("scaffold new entrypoints", pack)["alpha"] == 0.0


def test_a_rule_with_paths_include_needs_a_matching_path(tmp_path: Path) -> None:
    pack = toy_pack(
        tmp_path,
        "  - {id: a, pattern: alpha, kind: keyword, weight: 0.8, any: [socket],\n"
        "     paths: {include: ['app/ws/**']}}\n"
        "  - {id: b, pattern: beta, kind: keyword, weight: 0.6, any: [socket],\n"
        "     paths: {exclude: ['tests/**']}}\n",
    )
    assert scores("a socket", pack) == {"alpha": 0.0, "beta": 0.6}
    assert scores("a socket", pack, path="app/ws/chat.py") == {"alpha": 0.8, "beta": 0.6}
    assert scores("a socket", pack, path="./app/ws/chat.py") == {"alpha": 0.8, "beta": 0.6}
    assert scores("a socket", pack, path="app/api/chat.py") == {"alpha": 0.0, "beta": 0.6}
    assert scores("a socket", pack, path="tests/test_ws.py") == {"alpha": 0.0, "beta": 0.0}


# ---- what suggest and explain return ----


def many(root: Path, weights: dict[str, float]) -> Pack:
    """A pack of patterns named by ``weights``, each with one keyword rule on "socket"."""
    for name in weights:
        (root / "patterns" / name).mkdir(parents=True)
        (root / "patterns" / name / "pattern.yaml").write_text(
            "params: []\nfiles:\n  - {path: a.py, template: a.py.j2}\n"
        )
        (root / "patterns" / name / "a.py.j2").write_text("x = 1\n")
    patterns = "".join(f"  {n}: {{description: About {n}}}\n" for n in weights)
    rules = "".join(
        f"  - {{id: {n}.k, pattern: {n}, kind: keyword, weight: {w}, any: [socket]}}\n"
        for n, w in weights.items()
    )
    (root / "triggers.yaml").write_text(f"version: 1\npatterns:\n{patterns}rules:\n{rules}")
    return load_pack(root, cache=False)


def test_ties_keep_the_pack_order_and_top_limits_the_list(tmp_path: Path) -> None:
    pack = many(tmp_path, {"d": 0.9, "c": 0.9, "b": 0.9, "a": 0.9})
    assert [s.pattern for s in suggest("a socket", pack=pack)] == ["d", "c", "b"]
    assert [s.pattern for s in suggest("a socket", top=4, pack=pack)] == ["d", "c", "b", "a"]
    assert suggest("a socket", top=0, pack=pack) == []
    assert suggest("a socket", top=-1, pack=pack) == []
    rows, _ = explain("a socket", pack=pack)
    assert [r.pattern for r in rows] == ["d", "c", "b", "a"]


def test_a_runner_up_at_exactly_the_runner_up_fraction_is_shown(tmp_path: Path) -> None:
    from backend_patterns.match._suggest import RUNNER_UP

    pack = many(tmp_path, {"low": 0.7499, "top": 1.0, "close": RUNNER_UP})
    found = suggest("a socket", pack=pack)
    assert [(s.pattern, s.score) for s in found] == [("top", 1.0), ("close", RUNNER_UP)]
    rows, _ = explain("a socket", pack=pack)
    assert [r.pattern for r in rows] == ["top", "close", "low"]  # by score, then pack order


def test_a_suggestion_carries_its_score_description_and_reasons(tmp_path: Path) -> None:
    pack = many(tmp_path, {"alpha": 0.55555})
    [found] = suggest("a socket", pack=pack)
    assert found.score == round(0.55555, 4)
    assert found.description == "About alpha"
    assert found.to_json() == {
        "pattern": "alpha",
        "score": round(round(0.55555, 4), 3),
        "description": "About alpha",
        "reasons": [{"kind": "keyword", "rule": "alpha.k", "matched": "socket", "weight": 0.556}],
        "params": {},
    }
    assert found.reasons[0].to_json()["weight"] == round(0.55555, 3)


def test_a_pack_without_prepared_rules_is_prepared_once(tmp_path: Path) -> None:
    from backend_patterns.match._suggest import compiled

    loaded = many(tmp_path, {"alpha": 0.9})
    bare = Pack(dir=loaded.dir, triggers=loaded.triggers, patterns=loaded.patterns)
    assert bare.compiled == {}
    assert [s.pattern for s in suggest("a socket", pack=bare)] == ["alpha"]
    assert compiled(bare) is compiled(bare)
    assert compiled(loaded) is compiled(loaded)
    assert compiled(loaded) is not compiled(bare)


@pytest.mark.parametrize("task", ["", "   ", None])
def test_an_empty_task_is_a_usage_error(task: str | None) -> None:
    from backend_patterns.errors import UsageError

    with pytest.raises(UsageError) as caught:
        suggest(task)  # type: ignore[arg-type]
    assert str(caught.value) == "the task is empty; describe what you want to build."


def test_parameters_are_inferred_from_the_code_and_the_path() -> None:
    code = (
        "class Agent(Base):\n    agent_metadata: Mapped[dict] = mapped_column(JSONB)\n\n"
        "async def tag(session, agent: Agent) -> None:\n"
        '    agent.agent_metadata["tags"] = ["a"]\n    await session.commit()\n'
    )
    [jsonb] = suggest("fix this", code=code)
    assert (jsonb.pattern, jsonb.params) == (
        "jsonb_mutation",
        {"resource": "Agent", "column": "agent_metadata"},
    )
    [crud] = suggest("fill this in", path="app/api/routes/suppliers.py")
    assert (crud.pattern, crud.params) == ("crud_endpoint", {"resource": "Supplier"})


def test_inputs_at_the_size_limits() -> None:
    from backend_patterns.errors import UsageError
    from backend_patterns.match._suggest import MAX_CODE_BYTES, MAX_TASK_BYTES

    assert suggest("a" * MAX_TASK_BYTES) == []
    assert suggest("finish this", code=" " * MAX_CODE_BYTES) == []
    with pytest.raises(UsageError) as task:
        suggest("a" * (MAX_TASK_BYTES + 1))
    assert str(task.value) == "the task is longer than 1,000,000 characters."
    with pytest.raises(UsageError) as code:
        explain("finish this", code=" " * (MAX_CODE_BYTES + 1))
    assert str(code.value) == "the code context is longer than 5,000,000 characters."


def test_the_description_is_the_patterns_own_trimmed(tmp_path: Path) -> None:
    pack = toy_pack(
        tmp_path, "  - {id: a, pattern: alpha, kind: keyword, weight: 0.9, any: [x]}\n"
    )
    yaml = tmp_path / "triggers.yaml"
    yaml.write_text(yaml.read_text().replace("{description: A}", "{description: '  About A  '}"))
    [found] = suggest("x", pack=load_pack(tmp_path, cache=False))
    assert found.description == "About A"
    assert pack.patterns["alpha"].description == "A"
