"""The bundled lint rules, registered in one place. A new rule is a module (or a package, for a
rule whose analysis has several parts) defining one ``Rule``, plus one line here."""

from __future__ import annotations

from ..registry import register
from .bap001 import RULE as BAP001

for _rule in (BAP001,):
    register(_rule)
