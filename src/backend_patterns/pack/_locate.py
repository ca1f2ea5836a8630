"""Where a pack is: the bundled one, the one a user names, the one installed in a project."""

from __future__ import annotations

import os

from ..errors import PackError

PACK_ENV = "BAP_PACK"
TRIGGERS = "triggers.yaml"
SKILL = "SKILL.md"
PATTERN_FILE = "pattern.yaml"
SKILL_NAME = "backend-api-patterns"
# Where ``bap install`` puts the pack inside a project; the hooks and MCP read it from there.
SKILL_SUBDIR = os.path.join(".claude", "skills", SKILL_NAME)


def bundled_pack_dir() -> str:
    """The pack shipped with the package: inside the wheel, or at the top of a checkout."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the package
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


def source_files(root: str) -> list[str]:
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
