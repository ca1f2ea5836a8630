"""The one Jinja2 environment factory: every template and derive expression of a pack renders
in a sandbox (a pack can come from anyone), strictly (an unknown name is an error), with the
same filters."""

from __future__ import annotations

from typing import Any

from ..inflect import kebab, pluralize, snake


def environment(folder: str | None = None) -> Any:
    """A sandboxed environment; ``folder`` is where its templates are loaded from."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folder) if folder else None,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Python source, not HTML: values are validated instead
    )
    env.filters.update(snake=snake, kebab=kebab, pluralize=pluralize)
    return env
