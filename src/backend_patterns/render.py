"""Rendering a pattern's Jinja2 templates into files, and writing them safely."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import BapError, OutputExistsError
from .pack import Pack, PatternSpec, load_pack
from .params import kebab, pluralize, resolve, snake


@dataclass(frozen=True, slots=True)
class RenderedFile:
    path: str  # POSIX, relative to the output folder
    content: str


class TemplateError(BapError):
    """A template of the pack that does not render: names the file and line."""

    def __init__(self, message: str, *, path: str, line: int | None, source: str | None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.source = source

    def format_message(self) -> str:
        where = f'File "{self.path}"' + (f", line {self.line}" if self.line else "")
        text = f"Error: {where}: {self.message}"
        if self.source:
            text += f"\n    {self.source.strip()}"
        return text


def _environment(pattern: PatternSpec) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(pattern.directory)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - Python source, not HTML; values are validated instead
    )
    env.filters.update(snake=snake, kebab=kebab, pluralize=pluralize)
    return env


def render(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    with_tests: bool = False,
    pack: Pack | None = None,
) -> list[RenderedFile]:
    """Render pattern ``name`` with ``params`` (validated, defaults filled in)."""
    import jinja2

    pack = pack or load_pack()
    pattern = pack.pattern(name)
    values = resolve(pattern, params or {})
    env = _environment(pattern)
    out: list[RenderedFile] = []
    for spec in pattern.files:
        if spec.tests and not with_tests:
            continue
        try:
            path = env.from_string(spec.path).render(**values)
            content = env.get_template(spec.template).render(**values)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(exc.message or "syntax error", path=exc.filename or spec.template,
                                line=exc.lineno, source=exc.source.splitlines()[exc.lineno - 1]
                                if exc.source and exc.lineno else None) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(str(exc), path=str(pattern.directory / spec.template),
                                line=None, source=None) from None
        out.append(RenderedFile(path=_safe_relative(path), content=content))
    return out


def _safe_relative(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise BapError(f"refusing to write outside the output folder: {path!r}.")
    return pure.as_posix()


def write_files(files: Sequence[RenderedFile], out_dir: str | os.PathLike[str], *,
                force: bool = False) -> list[Path]:
    """Write ``files`` below ``out_dir`` atomically. Refuses to overwrite unless ``force``.

    Every target is checked before anything is written, so a refusal leaves the folder as it was.
    """
    root = Path(out_dir).resolve()
    targets: list[Path] = []
    for f in files:
        target = (root / _safe_relative(f.path)).resolve()
        if not target.is_relative_to(root):
            raise BapError(f"refusing to write outside {root}: {f.path!r}.")
        if target.exists() and not force:
            raise OutputExistsError(str(target))
        targets.append(target)
    for f, target in zip(files, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(f.content)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return targets
