"""Loading a pack: from the cache when its files have not changed, else parsed afresh."""

from __future__ import annotations

import os
from typing import Any

from ._cache import cache_key, read_cache, write_cache
from ._locate import locate
from ._records import Dependency, FileSpec, Pack, ParamSpec, PatternSpec


def load_pack(pack_dir: str | os.PathLike[str] | None = None, *, cache: bool = True) -> Pack:
    """Load and validate a pack, from the on-disk cache when its files have not changed."""
    root = locate(pack_dir)
    key = cache_key(root)
    raw = read_cache(root, key) if cache else None
    if raw is None:
        from ._parse import parse

        raw = parse(root)
        if cache:
            write_cache(root, key, raw)
    return _build(root, raw)


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
                infer=_hints(p.get("infer")),
            )
            for p in data.get("params") or []
        )
        files = tuple(
            FileSpec(
                path=f["path"],
                template=f["template"],
                tests=bool(f.get("tests", False)),
                role=str(f.get("role", "")),
                standalone=bool(f.get("standalone", False)),
                shared=bool(f.get("shared", False)),
            )
            for f in data["files"]
        )
        dependencies = tuple(
            Dependency(spec=d["spec"], tests=bool(d.get("tests", False)), when=d.get("when", ""))
            for d in data.get("dependencies") or []
        )
        patterns[name] = PatternSpec(
            name=name,
            description=str(info.get("description", "")).strip(),
            usage=str(info.get("usage", "")).strip(),
            summary=str(data.get("summary", "")).strip(),
            dir=os.path.join(root, "patterns", name),
            params=params,
            files=files,
            dependencies=dependencies,
        )
    return Pack(
        dir=root, triggers=raw["triggers"], patterns=patterns, compiled=raw.get("compiled")
    )


def _hints(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)
