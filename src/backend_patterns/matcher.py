"""Ranking the patterns of a pack for a task, a code context and a file path.

(Interface settled; the scoring is being written.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .pack import Pack, load_pack


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # keyword | intent | path | code | finding | negative
    rule: str  # the rule id in triggers.yaml (or BAP001 for a checker finding)
    matched: str  # the text that fired it
    weight: float

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "matched": self.matched,
                "weight": round(self.weight, 3)}


@dataclass(frozen=True, slots=True)
class Suggestion:
    pattern: str
    score: float  # 0..1
    description: str
    reasons: tuple[Reason, ...]
    params: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> str:
        """The ``bap render`` command for this suggestion, with the inferred parameters."""
        import shlex

        sets = "".join(f" --set {shlex.quote(f'{k}={v}')}" for k, v in self.params.items())
        return f"bap render {self.pattern}{sets}"

    @property
    def why(self) -> str:
        """One line: the strongest reasons, e.g. ``keyword 'websocket'; path 'app/ws/chat.py'``."""
        ranked = sorted(self.reasons, key=lambda r: -r.weight)[:3]
        return "; ".join(f"{r.kind} '{r.matched}'" for r in ranked)

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "score": round(self.score, 3),
            "description": self.description,
            "reasons": [r.to_json() for r in self.reasons],
            "params": dict(self.params),
            "command": self.command,
        }


def suggest(
    task: str,
    code: str | None = None,
    path: str | None = None,
    top: int = 3,
    pack: Pack | None = None,
) -> list[Suggestion]:
    """Ranked suggestions, best first; an empty list when nothing fits."""
    pack = pack or load_pack()
    words = task.lower()
    out = []
    for name, spec in pack.patterns.items():
        stem = name.split("_")[0]
        if stem in words:
            out.append(Suggestion(name, 0.8, spec.description,
                                  (Reason("keyword", f"{stem}.stub", stem, 0.8),)))
    return out[:top]
