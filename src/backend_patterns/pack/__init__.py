"""Finding and loading a pack: ``triggers.yaml``, ``SKILL.md``, ``patterns/<name>/pattern.yaml``.

A loaded pack is plain, validated data. Parsing YAML costs more than the rest of ``bap suggest``
together, so the parsed form is cached on disk, keyed by the content of every file it came from.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import zlib
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import PackError

if TYPE_CHECKING:
    from pathlib import Path

# Plain classes rather than dataclasses, and os.path rather than pathlib: this module is on the
# path of every prompt, and those two imports alone would cost more than the whole match.

PACK_ENV = "BAP_PACK"
TRIGGERS = "triggers.yaml"
SKILL = "SKILL.md"
PATTERN_FILE = "pattern.yaml"
SKILL_NAME = "backend-api-patterns"
# Where ``bap install`` puts the pack inside a project; the hooks and MCP read it from there.
SKILL_SUBDIR = os.path.join(".claude", "skills", SKILL_NAME)


class _Record:
    """Equality and repr from ``__slots__``, like a frozen dataclass without its import cost."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Record)
            and type(other) is type(self)
            and (self._values() == other._values())
        )

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


class ParamSpec(_Record):
    __slots__ = (
        "name",
        "kind",
        "help",
        "default",
        "derive",
        "required",
        "choices",
        "min",
        "max",
        "reserved",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        help: str,
        default: Any = None,
        derive: str | None = None,
        required: bool = False,
        choices: tuple[str, ...] = (),
        min: int | None = None,
        max: int | None = None,
        reserved: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.kind = kind
        self.help = help
        self.default = default
        self.derive = derive
        self.required = required
        self.choices = choices
        self.min = min
        self.max = max
        self.reserved = reserved  # values this param must never take


class FileSpec(_Record):
    __slots__ = ("path", "template", "tests")

    def __init__(self, path: str, template: str, tests: bool = False) -> None:
        self.path = path
        self.template = template
        self.tests = tests


class PatternSpec(_Record):
    __slots__ = ("name", "description", "usage", "summary", "dir", "params", "files")

    def __init__(
        self,
        name: str,
        description: str,
        usage: str,
        summary: str,
        dir: str,
        params: tuple[ParamSpec, ...],
        files: tuple[FileSpec, ...],
    ) -> None:
        self.name = name
        self.description = description
        self.usage = usage
        self.summary = summary
        self.dir = dir
        self.params = params
        self.files = files

    @property
    def directory(self) -> Path:
        from pathlib import Path

        return Path(self.dir)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


class Pack(_Record):
    __slots__ = ("dir", "triggers", "patterns", "compiled")

    def __init__(
        self,
        dir: str,
        triggers: dict[str, Any],
        patterns: dict[str, PatternSpec],
        compiled: dict[str, Any] | None = None,
    ) -> None:
        self.dir = dir
        self.triggers = triggers
        self.patterns = patterns
        self.compiled = compiled or {}  # the rules prepared for the matcher (see _rules.py)

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.dir)

    @property
    def skill_path(self) -> Path:
        return self.root / SKILL

    def pattern(self, name: str) -> PatternSpec:
        from ..errors import UnknownPatternError

        try:
            return self.patterns[name]
        except KeyError:
            raise UnknownPatternError(name, self.patterns) from None


