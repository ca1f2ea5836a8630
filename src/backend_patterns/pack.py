"""Finding and loading a pack: ``triggers.yaml``, ``SKILL.md`` and ``patterns/<name>/pattern.yaml``.

A loaded pack is plain, validated data. Parsing YAML costs more than the rest of ``bap suggest``
together, so the parsed form is cached on disk, keyed by the content of every file it came from.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .errors import PackError, did_you_mean

PACK_ENV = "BAP_PACK"
TRIGGERS = "triggers.yaml"
SKILL = "SKILL.md"
PATTERN_FILE = "pattern.yaml"

_PATTERN_KEYS = {"summary", "params", "files"}
_PARAM_KEYS = {
    "name", "kind", "default", "derive", "required", "choices", "help", "min", "max", "reserved",
}
_PARAM_KINDS = {"pascal", "snake", "choice", "fields", "field", "route", "int", "bool", "text"}
_FILE_KEYS = {"path", "template", "tests"}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    kind: str
    help: str
    default: Any = None
    derive: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    reserved: tuple[str, ...] = ()  # values this param must never take


@dataclass(frozen=True, slots=True)
class FileSpec:
    path: str
    template: str
    tests: bool = False


@dataclass(frozen=True, slots=True)
class PatternSpec:
    name: str
    description: str
    usage: str
    summary: str
    directory: Path
    params: tuple[ParamSpec, ...]
    files: tuple[FileSpec, ...]

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True, slots=True)
class Pack:
    root: Path
    triggers: dict[str, Any]
    patterns: dict[str, PatternSpec]

    @property
    def skill_path(self) -> Path:
        return self.root / SKILL

    def pattern(self, name: str) -> PatternSpec:
        from .errors import UnknownPatternError

        try:
            return self.patterns[name]
        except KeyError:
            raise UnknownPatternError(name, self.patterns) from None


def bundled_pack_dir() -> Path:
    """The pack shipped with the package: inside the wheel, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    inside = here / "_pack"
    if (inside / TRIGGERS).is_file():
        return inside
    return here.parent.parent


def locate(pack_dir: str | os.PathLike[str] | None = None) -> Path:
    """The pack to use: the argument, else ``$BAP_PACK``, else the bundled pack."""
    chosen = pack_dir if pack_dir is not None else os.environ.get(PACK_ENV) or None
    if chosen is None:
        return bundled_pack_dir()
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise PackError("pack folder not found.", path=str(root))
    if not (root / TRIGGERS).is_file():
        raise PackError(f"not a pack: it has no {TRIGGERS}.", path=str(root))
    return root


def load_pack(pack_dir: str | os.PathLike[str] | None = None, *, cache: bool = True) -> Pack:
    """Load and validate a pack, from the on-disk cache when its files have not changed."""
    root = locate(pack_dir)
    sources = _source_files(root)
    blobs = []
    for path in sources:
        try:
            blobs.append(path.read_bytes())
        except OSError as exc:
            raise PackError(f"cannot read it ({exc.strerror}).", path=str(path)) from None
    digest = hashlib.blake2b(digest_size=16)
    digest.update(__version__.encode())
    for path, blob in zip(sources, blobs, strict=True):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + blob + b"\0")
    key = digest.hexdigest()
    raw = _read_cache(key) if cache else None
    if raw is None:
        raw = _parse(root)
        if cache:
            _write_cache(key, raw)
    return _build(root, raw)


def _source_files(root: Path) -> list[Path]:
    files = [root / TRIGGERS]
    patterns = root / "patterns"
    if patterns.is_dir():
        files += sorted(patterns.glob(f"*/{PATTERN_FILE}"))
    return files


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "backend-api-patterns"


def _read_cache(key: str) -> dict[str, Any] | None:
    try:
        data = (_cache_dir() / f"pack-{key}.marshal").read_bytes()
        raw = marshal.loads(data)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return raw if isinstance(raw, dict) else None


def _write_cache(key: str, raw: dict[str, Any]) -> None:
    directory = _cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".pack-{key}.{os.getpid()}.tmp"
        tmp.write_bytes(marshal.dumps(raw))
        os.replace(tmp, directory / f"pack-{key}.marshal")
    except (OSError, ValueError):
        pass  # a cache we cannot write only costs speed


