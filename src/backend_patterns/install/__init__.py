"""Installing the skill, the hooks and the MCP server into an assistant, and removing them again.

``install_agent`` copies the pack into the folder the agent reads skills from, with a manifest of
what it wrote (``.bap-manifest.json``: each file's sha256), and merges our MCP server (and, for
Claude Code, Codex and Gemini CLI, three hooks) into the agent's config files. Every change is
planned and checked first and then made all together (``_plan``): a refusal or a failed write
leaves every file as it was. ``uninstall_agent`` removes only the files whose content is still
exactly what install wrote and only the entries that are exactly ours; the rest is kept and named.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._fs import read_bytes_bounded
from ..pack import SKILL_NAME
from ._claude import (
    CODEX_HOOKS,
    GEMINI_HOOKS,
    Events,
    Report,
    claude_mcp_add_line,
    cursor_snippet,
    dump_json,
    load_json,
    merge_hooks,
    merge_mcp,
    remove_hooks,
    remove_mcp,
)
from ._commands import InstallError, interpreter
from ._plan import FILE_MAX, Plan

__all__ = [
    "AGENTS",
    "InstallError",
    "Report",
    "claude_mcp_add_line",
    "cursor_snippet",
    "install_agent",
    "install_claude",
    "target_root",
    "uninstall_agent",
    "uninstall_claude",
]

MANIFEST = ".bap-manifest.json"


@dataclass(frozen=True)
class Agent:
    """Where one assistant reads skills and MCP servers, for a project and for a user."""

    name: str
    skills: str  # the folder holding skill folders, relative to the project
    user_skills: str  # ... relative to the home folder
    mcp: str | None  # the MCP config file, relative to the project
    user_mcp: str | None  # ... relative to the home folder (None: not a file we write)
    mcp_key: str  # the table or object that holds the servers
    mcp_style: str  # how an entry is spelled: claude, vscode, opencode
    hooks: str  # what we do about hooks, for the docs and the CLI
    hook_file: str | None = None  # the JSON file our hooks go in (not Claude: see install_agent)
    user_hook_file: str | None = None  # ... relative to the home folder
    hook_events: Events | None = None


AGENTS: dict[str, Agent] = {
    a.name: a
    for a in (
        Agent(
            "claude",
            ".claude/skills",
            ".claude/skills",
            ".mcp.json",
            None,
            "mcpServers",
            "claude",
            "three hooks in .claude/settings.json",
        ),
        Agent(
            "codex",
            ".agents/skills",
            ".agents/skills",
            ".codex/config.toml",
            ".codex/config.toml",
            "mcp_servers",
            "claude",
            "three hooks in .codex/hooks.json",
            ".codex/hooks.json",
            ".codex/hooks.json",
            CODEX_HOOKS,
        ),
        Agent(
            "cursor",
            ".cursor/skills",
            ".cursor/skills",
            ".cursor/mcp.json",
            ".cursor/mcp.json",
            "mcpServers",
            "claude",
            "none installed",
        ),
        Agent(
            "copilot",
            ".github/skills",
            ".copilot/skills",
            ".vscode/mcp.json",
            None,
            "servers",
            "vscode",
            "none installed",
        ),
        Agent(
            "gemini",
            ".gemini/skills",
            ".gemini/skills",
            ".gemini/settings.json",
            ".gemini/settings.json",
            "mcpServers",
            "claude",
            "three hooks in .gemini/settings.json",
            ".gemini/settings.json",
            ".gemini/settings.json",
            GEMINI_HOOKS,
        ),
        Agent(
            "opencode",
            ".opencode/skills",
            ".config/opencode/skills",
            "opencode.json",
            ".config/opencode/opencode.json",
            "mcp",
            "opencode",
            "none (OpenCode hooks are JavaScript plugins)",
        ),
    )
}


def target_root(project: str | os.PathLike[str] | None, user: bool) -> Path:
    """The folder the agent's folders are in: the project (default: cwd) or the home folder."""
    if user:
        return Path.home()
    root = Path(project or ".").expanduser().absolute()
    if not root.is_dir():
        raise InstallError(f"project folder not found: {root}.")
    return root


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    """The bytes of the regular file at ``path``, not through a symlink; None otherwise."""
    try:
        return read_bytes_bounded(path, FILE_MAX)
    except (OSError, ValueError):
        return None


# ---- the skill folder -------------------------------------------------------------------------


def _pack_files(source: Path) -> list[Path]:
    """The files of the pack to copy, relative to ``source``."""
    files = [Path("SKILL.md"), Path("triggers.yaml")]
    for folder in ("patterns", "references"):  # references/: the patterns rendered, for reading
        for path in sorted((source / folder).rglob("*")):
            rel = path.relative_to(source)
            hidden = any(p.startswith(".") or p == "__pycache__" for p in rel.parts)
            if path.is_file() and not hidden:
                files.append(rel)
    return files


