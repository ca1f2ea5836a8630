"""The rule language of ``triggers.yaml``: its kinds, their preparation and their matching.

``prepare`` turns validated pack data into plain, cacheable rules; ``Compiled`` evaluates
them on a task; ``score`` turns what fired into each pattern's score. A kind is one module
(``keyword``, ``intent``, ``path``, ``code``, ``negative``, ``finding``), registered in
``_registry.py``.
"""

from __future__ import annotations

from ._base import Kind, Prep
from ._compiled import Compiled
from ._model import Hit, Inputs, Rule
from ._prepare import prepare
from ._regex import BadRegex
from ._registry import kinds, register, unregister
from ._score import combine, score

__all__ = [
    "BadRegex",
    "Compiled",
    "Hit",
    "Inputs",
    "Kind",
    "Prep",
    "Rule",
    "combine",
    "kinds",
    "prepare",
    "register",
    "score",
    "unregister",
]
