"""Writing files whole and reading them within a bound: the one place that does either.

A write goes to a temporary file created exclusively (``O_EXCL | O_NOFOLLOW``) next to its
target, then is renamed (or, create-only, hard-linked) into place, so a reader sees the old file
or the new one and never half of either. A symlink is never written through: one at the target
or backup name is replaced, one at a temporary name is passed over. A replaced file keeps its
permission bits; a new one gets the usual ``0o666`` less the umask.

A bounded read refuses anything but a regular file (a FIFO or ``/dev/zero`` is refused before it
is opened, and the open is ``O_NONBLOCK`` in case one is swapped in) and reads at most
``limit + 1`` bytes, so even a file whose size lies (``/proc``) is never read past the limit.

Standard library only and cheap to import: the hooks read through it on every edit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    StrPath: TypeAlias = str | os.PathLike[str]

__all__ = [
    "FileTooLargeError",
    "NotRegularFileError",
    "backup",
    "place",
    "read_bytes_bounded",
    "read_text_bounded",
    "stage",
    "write_atomic",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC | _BINARY
_CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """The path is a FIFO, a device, a folder, or (when not followed) a symlink."""


class FileTooLargeError(OSError):
    """The file holds more bytes than the reader's limit."""


# ---- reading ----------------------------------------------------------------------------------


def _read_fd(fd: int, cap: int | None) -> bytes:
    """Up to ``cap`` bytes from ``fd`` (all of it when ``cap`` is None)."""
    chunks: list[bytes] = []
    left = cap
    while left is None or left > 0:
        chunk = os.read(fd, _CHUNK if left is None else min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        if left is not None:
            left -= len(chunk)
    return b"".join(chunks)


def _not_regular(path: StrPath) -> NotRegularFileError:
    return NotRegularFileError(errno.EINVAL, "not a regular file", os.fspath(path))


def _too_large(path: StrPath, limit: int) -> FileTooLargeError:
    return FileTooLargeError(errno.EFBIG, f"larger than {limit:,} bytes", os.fspath(path))


def _open_regular(path: StrPath, *, follow_symlinks: bool) -> tuple[int, os.stat_result]:
    """An fd of the regular file at ``path``; anything else is refused before it is opened."""
    if not stat.S_ISREG(os.stat(path, follow_symlinks=follow_symlinks).st_mode):
        raise _not_regular(path)  # a device is not even opened: opening some has effects
    fd = os.open(path, _READ | (0 if follow_symlinks else _NOFOLLOW))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped between the stat and the open
            raise _not_regular(path)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_bytes_bounded(path: StrPath, limit: int, *, follow_symlinks: bool = False) -> bytes:
    """The bytes of the regular file ``path``, which must hold at most ``limit`` bytes.

    Raises ``NotRegularFileError`` for a FIFO, device, folder or (unless ``follow_symlinks``) a
    symlink, ``FileTooLargeError`` past ``limit``, and ``OSError`` as ``open`` does.
    """
    fd, info = _open_regular(path, follow_symlinks=follow_symlinks)
    try:
        if info.st_size > limit:
            raise _too_large(path, limit)
        data = _read_fd(fd, limit + 1)  # one more byte tells a file that grew meanwhile
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_large(path, limit)
    return data


def read_text_bounded(
    path: StrPath, limit: int, *, follow_symlinks: bool = False, encoding: str = "utf-8"
) -> str:
    """``read_bytes_bounded`` decoded, with universal newlines as ``open(path)`` reads them.

    Also raises ``UnicodeDecodeError`` for bytes that are not ``encoding``.
    """
    text = read_bytes_bounded(path, limit, follow_symlinks=follow_symlinks).decode(encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# ---- writing ----------------------------------------------------------------------------------


def _mode_of(path: StrPath) -> int | None:
    """The permission bits of the file at ``path`` (through a symlink), None when there is none."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat.S_IMODE(info.st_mode) & 0o777 if stat.S_ISREG(info.st_mode) else None


def _sync_folder(folder: str) -> None:
    try:
        fd = os.open(folder or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


def stage(
    path: StrPath, data: bytes | str, *, mode: int | None = None, fsync: bool = False
) -> str:
    """A new temporary file next to ``path`` holding ``data``; ``place`` it or remove it.

    The file gets ``mode``, else the mode of the file now at ``path``, else ``0o666`` less the
    umask. A ``str`` is written as UTF-8, byte for byte (no newline translation).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder, name = os.path.split(os.fspath(path))
    if mode is None:
        mode = _mode_of(path)
    # A known mode may be stricter than the umask allows: the content stays private until then.
    create_mode = 0o666 if mode is None else 0o600
    for _ in range(100):
        temp = os.path.join(folder, f".{name[:64]}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(temp, _NEW, create_mode)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "no free temporary name", os.path.join(folder, name))
    try:
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            if mode is not None:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, mode)
                else:  # pragma: no cover - Windows
                    os.chmod(temp, mode)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _remove(temp)
        raise
    return temp


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _exists_error(path: StrPath) -> FileExistsError:
    return FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(path))


def place(temp: str, path: StrPath, *, create_only: bool = False) -> None:
    """Move the staged ``temp`` to ``path`` in one step.

    ``create_only`` refuses, with ``FileExistsError`` naming ``path``, when anything (a dangling
    symlink included) is at ``path``: the temporary file is hard-linked there, which fails when
    the name is taken. Where hard links do not work, the name is claimed with ``O_EXCL`` and the
    staged file renamed over that claim. On error ``temp`` is left for the caller to remove.
    """
    if not create_only:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:  # no hard links on this file system (FAT, some network mounts)
        try:
            os.close(os.open(path, _NEW, 0o600))
        except FileExistsError:
            raise _exists_error(path) from None
        try:
            os.replace(temp, path)
        except BaseException:
            _remove(os.fspath(path))  # our empty claim
            raise
        return
    _remove(temp)


def backup(path: StrPath, suffix: str = ".bak", *, fsync: bool = False) -> bool:
    """Copy the file at ``path`` (through a symlink) to ``path + suffix`` atomically.

    Whatever is at the backup name, a symlink included, is replaced, never written through; the
    copy keeps the file's permission bits. False when there is no file at ``path``. Raises
    ``NotRegularFileError`` when ``path`` is a FIFO, a device or a folder.
    """
    try:
        fd, info = _open_regular(path, follow_symlinks=True)
    except FileNotFoundError:
        return False
    try:
        data = _read_fd(fd, None)
    finally:
        os.close(fd)
    write_atomic(
        os.fspath(path) + suffix, data, mode=stat.S_IMODE(info.st_mode) & 0o777, fsync=fsync
    )
    return True


def write_atomic(
    path: StrPath,
    data: bytes | str,
    *,
    create_only: bool = False,
    mode: int | None = None,
    backup_suffix: str | None = None,
    fsync: bool = False,
) -> None:
    """Make ``path`` hold ``data`` in one step (``stage`` then ``place``).

    ``create_only`` refuses an existing ``path`` with ``FileExistsError``. ``backup_suffix``
    first copies the current file to ``path + backup_suffix`` (see ``backup``). ``fsync`` syncs
    the file and its folder before returning. The parent folder must exist.
    """
    if backup_suffix and not create_only:
        backup(path, backup_suffix, fsync=fsync)
    temp = stage(path, data, mode=mode, fsync=fsync)
    try:
        place(temp, path, create_only=create_only)
    except BaseException:
        _remove(temp)
        raise
    if fsync:
        _sync_folder(os.path.dirname(os.fspath(path)))
