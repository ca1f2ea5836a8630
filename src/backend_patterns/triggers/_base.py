"""What a trigger kind is: a ``Kind`` subclass holds the JSON-schema fragment of its rules,
how their entries are prepared when a pack is parsed, and how they match a task.

``_registry.py`` is where kinds are made known; adding a kind is one module plus one line
there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ._compiled import Compiled
    from ._model import Hit, Inputs, Rule


class Prep:
    """What preparing one rule may need and add to: the vocabulary and the pack's regexes."""

    def __init__(self, vocabulary: dict[str, list[str]]) -> None:
        self.vocabulary = vocabulary
        self.regexes: dict[str, str] = {}  # source as matched -> source as written
        self.globs: set[str] = set()
        self.fuzzy: set[str] = set()  # words typo correction may map onto


class Kind:
    """Base of a trigger kind. Subclasses set ``name`` and override what differs."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    # JSON schema of one entry of any/all/not, and of the keys only this kind's rules take.
    item_schema: ClassVar[dict[str, Any]] = {"type": "string", "minLength": 1}
    properties: ClassVar[dict[str, Any]] = {}
    any_pattern: ClassVar[bool] = False  # may speak for every pattern (``pattern: "*"``)

    # -- parse time ----------------------------------------------------------------------
    def check_item(self, item: str, vocabulary: dict[str, Any]) -> tuple[str, str | None] | None:
        """A problem with one matcher entry that the schema cannot see: (message, hint)."""
        return None

    def reads(self, raw: dict[str, Any]) -> str:
        """Which input the rule's gate is read in: ``stems``, ``task``, ``code`` or ``path``."""
        return "task"

    def effect(self, raw: dict[str, Any]) -> str:
        return "add"

    def needs(self, raw: dict[str, Any]) -> str | None:
        needs = raw.get("needs")
        return None if needs is None else str(needs)

    def prepare(self, item: str, prep: Prep, raw: dict[str, Any]) -> list[Any]:
        """The prepared forms of one matcher entry (a group may stand for several)."""
        return [item]

    def gate(self, rule: dict[str, Any], literals: dict[str, list[str] | None]) -> list[str]:
        """What must be in the input for the rule to fire (any one of them); [] = no gate."""
        return []

    # -- match time ----------------------------------------------------------------------
    def sources(self, rule: Rule) -> list[str]:
        """The regex sources this rule evaluates (compiled ahead of time by ``warm``)."""
        return []

    def match(self, rules: Compiled, rule: Rule, inputs: Inputs) -> list[Hit]:
        raise NotImplementedError
