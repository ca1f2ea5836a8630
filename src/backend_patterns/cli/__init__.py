"""The ``bap`` commands that work on the pack, the triggers, renderings and lint findings.

Each subcommand lives in its own module, imported only when it runs (``program.py`` routes to
it). Only the program's top level prints errors; everything here raises ``BapError``, and
``word`` (in ``_words.py``) says it with this front end's flag names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..errors import BapError


def word(exc: BapError) -> str:
    """``exc`` as the CLI says it: the engine's sentence plus the flag that fixes it."""
    from ..errors import JsonAttrError, OutputExistsError, ParamError

    text = exc.describe()
    if isinstance(exc, OutputExistsError):
        return f"{text} Use --force to overwrite it."
    if isinstance(exc, ParamError) and exc.param and exc.reason == "missing":
        return f"{text} Pass it with --set {exc.param}=VALUE."
    if isinstance(exc, ParamError) and exc.param and exc.derived:
        return f"{text} Set it yourself with --set {exc.param}=VALUE."
    if isinstance(exc, JsonAttrError):
        return f"--json-attr takes Model.attr (e.g. Agent.agent_metadata), got {exc.value!r}."
    return text
