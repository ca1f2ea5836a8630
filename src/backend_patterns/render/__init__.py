"""Rendering a pattern's Jinja2 templates into files, and writing them safely."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from .._fs import place, stage
from ..errors import BapError, OutputExistsError, TemplateError, UnsafePathError
from ..pack import PATTERN_FILE, FileSpec, Pack, PatternSpec, load_pack
from ._jinja import OutputTooLarge, environment, render_capped
from ._target import Ref, SessionRef, Target, module_of, project_context, standalone_context
from .params import resolve

__all__ = [
    "Ref",
    "RenderedFile",
    "Rendering",
    "SessionRef",
    "Target",
    "module_of",
    "render",
    "render_pattern",
    "write_files",
]

# Names the import context gives every template; a parameter may not take one of them.
CONTEXT_NAMES = frozenset({"mod", "base", "session", "models", "standalone"})


@dataclass(frozen=True, slots=True)
class RenderedFile:
    path: str  # POSIX, relative to the output folder (or the project root, for a Target)
    content: str
    role: str = ""  # what the file is (models, router, ...), from pattern.yaml
    tests: bool = False


@dataclass(frozen=True, slots=True)
class Rendering:
    """A rendered pattern: the parameters it was rendered with (validated) and its files."""

    pattern: str
    params: dict[str, Any]
    files: list[RenderedFile]


def _line_of(path: str, line: int | None) -> str | None:
    if not line:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[line - 1] if 0 < line <= len(lines) else None


def _traceback_line(tb: TracebackType | None, filename: str) -> int | None:
    """The innermost line of ``filename`` in a traceback (Jinja maps frames to template lines)."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def _template_error(
    exc: Exception, pattern: PatternSpec, spec: FileSpec, in_path: bool
) -> TemplateError:
    import jinja2

    if in_path:  # the error is in the file's `path:` expression of pattern.yaml
        yaml_path = str(pattern.directory / PATTERN_FILE)
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return TemplateError(
            f"in the path expression {spec.path!r}: {message}",
            path=yaml_path,
            line=None,
            source=None,
        )
    template_path = str(pattern.directory / spec.template)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = exc.filename or template_path
        source = None
        if exc.source and exc.lineno:
            lines = exc.source.splitlines()
            source = lines[exc.lineno - 1] if exc.lineno <= len(lines) else None
        return TemplateError(
            exc.message or "syntax error",
            path=path,
            line=exc.lineno,
            source=source or _line_of(path, exc.lineno),
        )
    line = _traceback_line(exc.__traceback__, template_path)
    if isinstance(exc, jinja2.TemplateError):
        message = exc.message or type(exc).__name__
    elif isinstance(exc, OutputTooLarge):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    return TemplateError(
        message, path=template_path, line=line, source=_line_of(template_path, line)
    )


def render_pattern(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    with_tests: bool = False,
    pack: Pack | None = None,
    target: Target | None = None,
) -> Rendering:
    """Render pattern ``name`` with ``params`` (validated, defaults filled in).

    Without ``target`` the rendering is standalone (``bap render``). With one, files marked
    ``standalone`` are left out, ``shared`` files the project already has are not rendered, and
    each file goes to its role's path in ``target``."""
    pack = pack or load_pack()
    pattern = pack.pattern(name)
    values = resolve(pattern, params or {})
    clash = sorted(CONTEXT_NAMES & set(values))
    if clash:
        raise BapError(f"pattern {name} has a parameter named {clash[0]!r}, a reserved name.")
    env = environment(pattern.dir)
    chosen: list[tuple[FileSpec, str]] = []
    for spec in pattern.files:
        if spec.tests and not with_tests:
            continue
        if target is not None and (
            spec.standalone or (spec.shared and spec.role in target.existing)
        ):
            continue
        try:
            path = render_capped(env.from_string(spec.path), values)
        except Exception as exc:  # a pack template failing in any way is reported, not raised
            raise _template_error(exc, pattern, spec, True) from None
        if target is not None:
            if spec.role not in target.paths:
                raise BapError(f"no place for the {spec.role or spec.path!r} file of {name}.")
            path = target.paths[spec.role]
        chosen.append((spec, _safe_relative(path)))
    written = {spec.role: path for spec, path in chosen if spec.role}
    context = standalone_context(written) if target is None else project_context(target, written)
    out: list[RenderedFile] = []
    seen: set[str] = set()
    for spec, relative in chosen:
        try:
            content = render_capped(env.get_template(spec.template), {**values, **context})
        except Exception as exc:  # a pack template failing in any way is reported, not raised
            raise _template_error(exc, pattern, spec, False) from None
        if relative in seen:
            raise BapError(f"pattern {name} renders {relative!r} twice; check its file paths.")
        seen.add(relative)
        out.append(RenderedFile(relative, content, role=spec.role, tests=spec.tests))
    return Rendering(pattern=name, params=values, files=out)


