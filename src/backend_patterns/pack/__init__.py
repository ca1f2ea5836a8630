"""Finding, loading, validating and caching a pack: ``triggers.yaml``, ``SKILL.md``,
``patterns/<name>/pattern.yaml``.

A loaded pack is plain, validated data. Parsing YAML costs more than the rest of ``bap suggest``
together, so the parsed form is cached on disk, keyed by the content of every file it came from.
"""

from __future__ import annotations

from ._load import load_pack
from ._locate import (
    PACK_ENV,
    PATTERN_FILE,
    SKILL,
    SKILL_NAME,
    SKILL_SUBDIR,
    TRIGGERS,
    bundled_pack_dir,
    installed_pack_dir,
    locate,
    source_files,
)
from ._records import Dependency, FileSpec, Pack, ParamSpec, PatternSpec

__all__ = [
    "PACK_ENV",
    "PATTERN_FILE",
    "SKILL",
    "SKILL_NAME",
    "SKILL_SUBDIR",
    "TRIGGERS",
    "Dependency",
    "FileSpec",
    "Pack",
    "ParamSpec",
    "PatternSpec",
    "bundled_pack_dir",
    "installed_pack_dir",
    "load_pack",
    "locate",
    "source_files",
]
