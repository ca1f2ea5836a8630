"""Errors that carry data. The engine raises them; only the front ends word them for a person
(the CLI with its flag names, MCP with its argument names) and choose exit codes.

``describe()`` is the front-end-neutral sentence: what went wrong, plus a neutral hint such as
"Did you mean ...?". No message here names a command-line flag.
"""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close enough to suggest."""
    from rapidfuzz import fuzz, process

    options = list(choices)
    if not word or not options:
        return None
    best = process.extractOne(word, options, scorer=fuzz.WRatio, score_cutoff=60)
    return None if best is None else str(best[0])


class BapError(Exception):
    """Base of every error a user can cause."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def describe(self) -> str:
        """The sentence a front end shows, without any ``Error:`` prefix."""
        return f"{self.message} {self.hint}" if self.hint else self.message

    def __str__(self) -> str:
        return self.describe()


class UsageError(BapError):
    """Bad arguments or bad input: an empty task, a malformed line, undecodable stdin."""


class PackError(BapError):
    """A pack that does not load: bad YAML, an unknown key, a regex that does not compile."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        rule_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line
        self.rule_id = rule_id

    def describe(self) -> str:
        where = ""
        if self.path:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        rule = f"[{self.rule_id}] " if self.rule_id else ""
        hint = f" {self.hint}" if self.hint else ""
        return f"{where}{rule}{self.message}{hint}"


class UnknownPatternError(BapError):
    """A pattern name that the pack does not have."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        guess = did_you_mean(name, known)
        hint = f"Did you mean '{guess}'?" if guess else None
        super().__init__(f"unknown pattern '{name}' (choose from: {', '.join(known)}).", hint=hint)
        self.name = name
        self.known = known


class ParamError(BapError):
    """A render parameter that is unknown, missing or invalid.

    ``reason`` is ``unknown``, ``missing`` or ``invalid``; ``derived`` says the bad value was
    derived from other parameters rather than given, so the fix is to give it.
    """

    def __init__(
        self,
        message: str,
        *,
        pattern: str,
        param: str | None = None,
        allowed: Iterable[str] = (),
        hint: str | None = None,
        reason: str = "invalid",
        derived: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.pattern = pattern
        self.param = param
        self.allowed = list(allowed)
        self.reason = reason
        self.derived = derived


class OutputExistsError(BapError):
    """Writing would overwrite a file the user already has; nothing was written."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} already exists; nothing was written.")
        self.path = path


class TemplateError(BapError):
    """A template of a pack that does not render: names the file, the line and its source."""

    def __init__(self, message: str, *, path: str, line: int | None, source: str | None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.source = source

    def describe(self) -> str:
        where = f'File "{self.path}"' + (f", line {self.line}" if self.line else "")
        text = f"{where}: {self.message}"
        if self.source and self.source.strip():
            text += f"\n    {self.source.strip()}"
        return text


class UnsafePathError(BapError):
    """A rendered path that would land outside the output folder."""


class JsonAttrError(UsageError):
    """A JSON attribute named for the linter that is not ``Model.attr``."""

    def __init__(self, value: str) -> None:
        super().__init__(
            f"a JSON attribute is named Model.attr (e.g. Agent.agent_metadata), got {value!r}."
        )
        self.value = value


class UnknownRuleError(UsageError):
    """A lint rule code (or code prefix) that matches no registered rule."""

    def __init__(self, code: str, known: Iterable[str]) -> None:
        import difflib  # not did_you_mean: the linter stays stdlib-only, even when it fails

        codes = sorted(known)
        close = difflib.get_close_matches(code.upper(), codes, n=1, cutoff=0.6)
        self.code = code
        self.known = codes
        self.guess = close[0] if close else None
        hint = f"Did you mean '{self.guess}'?" if self.guess else None
        super().__init__(f"unknown rule code '{code}' (rules: {', '.join(codes)}).", hint=hint)


class LintConfigError(UsageError):
    """A ``[tool.bap.lint]`` table that does not load: names the file and the key."""

    def __init__(
        self, message: str, *, path: str, key: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.key = key

    def describe(self) -> str:
        where = f"{self.path}: [tool.bap.lint] {self.key}" if self.key else self.path
        hint = f" {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{hint}"
