"""All-or-nothing changes to a project: every write is planned and checked first, then done.

``Plan`` collects writes and removals. Checking happens while planning: each path is resolved
(symlinks followed) and must stay inside the folders the plan may touch, a symlinked file is
written at its target, a read-only file is refused. ``commit`` then does them in order through
``_fs`` (temporary files created exclusively, never through a link; modes kept) and, when one
fails, puts back every file it had already changed and removes the folders it created.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .._fs import read_bytes_bounded, write_atomic
from ._commands import InstallError

FILE_MAX = 64 * 1024 * 1024


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == f or path.is_relative_to(f) for f in folders)


@dataclass
class _Step:
    target: Path  # the real path written or removed (a symlink's target)
    data: bytes | None  # None: remove
    shown: Path  # the path as the user knows it
    folder: bool = False  # remove an empty folder (left when it is not empty)


@dataclass
class Plan:
    """The writes of one install or uninstall, in order."""

    allowed: tuple[Path, ...]
    steps: list[_Step] = field(default_factory=list)

    @classmethod
    def within(cls, *folders: Path) -> Plan:
        return cls(tuple(dict.fromkeys(_real(f) for f in folders)))

    # ---- checks -------------------------------------------------------------------------------

    def resolve(self, path: Path, *, follow: bool = True, within: Path | None = None) -> Path:
        """Where a write to ``path`` lands; refused when that is outside the allowed folders.

        With ``follow`` a symlink at ``path`` is followed (the file is updated at its target);
        without it only the folders on the way are, and the name itself is replaced.
        """
        real = _real(path) if follow else _real(path.parent) / path.name
        allowed = self.allowed if within is None else (_real(within),)
        if not _inside(real, allowed):
            where = " or ".join(str(f) for f in allowed)
            raise InstallError(
                f"{path} leads to {real}, outside {where}; nothing was changed.",
                hint="Point the link inside the project or your home folder, or remove it.",
            )
        return real

    @staticmethod
    def check_writable(real: Path, shown: Path) -> None:
        try:
            info = os.stat(real)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InstallError(
                f"cannot read {shown} ({exc.strerror}); nothing was changed."
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise InstallError(f"{shown} is not a regular file; nothing was changed.")
        if not info.st_mode & 0o222:
            mode = stat.S_IMODE(info.st_mode)
            raise InstallError(
                f"{shown} is read-only (mode {mode:04o}); nothing was changed.",
                hint="Make it writable (chmod u+w) if you want it changed, then run again.",
            )

    # ---- planning -----------------------------------------------------------------------------

    def write(
        self, path: Path, data: bytes | str, *, follow: bool = True, within: Path | None = None
    ) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        real = self.resolve(path, follow=follow, within=within)
        if follow:
            self.check_writable(real, path)
        self.steps.append(_Step(real, raw, path))

    def remove(self, path: Path, *, follow: bool = True, within: Path | None = None) -> None:
        real = self.resolve(path, follow=follow, within=within)
        if follow:
            self.check_writable(real, path)
        self.steps.append(_Step(real, None, path))

    def remove_folder(self, path: Path, *, within: Path | None = None) -> None:
        self.steps.append(_Step(self.resolve(path, within=within), None, path, folder=True))

    # ---- doing --------------------------------------------------------------------------------

    def commit(self) -> None:
        """Do every step; on a failure undo the ones done and raise ``InstallError``."""
        undo: list[tuple[Path, bytes | None, int | None]] = []
        made: list[Path] = []
        try:
            for step in self.steps:
                if step.folder:
                    try:
                        os.rmdir(step.target)
                    except OSError:  # not empty (the user's files are in it), or gone
                        continue
                    undo.append((step.target, None, -1))
                    continue
                before, mode = _current(step.target)
                if step.data is None:
                    if before is None and not os.path.lexists(step.target):
                        continue
                    undo.append((step.target, before, mode))
                    os.unlink(step.target)
                    continue
                _make_folders(step.target.parent, made)
                undo.append((step.target, before, mode))
                write_atomic(step.target, step.data)
        except OSError as exc:
            _roll_back(undo, made)
            name = exc.filename or "a file"
            raise InstallError(
                f"cannot write {name} ({exc.strerror or exc}); nothing was changed."
            ) from None


def _current(path: Path) -> tuple[bytes | None, int | None]:
    """The bytes and mode of the regular file at ``path`` (not followed); Nones if none."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, None
    if not stat.S_ISREG(info.st_mode):
        return None, None
    return read_bytes_bounded(path, FILE_MAX), stat.S_IMODE(info.st_mode)


def _make_folders(folder: Path, made: list[Path]) -> None:
    """Create ``folder`` and its missing parents, adding each to ``made`` (outermost first)."""
    missing: list[Path] = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir()
        made.append(each)


def _roll_back(undo: list[tuple[Path, bytes | None, int | None]], made: list[Path]) -> None:
    for path, data, mode in reversed(undo):
        with contextlib.suppress(OSError):
            if mode == -1:  # a folder we removed
                path.mkdir()
            elif data is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            else:
                write_atomic(path, data, mode=mode)
    for folder in reversed(made):  # innermost first
        with contextlib.suppress(OSError):
            folder.rmdir()
