"""Installing the skill, the hooks and the MCP server into Claude Code, and removing them again.

Install copies the pack to ``<root>/.claude/skills/backend-api-patterns/`` and merges three hooks
into ``<root>/.claude/settings.json`` (and, with ``mcp``, one server into ``<root>/.mcp.json``).
Every merge keeps what the user has, is idempotent (a second run writes nothing) and atomic, and
keeps the previous file as ``*.bak``. Uninstall removes exactly the entries install adds.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._fs import read_bytes_bounded, write_atomic
from ..pack import SKILL_SUBDIR
from ._claude import (
    InstallError,
    Report,
    claude_mcp_add_line,
    cursor_snippet,
    interpreter,
    load_json,
    merge_hooks,
    merge_mcp,
    remove_hooks,
    remove_mcp,
    retire,
    save_json,
)

__all__ = [
    "InstallError",
    "Report",
    "claude_mcp_add_line",
    "cursor_snippet",
    "install_claude",
    "uninstall_claude",
]


# ---- the skill folder -------------------------------------------------------------------------


def _pack_files(source: Path) -> list[Path]:
    """The files of the pack to copy, relative to ``source``."""
    files = [Path("SKILL.md"), Path("triggers.yaml")]
    for path in sorted((source / "patterns").rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            files.append(rel)
    return files


def _holds(dest: Path, data: bytes) -> bool | None:
    """Whether ``dest`` holds ``data``; None when there is no ``dest``."""
    try:
        return read_bytes_bounded(dest, len(data), follow_symlinks=True) == data
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:  # larger than ``data``, or a folder or FIFO: something else is there
        return False


def copy_skill(source: Path, target: Path, report: Report, *, force: bool = False) -> None:
    """Copy the pack into ``target``. A file the user edited there is kept unless ``force``."""
    for rel in _pack_files(source):
        data = (source / rel).read_bytes()
        dest = target / rel
        same = _holds(dest, data)
        if same:
            continue
        if same is not None and not force:
            report.kept.append(str(dest))
            continue
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(dest, data)
        except OSError as exc:
            raise InstallError(f"cannot write {dest} ({exc.strerror or exc}).") from None
        report.changed.append(str(dest))


def _remove_empty(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


# ---- install / uninstall ----------------------------------------------------------------------


def target_root(project: str | os.PathLike[str] | None, user: bool) -> Path:
    """The folder that holds ``.claude/``: the project (default: cwd) or the home folder."""
    if user:
        return Path.home()
    root = Path(project or ".").expanduser().absolute()
    if not root.is_dir():
        raise InstallError(f"project folder not found: {root}.")
    return root


def install_claude(
    root: Path,
    *,
    mcp: bool = False,
    user: bool = False,
    force: bool = False,
    deny: bool = False,
    pack_dir: str | os.PathLike[str] | None = None,
) -> Report:
    """Install the skill, the hooks and (with ``mcp``, for a project) the MCP server."""
    from ..pack import load_pack

    pack = load_pack(pack_dir)  # refuses a broken pack before anything is copied
    python = interpreter()
    settings_path = root / ".claude" / "settings.json"
    mcp_path = root / ".mcp.json"
    # Read and check every file first, so a refusal touches nothing.
    settings, settings_text = load_json(settings_path)
    new_settings = merge_hooks(settings, python, deny=deny)
    if mcp and not user:
        config, config_text = load_json(mcp_path)
        new_config = merge_mcp(config, python)
    report = Report()
    copy_skill(pack.root, root / SKILL_SUBDIR, report, force=force)
    save_json(settings_path, new_settings, settings_text, report)
    if mcp and not user:
        save_json(mcp_path, new_config, config_text, report)
    return report


def uninstall_claude(root: Path) -> Report:
    """Remove what ``install_claude`` adds: our hooks, our MCP entry and the skill folder."""
    import shutil

    report = Report()
    settings_path = root / ".claude" / "settings.json"
    mcp_path = root / ".mcp.json"
    settings, settings_text = load_json(settings_path)
    config, config_text = load_json(mcp_path)
    for path, data, text, remove in (
        (settings_path, settings, settings_text, remove_hooks),
        (mcp_path, config, config_text, remove_mcp),
    ):
        if text is None:
            continue
        new = remove(data)
        if new == data:
            report.unchanged.append(str(path))
        elif not new:
            retire(path)  # it held only what we added
            report.changed.append(str(path))
        else:
            save_json(path, new, text, report)
    skill = root / SKILL_SUBDIR
    if skill.is_dir():
        shutil.rmtree(skill)
        report.changed.append(str(skill))
        _remove_empty(skill.parent, root / ".claude")
    return report
