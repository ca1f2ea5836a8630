"""The ``[tool.bap.lint]`` table of a project's ``pyproject.toml``, as plain data.

The table is looked for in the nearest ``pyproject.toml`` that has one, walking up from where
the check starts (as ruff does with ``[tool.ruff]``)::

    [tool.bap.lint]
    select = ["BAP"]                      # codes or prefixes; default: every rule
    ignore = ["BAP001"]                   # codes or prefixes taken out of the selection
    json-attrs = ["Agent.agent_metadata"] # JSON columns declared outside the checked files
    exclude = ["migrations", "app/legacy/*.py"]  # globs, relative to the pyproject.toml
    max-file-bytes = 2097152              # larger files are skipped with a warning (2 MiB)

A malformed table raises LintConfigError naming the file and the key. Stdlib only.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import JsonAttrError, LintConfigError, UnknownRuleError
from ._engine import parse_json_attrs
from ._files import MAX_FILE_BYTES, Exclude
from .registry import check_selector

PYPROJECT = "pyproject.toml"
KEYS = ("select", "ignore", "json-attrs", "exclude", "max-file-bytes")


@dataclass(frozen=True, slots=True)
class LintConfig:
    """What ``[tool.bap.lint]`` says; ``path`` is None when no pyproject.toml has the table."""

    path: Path | None = None
    select: tuple[str, ...] | None = None  # None: every rule
    ignore: tuple[str, ...] = ()
    json_attrs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = MAX_FILE_BYTES

    @property
    def root(self) -> Path:
        """The folder ``exclude`` patterns are relative to."""
        return self.path.parent if self.path is not None else Path.cwd()

    def excluder(self) -> Exclude:
        return Exclude(self.root, self.exclude)


def start_dir(paths: Iterable[str]) -> Path:
    """Where to look for the config of a check of ``paths``: the folder they share (the
    current one when there are none)."""
    given = [Path(p).absolute() for p in paths]
    if not given:
        return Path.cwd()
    try:
        common = Path(os.path.commonpath(given))
    except ValueError:  # paths on different drives
        return Path.cwd()
    return common.parent if common.is_file() else common


def _kind(value: object) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    kinds |= {list: "an array", dict: "a table"}
    return next((name for t, name in kinds.items() if isinstance(value, t)), "a date or time")


def _strings(table: Mapping[str, object], key: str, path: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list):
        raise LintConfigError(
            f"expected an array of strings, got {_kind(value)}.", path=path, key=key
        )
    for i, item in enumerate(value, start=1):
        if not isinstance(item, str):
            raise LintConfigError(
                f"expected an array of strings; item {i} is {_kind(item)}.", path=path, key=key
            )
    return tuple(value)


def _codes(table: Mapping[str, object], key: str, path: str) -> tuple[str, ...]:
    codes = []
    for code in _strings(table, key, path):
        try:
            codes.append(check_selector(code))
        except UnknownRuleError as exc:
            raise LintConfigError(exc.message, path=path, key=key, hint=exc.hint) from None
    return tuple(codes)


def _positive_int(table: Mapping[str, object], key: str, path: str) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise LintConfigError(
            f"expected a positive integer, got {_kind(value)}.", path=path, key=key
        )
    if value <= 0:
        raise LintConfigError(f"expected a positive integer, got {value}.", path=path, key=key)
    return value


def parse_config(table: Mapping[str, object], path: Path) -> LintConfig:
    """``[tool.bap.lint]`` of ``path`` (already parsed) as a LintConfig; LintConfigError if bad."""
    where = str(path)
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            raise LintConfigError(
                f"unknown key (known: {', '.join(KEYS)}).",
                path=where,
                key=key,
                hint=f"Did you mean '{close[0]}'?" if close else None,
            )
    json_attrs = _strings(table, "json-attrs", where) if "json-attrs" in table else ()
    for item in json_attrs:
        try:
            parse_json_attrs([item])
        except JsonAttrError:
            raise LintConfigError(
                f"a JSON attribute is named Model.attr (e.g. Agent.agent_metadata), got {item!r}.",
                path=where,
                key="json-attrs",
            ) from None
    return LintConfig(
        path=path,
        select=_codes(table, "select", where) if "select" in table else None,
        ignore=_codes(table, "ignore", where) if "ignore" in table else (),
        json_attrs=json_attrs,
        exclude=_strings(table, "exclude", where) if "exclude" in table else (),
        max_file_bytes=(
            _positive_int(table, "max-file-bytes", where)
            if "max-file-bytes" in table
            else MAX_FILE_BYTES
        ),
    )


def _table(path: Path) -> Mapping[str, object] | None:
    """``[tool.bap.lint]`` of ``path``, or None when it has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise LintConfigError(f"cannot read ({reason}).", path=str(path)) from None
    if "bap" not in text:  # not ours: do not parse (or judge) someone else's file
        return None
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LintConfigError(f"not valid TOML ({exc}).", path=str(path)) from None
    tool = data.get("tool")
    bap = tool.get("bap") if isinstance(tool, dict) else None
    if bap is None:
        return None
    if not isinstance(bap, dict):
        raise LintConfigError(f"[tool.bap] is {_kind(bap)}, not a table.", path=str(path))
    lint = bap.get("lint")
    if lint is None:
        return None
    if not isinstance(lint, dict):
        raise LintConfigError(f"[tool.bap.lint] is {_kind(lint)}, not a table.", path=str(path))
    return lint


def find_config(start: Path) -> tuple[Path, Mapping[str, object]] | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.bap.lint]`` table."""
    folder = start.absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / PYPROJECT
        if path.is_file():
            table = _table(path)
            if table is not None:
                return path, table
    return None


def load_config(start: Path) -> LintConfig:
    """The config that applies at ``start``; an empty LintConfig when there is none."""
    found = find_config(start)
    return LintConfig() if found is None else parse_config(found[1], found[0])