def _skill_folder(plan: Plan, skill: Path, root: Path) -> Path | None:
    """The real skill folder, checked: inside ``root`` and not a symlink. None when absent."""
    if skill.is_symlink():
        raise InstallError(
            f"{skill} is a symlink; nothing was changed.",
            hint="bap installs into and removes from a real folder only; remove the link first.",
        )
    real = plan.resolve(skill, within=root)
    if os.path.lexists(skill) and not skill.is_dir():
        raise InstallError(f"{skill} is not a folder; nothing was changed.")
    return real if skill.is_dir() else None


def _manifest(skill: Path) -> dict[str, str] | None:
    raw = _read(skill / MANIFEST)
    if raw is None:
        return None
    try:
        files = json.loads(raw)["files"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict):
        return None
    return {str(k): str(v) for k, v in files.items()}


def _plan_skill(
    plan: Plan, source: Path, skill: Path, root: Path, report: Report, *, force: bool
) -> None:
    """Plan the copy of the pack into ``skill`` and its manifest; edited files are kept."""
    real = _skill_folder(plan, skill, root)
    before = (_manifest(skill) if real else None) or {}
    written: dict[str, str] = {}
    for rel in _pack_files(source):
        data = (source / rel).read_bytes()
        dest = skill / rel
        key = rel.as_posix()
        if plan.resolve(dest.parent, within=root) != plan.resolve(skill, within=root) / rel.parent:
            raise InstallError(f"{dest.parent} is a symlink; nothing was changed.")
        there = _read(dest)
        if there == data:
            written[key] = _sha(data)
            continue
        present = os.path.lexists(dest)
        ours = there is not None and before.get(key) == _sha(there)  # an older pack's file
        if present and not ours and not force:
            report.kept.append(str(dest))
            continue
        plan.write(dest, data, follow=False, within=root)
        written[key] = _sha(data)
        report.changed.append(str(dest))
    for key, digest in before.items():  # files an older pack had and this one has not
        old = skill / key
        if key not in written and _read(old) is not None and _sha(_read(old) or b"") == digest:
            plan.remove(old, follow=False, within=root)
            report.changed.append(str(old))
    manifest = json.dumps({"installed_by": "bap install", "files": written}, indent=2) + "\n"
    if _read(skill / MANIFEST) != manifest.encode():
        plan.write(skill / MANIFEST, manifest, follow=False, within=root)


def _plan_unskill(
    plan: Plan, skill: Path, root: Path, pack_dir: Path | None, report: Report
) -> None:
    """Plan removing from ``skill`` the files that are exactly what install wrote."""
    real = _skill_folder(plan, skill, root)
    if real is None:
        return
    recorded = _manifest(skill)
    if recorded is None and pack_dir is not None:  # installed before manifests: the pack's files
        recorded = {r.as_posix(): _sha((pack_dir / r).read_bytes()) for r in _pack_files(pack_dir)}
    recorded = recorded or {}
    folders: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(skill, followlinks=False):
        here = Path(dirpath)
        folders.append(here)
        for name in dirnames:
            if (here / name).is_symlink():
                report.kept.append(str(here / name))
        for name in sorted(filenames):
            path = here / name
            key = path.relative_to(skill).as_posix()
            data = None if path.is_symlink() else _read(path)
            if key == MANIFEST and data is not None:
                plan.remove(path, follow=False, within=root)
            elif data is not None and recorded.get(key) == _sha(data):
                plan.remove(path, follow=False, within=root)
                report.changed.append(str(path))
            else:
                report.kept.append(str(path))
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        plan.remove_folder(folder, within=root)
    plan.remove_folder(skill.parent, within=root)  # .claude/skills, when nothing else is there


# ---- config files -----------------------------------------------------------------------------


def _raw(path: Path) -> bytes | None:
    try:
        return read_bytes_bounded(path, FILE_MAX, follow_symlinks=True)
    except OSError:
        return None


def _plan_text(plan: Plan, path: Path, new: str | None, old: str | None, report: Report) -> None:
    """Plan ``path`` to hold ``new`` (None: to go), keeping the old bytes as ``<name>.bak``."""
    if new == old or (new is None and old is None):
        report.unchanged.append(str(path))
        return
    previous = _raw(path) if old is not None else None
    if previous is not None:
        plan.write(path.with_name(path.name + ".bak"), previous, follow=False)
    if new is None and path.is_symlink():
        new = "{}\n"  # the link is the user's: leave it, pointing at an empty object
    if new is None:
        plan.remove(path)
    else:
        plan.write(path, new)
    report.changed.append(str(path))


