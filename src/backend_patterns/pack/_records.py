"""A loaded pack as plain, validated values: the pack, its patterns, their parameters and files.

Plain classes rather than dataclasses, and os.path rather than pathlib: this module is on the
path of every prompt, and those two imports alone would cost more than the whole match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._locate import SKILL

if TYPE_CHECKING:
    from pathlib import Path


class _Record:
    """Equality and repr from ``__slots__``, like a frozen dataclass without its import cost."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Record)
            and type(other) is type(self)
            and (self._values() == other._values())
        )

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


class ParamSpec(_Record):
    __slots__ = (
        "name",
        "kind",
        "help",
        "default",
        "derive",
        "required",
        "choices",
        "min",
        "max",
        "reserved",
        "infer",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        help: str,
        default: Any = None,
        derive: str | None = None,
        required: bool = False,
        choices: tuple[str, ...] = (),
        min: int | None = None,
        max: int | None = None,
        reserved: tuple[str, ...] = (),
        infer: tuple[Any, ...] = (),
    ) -> None:
        self.name = name
        self.kind = kind
        self.help = help
        self.default = default
        self.derive = derive
        self.required = required
        self.choices = choices
        self.min = min
        self.max = max
        self.reserved = reserved  # values this param must never take
        self.infer = infer  # where a task can state this value (see match/infer.py)


class FileSpec(_Record):
    """One file of a pattern. ``role`` names what the file is (models, router, db, app, ...):
    ``bap add`` places files by role and gives templates each role's module as ``mod``.
    ``standalone`` files (the app, pytest.ini) are written only by ``bap render``; ``shared``
    files (a db module, a backplane) are written by ``bap add`` only when the project lacks
    them."""

    __slots__ = ("path", "template", "tests", "role", "standalone", "shared")

    def __init__(
        self,
        path: str,
        template: str,
        tests: bool = False,
        role: str = "",
        standalone: bool = False,
        shared: bool = False,
    ) -> None:
        self.path = path
        self.template = template
        self.tests = tests
        self.role = role
        self.standalone = standalone
        self.shared = shared


class Dependency(_Record):
    """A requirement of a rendering: ``spec`` is a PEP 508 string; ``tests`` marks a
    test-only one; ``when`` is a Jinja expression over the parameters (empty: always)."""

    __slots__ = ("spec", "tests", "when")

    def __init__(self, spec: str, tests: bool = False, when: str = "") -> None:
        self.spec = spec
        self.tests = tests
        self.when = when


class PatternSpec(_Record):
    __slots__ = (
        "name",
        "description",
        "usage",
        "summary",
        "dir",
        "params",
        "files",
        "dependencies",
    )

    def __init__(
        self,
        name: str,
        description: str,
        usage: str,
        summary: str,
        dir: str,
        params: tuple[ParamSpec, ...],
        files: tuple[FileSpec, ...],
        dependencies: tuple[Dependency, ...] = (),
    ) -> None:
        self.name = name
        self.description = description
        self.usage = usage
        self.summary = summary
        self.dir = dir
        self.params = params
        self.files = files
        self.dependencies = dependencies

    @property
    def directory(self) -> Path:
        from pathlib import Path

        return Path(self.dir)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


class Pack(_Record):
    __slots__ = ("dir", "triggers", "patterns", "compiled")

    def __init__(
        self,
        dir: str,
        triggers: dict[str, Any],
        patterns: dict[str, PatternSpec],
        compiled: dict[str, Any] | None = None,
    ) -> None:
        self.dir = dir
        self.triggers = triggers
        self.patterns = patterns
        self.compiled = compiled or {}  # the rules prepared for the matcher (see triggers/)

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.dir)

    @property
    def skill_path(self) -> Path:
        return self.root / SKILL

    def pattern(self, name: str) -> PatternSpec:
        from ..errors import UnknownPatternError

        try:
            return self.patterns[name]
        except KeyError:
            raise UnknownPatternError(name, self.patterns) from None
