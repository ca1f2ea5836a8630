"""The one Jinja2 environment factory: every template and derive expression of a pack renders
in a sandbox (a pack can come from anyone), strictly (an unknown name is an error), with the
same filters.

The sandbox is immutable (a template cannot change a list or dict it is given, so it builds
lists by concatenation in a ``namespace``) and bounded: ``range`` stops at ``MAX_RANGE``
items, ``*`` and ``**`` refuse results past ``MAX_OUTPUT`` characters or ``MAX_POWER_BITS``
bits, and ``render`` stops a template whose output passes ``MAX_OUTPUT`` characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..inflect import kebab, pluralize, snake

MAX_RANGE = 10_000  # items of one range()
MAX_OUTPUT = 2_000_000  # characters of one rendered file (or string or list a template makes)
MAX_POWER_BITS = 4_096  # bits of a number a template raises to a power


class OutputTooLarge(Exception):
    """A template producing more than ``MAX_OUTPUT`` characters."""


def _range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise OverflowError(
            f"range() of {len(rng):,} items; templates may loop over at most {MAX_RANGE:,}."
        )
    return rng


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _multiply(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        size = _sized(seq)
        if size is not None and isinstance(times, int) and size * times > MAX_OUTPUT:
            raise OverflowError(
                f"repeating a sequence of {size:,} items {times:,} times passes the "
                f"{MAX_OUTPUT:,} limit of a template."
            )
    return left * right


def _power(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0:
        bits = max(abs(left).bit_length(), 1) * right
        if abs(left) > 1 and bits > MAX_POWER_BITS:
            raise OverflowError(f"{left} ** {right} is too large for a template.")
    return left**right


def _lipsum(lipsum: Any) -> Any:
    def bounded(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
        if n * max > MAX_RANGE * 10:
            raise OverflowError(f"lipsum({n}, max={max}) is too long for a template.")
        return lipsum(n=n, html=html, min=min, max=max)

    return bounded


def render_capped(template: Any, values: dict[str, Any]) -> str:
    """``template.render(**values)``, stopped (``OutputTooLarge``) as soon as its output
    passes ``MAX_OUTPUT`` characters, before it is all in memory."""
    chunks: list[str] = []
    size = 0
    stream: Iterator[str] = template.generate(**values)
    for chunk in stream:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise OutputTooLarge(
                f"the template renders more than {MAX_OUTPUT:,} characters; nothing was written."
            )
        chunks.append(chunk)
    return "".join(chunks)


def environment(folder: str | None = None) -> Any:
    """A sandboxed environment; ``folder`` is where its templates are loaded from."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.globals["range"] = _range
            self.globals["lipsum"] = _lipsum(self.globals["lipsum"])
            self.binop_table = {**self.binop_table, "*": _multiply, "**": _power}

    env = Sandbox(
        loader=jinja2.FileSystemLoader(folder) if folder else None,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Python source, not HTML: values are validated instead
    )
    env.filters.update(snake=snake, kebab=kebab, pluralize=pluralize)
    return env
