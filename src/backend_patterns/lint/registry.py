"""The lint rules, one ``Rule`` each: its code, name, documentation and checker, by code.

``rules/__init__.py`` registers the bundled rules when ``backend_patterns.lint`` is imported;
``select`` picks rules by code or code prefix the way ruff does. Stdlib only.

A checker sees every file of the run at once (a model declared in one file is used in another)
and yields ``Violation``s; the engine stamps them with the rule's code and name, drops those a
``# noqa`` comment suppresses, and sorts them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ..errors import UnknownRuleError
from ..project import Project

Severity = Literal["error", "warning", "note"]  # the SARIF levels
ALL = "ALL"  # selects every rule, as in ruff
_CODE = re.compile(r"[A-Z]+[0-9]+")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True, eq=False)
class SourceFile:
    """One parsed file, as every rule of a run sees it."""

    path: str
    text: str = field(repr=False)
    tree: ast.Module = field(repr=False)
    lines: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", self.text.splitlines())

    def column(self, line: int, byte_offset: int) -> int:
        """The 1-based character column of a 0-based UTF-8 byte offset (what ``ast`` gives)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode()[:byte_offset].decode(errors="ignore")) + 1

    def violation(self, node: ast.AST, message: str, fix: str) -> Violation:
        """A violation at ``node``'s first line and column."""
        line = getattr(node, "lineno", 1)
        return Violation(
            self.path, line, self.column(line, getattr(node, "col_offset", 0)), message, fix
        )


@dataclass(frozen=True, slots=True)
class Violation:
    """What a checker reports: where, the problem, and the fix."""

    path: str
    line: int
    col: int
    message: str
    fix: str
    # (1-based line after which to insert, indentation column, statement text); None: no safe fix
    fix_edit: tuple[int, int, str] | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """What a run tells its checkers: ``json_attrs`` are ``(Model, attr)`` JSON columns;
    ``project`` is the project model of the files checked (``backend_patterns.project``; None:
    the files themselves); ``untyped_receivers`` restores BAP001's old name-only matching (a
    receiver of unknown type counts when the attribute is a JSON column of some model)."""

    json_attrs: tuple[tuple[str, str], ...] = ()
    project: Project | None = None
    untyped_receivers: bool = False


Checker = Callable[[Sequence[SourceFile], Settings], Iterable[Violation]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One lint rule. ``doc`` is Markdown with ruff's sections (``## What it does``, ...)."""

    code: str  # BAP001
    name: str  # jsonb-in-place-mutation: named for the bad pattern
    summary: str  # one line
    doc: str = field(repr=False)
    check: Checker = field(repr=False)
    severity: Severity = "error"
    tags: tuple[str, ...] = ()

    @property
    def help_uri(self) -> str:
        return f"docs/rules/{self.code}.md"

    def sections(self) -> dict[str, str]:
        """``{"What it does": "...", ...}``: the ``## `` sections of ``doc``, in order."""
        out: dict[str, list[str]] = {}
        body: list[str] = []
        fenced = False
        for line in self.doc.splitlines():
            if line.startswith("```"):
                fenced = not fenced
            if not fenced and line.startswith("## "):
                body = out.setdefault(line[3:].strip(), [])
            else:
                body.append(line)
        return {title: "\n".join(lines).strip() for title, lines in out.items()}

    def markdown(self) -> str:
        """The rule's page, as docs/rules/<code>.md has it."""
        return (
            f"# {self.name} ({self.code})\n\n"
            f"Checked by `bap check`; suppress a line with `# noqa: {self.code}`.\n\n"
            f"{self.doc.strip()}\n"
        )


_RULES: dict[str, Rule] = {}
RULES: Mapping[str, Rule] = MappingProxyType(_RULES)  # code -> rule, read-only


def register(rule: Rule) -> Rule:
    """Add ``rule``; ValueError for a malformed code or name, or one already taken."""
    if not _CODE.fullmatch(rule.code):
        raise ValueError(f"rule code {rule.code!r} is not letters then digits (e.g. BAP001)")
    if not _NAME.fullmatch(rule.name):
        raise ValueError(f"rule name {rule.name!r} is not kebab-case")
    if rule.code in _RULES:
        raise ValueError(f"rule code {rule.code} is already registered")
    if any(r.name == rule.name for r in _RULES.values()):
        raise ValueError(f"rule name {rule.name} is already registered")
    _RULES[rule.code] = rule
    return rule


def unregister(code: str) -> None:
    """Remove the rule registered as ``code`` (KeyError if there is none)."""
    del _RULES[code]


@contextmanager
def registered(*rules: Rule) -> Iterator[tuple[Rule, ...]]:
    """Register ``rules`` for the ``with`` block only (tests, plugins tried out)."""
    done: list[Rule] = []
    try:
        for rule in rules:
            done.append(register(rule))
        yield rules
    finally:
        for rule in done:
            _RULES.pop(rule.code, None)


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, by code."""
    return tuple(_RULES[code] for code in sorted(_RULES))


def get(code: str) -> Rule:
    """The rule registered as ``code``; UnknownRuleError otherwise."""
    try:
        return _RULES[code]
    except KeyError:
        raise UnknownRuleError(code, _RULES) from None


def check_selector(selector: str) -> str:
    """``selector`` normalised (``bap001`` -> ``BAP001``) if it is ``ALL`` or a prefix of a
    registered code; UnknownRuleError otherwise."""
    norm = selector.strip().upper()
    if norm == ALL or (norm and any(code.startswith(norm) for code in _RULES)):
        return norm
    raise UnknownRuleError(selector.strip(), _RULES)


def select(select: Iterable[str] | None = None, ignore: Iterable[str] = ()) -> tuple[Rule, ...]:
    """The rules ``select`` names (all when None) minus those ``ignore`` names, by code.

    Each entry is a code, a prefix of codes (``BAP``, ``BAP0``) or ``ALL``. As in ruff, a more
    specific entry overrides a less specific one (``select=["BAP"], ignore=["BAP001"]`` drops
    BAP001; ``select=["BAP001"], ignore=["BAP"]`` keeps it), and ``ignore`` wins a tie.
    UnknownRuleError for an entry that matches no rule.
    """
    entries = [(check_selector(s), True) for s in ([ALL] if select is None else select)]
    entries += [(check_selector(s), False) for s in ignore]
    entries.sort(key=lambda e: (-1 if e[0] == ALL else len(e[0]), not e[1]))
    chosen: set[str] = set()
    for prefix, on in entries:
        matched = {code for code in _RULES if prefix == ALL or code.startswith(prefix)}
        chosen = chosen | matched if on else chosen - matched
    return tuple(_RULES[code] for code in sorted(chosen))


def rules_index(rules: Iterable[Rule] | None = None) -> str:
    """docs/rules/README.md: a table of ``rules`` (default: every registered one)."""
    rows = "".join(
        f"| [{r.code}]({r.code}.md) | `{r.name}` | {r.summary} | {r.severity} |\n"
        for r in (all_rules() if rules is None else rules)
    )
    return (
        "# The rules of `bap check`\n\n"
        "Choose them by code or code prefix (`BAP001`, `BAP`, `ALL`) on the command line or in\n"
        "the `[tool.bap.lint]` table of `pyproject.toml`; `# noqa: CODE` suppresses one line.\n\n"
        "| Code | Name | What it finds | Severity |\n| --- | --- | --- | --- |\n" + rows
    )
