"""YAML loading that remembers where every value came from, for errors with ``file:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PackError

Where = tuple[str | int, ...]

MAX_BYTES = 5 * 1024 * 1024  # a pack file (or a file of eval cases) larger than this is refused
# Values that aliases may add beyond the document's own nodes: an alias repeats its anchor's
# whole value, so a few lines of nested aliases ("billion laughs") could expand to billions.
MAX_ALIAS_VALUES = 100_000


def load_with_lines(path: Path) -> tuple[Any, dict[Where, int]]:
    """Parse ``path`` into plain Python data plus a map from key paths to 1-based lines."""
    import yaml

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PackError(
                f"the file is {size:,} bytes; a pack file may hold at most {MAX_BYTES:,}.",
                path=str(path),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackError("file not found.", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise PackError(f"not valid UTF-8 ({exc.reason}).", path=str(path)) from None
    except OSError as exc:
        raise PackError(f"cannot read it ({exc.strerror}).", path=str(path)) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise PackError(
            f"invalid YAML: {exc.problem or exc.context}.", path=str(path), line=line
        ) from None
    except yaml.YAMLError as exc:
        raise PackError(f"invalid YAML: {exc}.", path=str(path)) from None
    lines: dict[Where, int] = {}
    if node is None:
        return None, lines
    builder = _Builder(str(path), lines, _count(node) + MAX_ALIAS_VALUES)
    try:
        return builder.build(node, ()), lines
    except RecursionError:  # an alias inside its own anchor: a value without end
        raise PackError(
            "an alias inside the value it names repeats that value without end.",
            path=str(path),
        ) from None


def _count(root: Any) -> int:
    """The number of distinct nodes of a composed document (an alias adds none)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        value = node.value
        if isinstance(value, list):
            for item in value:
                stack.extend(item if isinstance(item, tuple) else (item,))
    return len(seen)


class _Builder:
    def __init__(self, path: str, lines: dict[Where, int], budget: int) -> None:
        import yaml

        self.yaml = yaml
        self.path = path
        self.lines = lines
        self.scalars = yaml.constructor.SafeConstructor()
        self.budget = budget  # values left to build: aliases must not expand past it

    def build(self, node: Any, where: Where) -> Any:
        yaml, lines, path = self.yaml, self.lines, self.path
        self.budget -= 1
        if self.budget < 0:
            raise PackError(
                f"its aliases expand to more than {MAX_ALIAS_VALUES:,} extra values (an alias "
                "bomb?); write the values out or use fewer nested aliases.",
                path=path,
                line=node.start_mark.line + 1,
            )
        lines[where] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise PackError("a mapping key must be a plain string.", path=path, line=line)
                key = key_node.value
                if key in out:
                    raise PackError(f"duplicate key '{key}'.", path=path, line=line)
                out[key] = self.build(value_node, (*where, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*where, i)) for i, item in enumerate(node.value)]
        # Scalars: the safe constructor resolves ints, bools and nulls as usual.
        return self.scalars.construct_object(node, deep=True)
