"""The values rules and matches are made of: a prepared rule, a hit, and the inputs of one task.

Plain classes with ``__slots__``, not dataclasses: importing dataclasses costs more than
matching a task, and this runs on every prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._view import TaskView


class Hit:
    """A rule that fired (or, with effect ``near``, nearly fired) on one input."""

    __slots__ = ("rule", "pattern", "kind", "matched", "weight", "effect", "message", "label")

    def __init__(
        self,
        rule: str,
        pattern: str,
        kind: str,
        matched: str,
        weight: float,
        effect: str = "add",
        message: str = "",
        label: str | None = None,
    ) -> None:
        self.rule = rule  # the id of the rule in triggers.yaml
        self.pattern = pattern  # a pattern name, or "*" for a negative rule on every pattern
        self.kind = kind
        self.matched = matched
        self.weight = weight
        self.effect = effect  # add | veto | lower | near
        self.message = message
        self.label = label or rule  # what a reason names: the rule id, or a lint code

    def __repr__(self) -> str:
        return f"Hit({self.rule!r}, {self.pattern!r}, {self.kind!r}, {self.matched!r})"


class Rule:
    """One rule of ``triggers.yaml``, prepared: its matchers are in its kind's own form."""

    __slots__ = (
        "id",
        "pattern",
        "kind",
        "weight",
        "message",
        "any",
        "all",
        "not_",
        "min",
        "effect",
        "needs",
        "include",
        "exclude",
        "reads",
        "gate",
    )

    def __init__(self, data: dict[str, Any]) -> None:
        self.id: str = data["id"]
        self.pattern: str = data["pattern"]
        self.kind: str = data["kind"]
        self.weight: float = data["weight"]
        self.message: str = data["message"]
        self.any: list[Any] = data["any"]
        self.all: list[list[Any]] = data["all"]
        self.not_: list[Any] = data["not"]
        self.min: int = data["min"]
        self.effect: str = data["effect"]  # add | veto | lower
        self.needs: str | None = data["needs"]
        self.include: list[str] = data["include"]
        self.exclude: list[str] = data["exclude"]
        self.reads: str = data["reads"]  # stems | task | code | path: what its gate is read in
        self.gate: list[str] = data["gate"]

    def hit(self, matched: str, *, label: str | None = None) -> Hit:
        return Hit(
            self.id,
            self.pattern,
            self.kind,
            matched,
            self.weight,
            self.effect,
            self.message,
            label,
        )


class Inputs:
    """One task as every kind reads it: the task view, the code context and the file path."""

    __slots__ = ("view", "task_lower", "code", "code_lower", "path", "path_lower", "memo")

    def __init__(self, view: TaskView, code: str | None, path: str | None) -> None:
        self.view = view
        corrected = view.corrected if view.corrected is not view.text else ""
        self.task_lower = (view.text + "\n" + corrected).lower()
        self.code = code
        self.code_lower = code.lower() if code else None
        self.path = path
        self.path_lower = path.lower() if path else None
        self.memo: dict[str, Any] = {}  # what a kind computes once per task (lint findings)

    def lowered(self, reads: str) -> str | None:
        """The lower-cased text a gate of ``reads`` is looked up in."""
        if reads == "task":
            return self.task_lower
        if reads == "code":
            return self.code_lower
        if reads == "path":
            return self.path_lower
        return None