def bundled_pack_dir() -> str:
    """The pack shipped with the package: inside the wheel, or at the top of a checkout."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # backend_patterns/
    inside = os.path.join(here, "_pack")
    if os.path.isfile(os.path.join(inside, TRIGGERS)):
        return inside
    return os.path.dirname(os.path.dirname(here))


def locate(pack_dir: str | os.PathLike[str] | None = None) -> str:
    """The pack to use: the argument, else ``$BAP_PACK``, else the bundled pack."""
    chosen = pack_dir if pack_dir is not None else os.environ.get(PACK_ENV) or None
    if chosen is None:
        return bundled_pack_dir()
    root = os.path.expanduser(os.fspath(chosen))
    if not os.path.isdir(root):
        raise PackError("pack folder not found.", path=root)
    if not os.path.isfile(os.path.join(root, TRIGGERS)):
        raise PackError(f"not a pack: it has no {TRIGGERS}.", path=root)
    return root


def installed_pack_dir(project: str | os.PathLike[str]) -> str | None:
    """The pack installed into ``project`` by ``bap install claude``, if there is one."""
    folder = os.path.join(project, SKILL_SUBDIR)
    return folder if os.path.isfile(os.path.join(folder, TRIGGERS)) else None


def load_pack(pack_dir: str | os.PathLike[str] | None = None, *, cache: bool = True) -> Pack:
    """Load and validate a pack, from the on-disk cache when its files have not changed."""
    root = locate(pack_dir)
    key_parts = [__version__, sys.version, _engine_stamp()]
    crc = 0
    for path in _source_files(root):
        try:
            with open(path, "rb") as handle:
                blob = handle.read()
        except OSError as exc:
            raise PackError(f"cannot read it ({exc.strerror}).", path=path) from None
        name = os.path.relpath(path, root).encode()
        crc = zlib.crc32(blob, zlib.crc32(name, crc))
        key_parts.append(f"{len(blob)}")
    key = f"{zlib.crc32(''.join(key_parts).encode(), crc):08x}{len(key_parts):02x}"
    raw = _read_cache(root, key) if cache else None
    if raw is None:
        from ._parse import parse

        raw = parse(root)
        if cache:
            _write_cache(root, key, raw)
    return _build(root, raw)


def _engine_stamp() -> str:
    """Changes whenever the code that prepares a pack changes, so a stale cache is never read:
    the size and mtime of every module of ``pack/`` and ``match/``."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamp = []
    for folder in ("pack", "match", os.path.join("match", "kinds")):
        try:
            entries = sorted(os.scandir(os.path.join(package, folder)), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".py"):
                info = entry.stat()
                stamp.append(f"{entry.name}:{info.st_mtime_ns}:{info.st_size}")
    return ",".join(stamp)


def _source_files(root: str) -> list[str]:
    files = [os.path.join(root, TRIGGERS)]
    patterns = os.path.join(root, "patterns")
    try:
        names = sorted(os.listdir(patterns))
    except OSError:
        return files
    for name in names:
        candidate = os.path.join(patterns, name, PATTERN_FILE)
        if os.path.isfile(candidate):
            files.append(candidate)
    return files


def _cache_file(root: str, key: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"{zlib.crc32(os.path.abspath(root).encode()):08x}"
    return os.path.join(base, "backend-api-patterns", f"pack-{tag}-{key}.marshal")


def _read_cache(root: str, key: str) -> dict[str, Any] | None:
    try:
        with open(_cache_file(root, key), "rb") as handle:
            raw = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return raw if isinstance(raw, dict) and raw.get("key") == key else None


def _write_cache(root: str, key: str, raw: dict[str, Any]) -> None:
    target = _cache_file(root, key)
    try:
        data = marshal.dumps({**raw, "key": key})
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        _prune(target)
    except (OSError, ValueError):
        pass  # a cache we cannot write only costs speed


def _prune(current: str) -> None:
    """Remove this pack's older cache files: one file per pack folder is all that is read."""
    folder, name = os.path.split(current)
    prefix = name.rsplit("-", 1)[0] + "-"  # pack-<folder tag>-
    for other in os.listdir(folder):
        if other.startswith(prefix) and other != name:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, other))


def _build(root: str, raw: dict[str, Any]) -> Pack:
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
            dir=os.path.join(root, "patterns", name),
            params=params,
            files=files,
        )
    return Pack(
        dir=root, triggers=raw["triggers"], patterns=patterns, compiled=raw.get("compiled")
    )