def _plan_json(
    plan: Plan, path: Path, old_text: str | None, new: dict[str, Any], report: Report
) -> None:
    if old_text is None and not new:
        return
    text: str | None = dump_json(new, old_text)
    if not new and old_text is not None:
        text = None if old_text.strip() else old_text
    _plan_text(plan, path, text, old_text, report)


def _mcp_path(agent: Agent, root: Path, user: bool) -> Path | None:
    rel = agent.user_mcp if user else agent.mcp
    return None if rel is None else root / rel


def _plan_configs(
    plan: Plan,
    agent: Agent,
    root: Path,
    report: Report,
    *,
    add: bool,
    user: bool,
    mcp: bool = True,
    deny: bool = False,
) -> None:
    """Plan our hooks (for an agent with a hook file) and MCP server into the agent's config
    files, or out of them; one write per file when both go into the same one."""
    files: dict[Path, list[Any]] = {}  # path -> [as read, its text, as it will be]

    def entry(path: Path) -> list[Any]:
        if path not in files:
            config, text = load_json(path)
            files[path] = [config, text, config]
        return files[path]

    hook_rel = agent.user_hook_file if user else agent.hook_file
    if agent.hook_events is not None and hook_rel is not None:
        path = root / hook_rel
        held = entry(path)
        if add:
            held[2] = merge_hooks(
                held[2], deny=deny, where=str(path), events=agent.hook_events, agent=agent.name
            )
        else:
            held[2] = remove_hooks(held[2], events=agent.hook_events, agent=agent.name)
    path_or_none = _mcp_path(agent, root, user)
    if path_or_none is not None and mcp:
        path = path_or_none
        if path.suffix == ".toml":
            from ._toml import plan_toml

            plan_toml(plan, path, report, add=add, plan_text=_plan_text)
        else:
            held = entry(path)
            if add:
                held[2] = merge_mcp(held[2], agent.mcp_key, agent.mcp_style, str(path), report)
            else:
                held[2] = remove_mcp(held[2], agent.mcp_key, agent.mcp_style)
    for path, (config, text, new) in files.items():
        if new == config and text is not None:
            report.unchanged.append(str(path))
        else:
            _plan_json(plan, path, text, new, report)


# ---- install / uninstall ----------------------------------------------------------------------


def install_agent(
    agent_name: str,
    root: Path,
    *,
    mcp: bool = False,
    user: bool = False,
    force: bool = False,
    deny: bool = False,
    local: bool = False,
    pack_dir: str | os.PathLike[str] | None = None,
) -> Report:
    """Install the skill, the MCP server (for Claude Code: with ``mcp``) and the hooks."""
    from ..pack import load_pack

    agent = AGENTS[agent_name]
    pack = load_pack(pack_dir)  # refuses a broken pack before anything is planned
    plan = Plan.within(root, Path.home())
    report = Report()
    skills = root / (agent.user_skills if user else agent.skills)
    _plan_skill(plan, pack.root, skills / SKILL_NAME, root, report, force=force)
    if agent.name == "claude":
        name = "settings.local.json" if local else "settings.json"
        settings_path = root / ".claude" / name
        settings, text = load_json(settings_path)
        python = interpreter() if local else None
        new = merge_hooks(settings, deny=deny, python=python, where=str(settings_path))
        if new == settings and text is not None:
            report.unchanged.append(str(settings_path))
        else:
            _plan_json(plan, settings_path, text, new, report)
    _plan_configs(
        plan,
        agent,
        root,
        report,
        add=True,
        user=user,
        mcp=mcp or agent.name != "claude",
        deny=deny,
    )
    if agent.name == "codex" and agent.hook_events is not None:
        report.notes.append(
            "Codex runs a new or changed hook only once you trust it: start codex and review "
            "them with /hooks."
        )
    plan.commit()
    return report


def uninstall_agent(agent_name: str, root: Path, *, user: bool = False) -> Report:
    """Remove what ``install_agent`` adds and nothing else; the rest is kept and named."""
    from ..pack import bundled_pack_dir

    agent = AGENTS[agent_name]
    plan = Plan.within(root, Path.home())
    report = Report()
    skills = root / (agent.user_skills if user else agent.skills)
    _plan_unskill(plan, skills / SKILL_NAME, root, Path(bundled_pack_dir()), report)
    if agent.name == "claude":
        for name in ("settings.json", "settings.local.json"):
            settings_path = root / ".claude" / name
            settings, text = load_json(settings_path)
            if text is None:
                continue
            new = remove_hooks(settings)
            if new == settings:
                report.unchanged.append(str(settings_path))
            else:
                _plan_json(plan, settings_path, text, new, report)
    _plan_configs(plan, agent, root, report, add=False, user=user)
    plan.commit()
    return report


def install_claude(root: Path, **options: Any) -> Report:
    return install_agent("claude", root, **options)


def uninstall_claude(root: Path, *, user: bool = False) -> Report:
    return uninstall_agent("claude", root, user=user)
