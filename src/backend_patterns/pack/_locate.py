"""Where a pack is: the bundled one, the one a user names, the one installed in a project."""

from __future__ import annotations

import os

from ..errors import PackError

PACK_ENV = "BAP_PACK"
TRIGGERS = "triggers.yaml"
SKILL = "SKILL.md"
PATTERN_FILE = "pattern.yaml"
SKILL_NAME = "backend-api-patterns"
# Where ``bap install AGENT`` puts the pack inside a project, per agent; the hooks and the MCP
# server read it from there (install/__init__.py's agent table holds the same folders).
SKILL_ROOTS: dict[str, str] = {
    "claude": os.path.join(".claude", "skills"),
    "codex": os.path.join(".agents", "skills"),
    "cursor": os.path.join(".cursor", "skills"),
    "copilot": os.path.join(".github", "skills"),
    "gemini": os.path.join(".gemini", "skills"),
    "opencode": os.path.join(".opencode", "skills"),
}
SKILL_SUBDIR = os.path.join(SKILL_ROOTS["claude"], SKILL_NAME)
MANIFEST = ".bap-manifest.json"  # written by ``bap install`` into the skill folder


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


def installed_pack_dir(project: str | os.PathLike[str], agent: str | None = None) -> str | None:
    """The pack ``bap install`` put into ``project``, if there is one.

    With ``agent``, that agent's skill folder (or None). Without, the first folder, in the order
    of ``SKILL_ROOTS``, that holds a pack with the manifest ``bap install`` writes; else a pack in
    ``.claude/skills`` without one (installed before manifests).
    """
    root = os.fspath(project)

    def pack_in(name: str) -> str | None:
        folder = os.path.join(root, SKILL_ROOTS[name], SKILL_NAME)
        return folder if os.path.isfile(os.path.join(folder, TRIGGERS)) else None

    if agent is not None:
        return pack_in(agent) if agent in SKILL_ROOTS else None
    for name in SKILL_ROOTS:
        folder = pack_in(name)
        if folder is not None and os.path.isfile(os.path.join(folder, MANIFEST)):
            return folder
    return pack_in("claude")


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
