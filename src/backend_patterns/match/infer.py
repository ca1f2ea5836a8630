"""Inferring render parameters from a task: "CRUD endpoints for invoices" -> resource=Invoice.

Which parameter a pattern fills, and from what, is declared in its ``pattern.yaml``
(``infer:`` on a parameter); this module only knows the *sources* a hint can name:

- ``entity``: the thing the task (else the code, else the file name) is about, PascalCase;
- ``json_column`` / ``json_owner``: in ``order.extra["k"]``, the attribute and its owner;
- ``{when: REGEX, value: V}``: ``V`` when the regex is found in the task.

The word lists they use (words that name nothing, class-name suffixes) are the pack's
``inference:`` settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..inflect import pascal
from ..pack import PatternSpec

Compile = Callable[[str], "re.Pattern[str]"]
Found = Callable[[str, str], bool]

_NAMED = r"\b(?:the|a|an)\s+([A-Z][A-Za-z0-9]+)\s+(?:model|table|entity|resource|class)\b"
# CRUD endpoints for invoices / routes for tags / service layer for orders / for blog posts
_FOR = (
    r"\b(?:for|of|on|manage|managing|expose)\s+(?:the\s+|all\s+|our\s+|my\s+)?"
    r"([A-Za-z][A-Za-z0-9_]+)\b(?:\s+([A-Za-z][A-Za-z0-9]+)\b)?"
)
# Endpoints to create, list, update and delete products: the object of a list of CRUD verbs.
_VERB = r"(?:create|read|get|list|update|edit|patch|delete|remove|add|fetch|retrieve|view)"
_VERBS = (
    rf"\b{_VERB}(?:\s*(?:,|/|\band\b|\bor\b|&)\s*{_VERB})*\s*,?\s*(?:/|\band\b|\bor\b|&)\s*"
    rf"{_VERB}\s+(?:the\s+|all\s+|our\s+|my\s+)?"
    r"(?!(?:for|to|with|of|on|in|from|by|via|and|or|them|it)\b)([A-Za-z][A-Za-z0-9_]+)\b"
    r"(?:\s+([A-Za-z][A-Za-z0-9]+)\b)?"
)
# products CRUD: a plural word right before the CRUD word.
_BEFORE_CRUD = r"\b([A-Za-z][A-Za-z0-9]*[a-rt-z]s)\s+(?:CRUD|crud|Crud)\b"
# /api/v1/warehouses, /projects/{project_id}
_URL = r"(?:^|[\s(\"'`])/(?:api/)?(?:v\d+/)?([a-z][a-z0-9_-]+)(?:/|\b)"
_CODE_ENTITY = (
    r"class\s+([A-Z][A-Za-z0-9]+?)Service\b",
    r"APIRouter\([^)]*prefix\s*=\s*[\"']/([a-z][a-z0-9_-]+)",
    r"class\s+([A-Z][A-Za-z0-9]+)\((?:Base|DeclarativeBase|SQLModel)\b",
)
# agent.agent_metadata["k"] / order.extra['shipping']: the owner and the JSON attribute
_ATTRIBUTE = r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\s*\["
_PATH = r"([a-z][a-z0-9_]+?)(?:_service|_router|_routes|_api)?\.py\Z"
SOURCES = ("entity", "json_column", "json_owner")


def _sensitive(source: str) -> str:
    return f"(?-i:{source})"


def _default_compile(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def _found(source: str, text: str) -> bool:
    return re.search(source, text, re.IGNORECASE) is not None


class _Reader:
    """One task, code context and path, read against a pack's ``inference`` settings."""

    def __init__(
        self,
        task: str,
        code: str | None,
        path: str | None,
        settings: dict[str, Any],
        compile: Compile,
        found: Found,
    ) -> None:
        self.task, self.code, self.path, self.compile = task, code, path, compile
        self.found = found
        self.not_names = {str(w).lower() for w in settings.get("not_names") or ()}
        self.not_files = {str(w) for w in settings.get("not_files") or ()}
        self.not_columns = {str(w) for w in settings.get("not_columns") or ()}
        self.suffixes = [str(s) for s in settings.get("suffixes") or ()]
        self._attribute: re.Match[str] | bool | None = False

    def rx(self, source: str) -> re.Pattern[str]:
        return self.compile(_sensitive(source))

    def candidate(self, word: str) -> str | None:
        if not word or word.lower() in self.not_names or len(word) < 3 or word.isdigit():
            return None
        name = pascal(word)
        return name if re.fullmatch(r"[A-Z][A-Za-z0-9]{1,40}", name) else None

    def compound(self, first: str, second: str | None) -> str | None:
        """``blog posts`` -> BlogPost: a singular word and a plural one name one resource."""
        if not second or first.endswith("s") or not re.fullmatch(r"[A-Za-z]+", first):
            return None
        if re.fullmatch(r"[a-z]+[^su]s", second) is None and not second.endswith("ies"):
            return None
        if {first.lower(), second.lower()} & self.not_names:
            return None
        return self.candidate(f"{first}_{second}")

    def entity(self) -> str | None:
        sources = [_NAMED, _FOR, _VERBS, _BEFORE_CRUD, _URL]
        if self.suffixes:
            ends = "|".join(re.escape(s) for s in self.suffixes)
            sources.insert(0, rf"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*?)(?:{ends})\b")
        for source in sources:
            for match in self.rx(source).finditer(self.task):
                two = match.group(2) if match.re.groups > 1 else None
                if found := self.compound(match.group(1), two) or self.candidate(match.group(1)):
                    return found
        if self.code:
            for source in _CODE_ENTITY:
                code_match = self.rx(source).search(self.code)
                if code_match and (found := self.candidate(code_match.group(1))):
                    return found
        if self.path:
            leaf = self.path.replace("\\", "/").rsplit("/", 1)[-1]
            leaf_match = self.rx(_PATH).search(leaf)
            if leaf_match and leaf_match.group(1) not in self.not_files:
                return self.candidate(leaf_match.group(1))
        return None

    def attribute(self) -> re.Match[str] | None:
        """The first ``owner.attr[`` of the task, else of the code, unless attr is excluded."""
        if self._attribute is False:
            rx = self.rx(_ATTRIBUTE)
            match = rx.search(self.task) or (rx.search(self.code) if self.code else None)
            self._attribute = match if match and match.group(2) not in self.not_columns else None
        return self._attribute if isinstance(self._attribute, re.Match) else None

    def source(self, name: str) -> str | None:
        if name == "entity":
            return self.entity()
        match = self.attribute()
        if match is None:
            return None
        return match.group(2) if name == "json_column" else self.candidate(match.group(1))

    def hint(self, hint: Any) -> str | None:
        if isinstance(hint, str):
            return self.source(hint)
        if isinstance(hint, dict):
            found = self.found(str(hint["when"]), self.task.lower())
            return str(hint["value"]) if found else None
        return None


def infer_params(
    pattern: PatternSpec,
    task: str,
    code: str | None = None,
    path: str | None = None,
    compile: Compile = _default_compile,
    settings: dict[str, Any] | None = None,
    found: Found | None = None,
) -> dict[str, str]:
    """The parameters of ``pattern`` that the task, code or path state clearly enough, by the
    ``infer`` hints of its parameters (each a hint or a list tried in order).

    ``compile`` compiles the engine's own regexes; ``found`` runs a pack's ``when`` regex (the
    matcher passes one that runs on RE2, linear in the text)."""
    reader = _Reader(task, code, path, settings or {}, compile, found or _found)
    out: dict[str, str] = {}
    for param in pattern.params:
        for hint in param.infer:
            value = reader.hint(hint)
            if value is not None and (not param.choices or value in param.choices):
                out[param.name] = value
                break
    return out