def render(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    with_tests: bool = False,
    pack: Pack | None = None,
) -> list[RenderedFile]:
    """The files of pattern ``name`` rendered with ``params`` (``render_pattern`` without the
    resolved parameters)."""
    return render_pattern(name, params, with_tests=with_tests, pack=pack).files


def _safe_relative(path: str) -> str:
    pure = PurePosixPath(path.strip())
    if (
        not path.strip()
        or pure.is_absolute()
        or ".." in pure.parts
        or not pure.parts
        or "\\" in path
        or "\0" in path
    ):
        raise UnsafePathError(f"refusing to write outside the output folder: {path!r}.")
    return pure.as_posix()


def _plan(files: Sequence[RenderedFile], root: Path, force: bool) -> list[Path]:
    """Check every target before anything is written; return the real paths to write."""
    targets: list[Path] = []
    for f in files:
        given = root / _safe_relative(f.path)
        target = given.resolve()
        if not target.is_relative_to(root):
            raise UnsafePathError(f"refusing to write outside {root}: {f.path!r}.")
        if target.is_dir():
            raise BapError(f"{target} is a folder; nothing was written.")
        if target.suffix == ".py" and target.with_suffix("").is_dir():
            raise BapError(
                f"{target} would hide the package {target.with_suffix('')}/; nothing was written."
            )
        # ``target`` is resolved: a symlink at the name given (dangling, say) is seen on ``given``
        if (target.exists() or given.is_symlink()) and not force:
            raise OutputExistsError(str(target))
        for parent in target.parents:
            if parent == root:
                break
            if parent.exists() and not parent.is_dir():
                raise BapError(f"{parent} is a file, not a folder; nothing was written.")
        targets.append(target)
    return targets


def write_files(
    files: Sequence[RenderedFile], out_dir: str | os.PathLike[str], *, force: bool = False
) -> list[Path]:
    """Write ``files`` below ``out_dir``. Refuses to overwrite unless ``force``.

    Every target is checked before anything is written, and each file appears whole (staged in
    a temporary file, then linked or renamed into place), so a refusal leaves the folder as it
    was. Without ``force`` a file created meanwhile by someone else is never clobbered: the
    files this call created are removed again and nothing is left behind.
    """
    given = Path(out_dir).expanduser()
    if given.exists() and not given.is_dir():
        raise BapError(f"{given} exists and is not a folder.")
    root = given.resolve()
    targets = _plan(files, root, force)
    staged: list[tuple[str, Path]] = []  # temporary files not yet in place
    created: list[Path] = []
    try:
        for f, target in zip(files, targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.append((stage(target, f.content), target))
        while staged:
            temp, target = staged[0]
            place(temp, target, create_only=not force)
            staged.pop(0)
            if not force:
                created.append(target)
    except FileExistsError as exc:
        for path in created:
            path.unlink(missing_ok=True)
        raise OutputExistsError(str(exc.filename or "a target")) from None
    except OSError as exc:
        for path in created:
            path.unlink(missing_ok=True)
        where = exc.filename or root
        raise BapError(f"cannot write {where}: {exc.strerror or exc}.") from None
    finally:
        for temp, _ in staged:
            Path(temp).unlink(missing_ok=True)
    return targets
