"""Errors that carry data. Only the front ends turn them into text and exit codes."""

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
    """Base of every error a user can cause. ``format_message`` builds the one-line text."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format_message(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} {self.hint}"
        return f"Error: {text}"

    def __str__(self) -> str:
        return self.format_message()


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

    def format_message(self) -> str:
        where = ""
        if self.path:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        rule = f"[{self.rule_id}] " if self.rule_id else ""
        hint = f" {self.hint}" if self.hint else ""
        return f"Error: {where}{rule}{self.message}{hint}"


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
    """A render parameter that is unknown, missing or invalid."""

    def __init__(
        self,
        message: str,
        *,
        pattern: str,
        param: str | None = None,
        allowed: Iterable[str] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.pattern = pattern
        self.param = param
        self.allowed = list(allowed)


class OutputExistsError(BapError):
    """``bap render --out`` would overwrite a file the user already has."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} already exists; nothing was written.", hint="Use --force to overwrite it."
        )
        self.path = path