def _parse(root: Path) -> dict[str, Any]:
    """Parse and validate every file of the pack into marshal-able plain data."""
    from ._schema import validate_triggers
    from ._yaml import load_with_lines

    triggers_path = root / TRIGGERS
    triggers, lines = load_with_lines(triggers_path)
    patterns: dict[str, Any] = {}
    for path in _source_files(root)[1:]:
        name = path.parent.name
        data, plines = load_with_lines(path)
        patterns[name] = _check_pattern(name, data, plines, str(path))
    declared = validate_triggers(triggers, lines, str(triggers_path), set(patterns))
    for name in declared:
        if name not in patterns:
            expected = root / "patterns" / name / PATTERN_FILE
            raise PackError(f"pattern '{name}' is declared but {expected} is missing.",
                            path=str(triggers_path), line=lines.get(("patterns", name)))
    return {"triggers": triggers, "patterns": patterns}


def _unknown_key(key: str, allowed: set[str], path: str, line: int | None, what: str) -> PackError:
    guess = did_you_mean(key, allowed)
    return PackError(f"unknown key '{key}' in {what}.", path=path, line=line,
                     hint=f"Did you mean '{guess}'?" if guess else
                     f"Allowed: {', '.join(sorted(allowed))}.")


def _check_pattern(name: str, data: Any, lines: dict[Any, int], path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PackError("a pattern file must be a mapping.", path=path, line=1)
    for key in data:
        if key not in _PATTERN_KEYS:
            raise _unknown_key(key, _PATTERN_KEYS, path, lines.get((key,)), "a pattern")
    if "files" not in data:
        raise PackError("missing required key 'files'.", path=path, line=1)
    params = data.get("params") or []
    if not isinstance(params, list):
        raise PackError("'params' must be a list.", path=path, line=lines.get(("params",)))
    for i, param in enumerate(params):
        line = lines.get(("params", i))
        if not isinstance(param, dict) or "name" not in param:
            raise PackError("each param needs a 'name'.", path=path, line=line)
        for key in param:
            if key not in _PARAM_KEYS:
                raise _unknown_key(key, _PARAM_KEYS, path, lines.get(("params", i, key)),
                                   f"param '{param['name']}'")
        kind = param.get("kind", "text")
        if kind not in _PARAM_KINDS:
            guess = did_you_mean(str(kind), _PARAM_KINDS)
            raise PackError(f"unknown param kind '{kind}'.", path=path,
                            line=lines.get(("params", i, "kind")),
                            hint=f"Did you mean '{guess}'?" if guess else None)
    files = data["files"]
    if not isinstance(files, list) or not files:
        raise PackError("'files' must be a non-empty list.", path=path, line=lines.get(("files",)))
    directory = Path(path).parent
    for i, spec in enumerate(files):
        line = lines.get(("files", i))
        if not isinstance(spec, dict) or not {"path", "template"} <= set(spec):
            raise PackError("each file needs 'path' and 'template'.", path=path, line=line)
        for key in spec:
            if key not in _FILE_KEYS:
                raise _unknown_key(key, _FILE_KEYS, path, lines.get(("files", i, key)), "a file")
        if not (directory / spec["template"]).is_file():
            raise PackError(f"template '{spec['template']}' not found in {directory}.",
                            path=path, line=line)
    return data


def _build(root: Path, raw: dict[str, Any]) -> Pack:
    patterns: dict[str, PatternSpec] = {}
    declared = raw["triggers"].get("patterns") or {}
    for name, data in raw["patterns"].items():
        info = declared.get(name) or {}
        params = tuple(
            ParamSpec(
                name=p["name"],
                kind=p.get("kind", "text"),
                help=p.get("help", ""),
                default=p.get("default"),
                derive=p.get("derive"),
                required=bool(p.get("required", False)),
                choices=tuple(str(c) for c in p.get("choices", ())),
                min=p.get("min"),
                max=p.get("max"),
                reserved=tuple(str(r) for r in p.get("reserved", ())),
            )
            for p in data.get("params") or []
        )
        files = tuple(
            FileSpec(path=f["path"], template=f["template"], tests=bool(f.get("tests", False)))
            for f in data["files"]
        )
        patterns[name] = PatternSpec(
            name=name,
            description=str(info.get("description", "")).strip(),
            usage=str(info.get("usage", "")).strip(),
            summary=str(data.get("summary", "")).strip(),
            directory=root / "patterns" / name,
            params=params,
            files=files,
        )
    return Pack(root=root, triggers=raw["triggers"], patterns=patterns)
