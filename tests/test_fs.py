"""``backend_patterns._fs``: whole writes that never follow a planted symlink, and bounded reads
that refuse FIFOs and devices instead of hanging on them."""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backend_patterns import _fs
from backend_patterns._fs import (
    FileTooLargeError,
    NotRegularFileError,
    backup,
    place,
    read_bytes_bounded,
    read_text_bounded,
    stage,
    write_atomic,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks, FIFOs and modes are POSIX")
pytestmark = posix_only


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def finishes(call: Callable[[], Any], seconds: float = 5.0) -> Any:
    """``call()``'s result or exception, failing the test if it blocks (a FIFO read would)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed back to the test below
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the call blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the folder written to, that a planted symlink points at."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "victim.txt"
    path.write_text("precious\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


# ---- write_atomic ------------------------------------------------------------------------------


def test_a_new_file_gets_its_content_and_the_umask_mode_and_no_temporary_is_left(
    folder: Path,
) -> None:
    target = folder / "new.txt"
    write_atomic(target, "héllo\r\nworld\n")
    assert target.read_bytes() == "héllo\r\nworld\n".encode()  # byte for byte, no translation
    assert mode(target) == 0o666 & ~umask()
    assert listing(folder) == ["new.txt"]


def test_replacing_keeps_the_mode_of_the_file_replaced(folder: Path) -> None:
    target = folder / "secret.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o640
    target.chmod(0o755)
    write_atomic(target, b"newer")
    assert mode(target) == 0o755
    write_atomic(target, b"newest", mode=0o600)
    assert mode(target) == 0o600
    assert listing(folder) == ["secret.json"]


def test_a_symlink_at_the_target_is_replaced_not_written_through(
    folder: Path, victim: Path
) -> None:
    target = folder / "settings.json"
    target.symlink_to(victim)
    write_atomic(target, "ours\n")
    assert victim.read_text() == "precious\n"
    assert not target.is_symlink()
    assert target.read_text() == "ours\n"


def test_a_symlink_at_the_backup_name_is_replaced_not_written_through(
    folder: Path, victim: Path
) -> None:
    target = folder / "settings.json"
    target.write_text("before\n")
    target.chmod(0o600)
    (folder / "settings.json.bak").symlink_to(victim)
    write_atomic(target, "after\n", backup_suffix=".bak")
    assert victim.read_text() == "precious\n"
    saved = folder / "settings.json.bak"
    assert not saved.is_symlink()
    assert saved.read_text() == "before\n"
    assert mode(saved) == 0o600  # the backup is as private as the file it copies
    assert target.read_text() == "after\n"
    assert listing(folder) == ["settings.json", "settings.json.bak"]


def test_a_symlink_at_the_temporary_name_is_never_opened(
    folder: Path, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = folder / f".notes.txt.{'ab' * 4}.tmp"
    planted.symlink_to(victim)
    draws = iter([b"\xab" * 4, b"\xcd" * 4])  # the first name drawn is the planted one
    monkeypatch.setattr(_fs.os, "urandom", lambda n: next(draws))
    write_atomic(folder / "notes.txt", "mine\n")
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink()
    assert planted.readlink() == victim
    assert (folder / "notes.txt").read_text() == "mine\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = folder / "keep.txt"
    target.write_text("old\n")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EIO, "I/O error", str(dst))

    monkeypatch.setattr(_fs.os, "replace", broken_replace)
    with pytest.raises(OSError, match="I/O error"):
        write_atomic(target, "new\n", fsync=True)
    assert target.read_text() == "old\n"
    assert listing(folder) == ["keep.txt"]


# ---- create-only -------------------------------------------------------------------------------


@pytest.mark.parametrize("hard_links", [True, False], ids=["link", "no-links"])
def test_create_only_creates_a_new_file(
    folder: Path, hard_links: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hard_links:
        monkeypatch.setattr(_fs.os, "link", _no_links)
    target = folder / "made.py"
    write_atomic(target, "x = 1\n", create_only=True)
    assert target.read_text() == "x = 1\n"
    assert mode(target) == 0o666 & ~umask()
    assert listing(folder) == ["made.py"]


def _no_links(src: Any, dst: Any, **kwargs: Any) -> None:
    raise PermissionError(errno.EPERM, "Operation not permitted", str(src))


@pytest.mark.parametrize("hard_links", [True, False], ids=["link", "no-links"])
@pytest.mark.parametrize("existing", ["file", "dangling symlink", "symlink"])
def test_create_only_refuses_whatever_is_there(
    folder: Path, victim: Path, existing: str, hard_links: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hard_links:
        monkeypatch.setattr(_fs.os, "link", _no_links)
    target = folder / "taken.py"
    if existing == "file":
        target.write_text("theirs\n")
    else:
        target.symlink_to(victim if existing == "symlink" else folder / "nowhere")
    with pytest.raises(FileExistsError) as refused:
        write_atomic(target, "ours\n", create_only=True)
    assert refused.value.filename == str(target)
    assert victim.read_text() == "precious\n"
    if existing == "file":
        assert target.read_text() == "theirs\n"
    else:
        assert target.is_symlink()
    assert listing(folder) == ["taken.py"]


def test_stage_then_place_is_the_two_step_form(folder: Path) -> None:
    target = folder / "two.txt"
    temp = stage(target, b"staged")
    assert Path(temp).parent == folder
    assert not target.exists()
    place(temp, target, create_only=True)
    assert target.read_bytes() == b"staged"
    assert listing(folder) == ["two.txt"]
    again = stage(target, b"again")
    with pytest.raises(FileExistsError):
        place(again, target, create_only=True)
    assert Path(again).exists()  # left for the caller to remove
    place(again, target)
    assert target.read_bytes() == b"again"
    assert listing(folder) == ["two.txt"]


# ---- backup ------------------------------------------------------------------------------------


def test_backup_copies_through_a_symlinked_file_and_says_when_there_is_none(
    folder: Path, victim: Path
) -> None:
    assert backup(folder / "absent.json") is False
    linked = folder / "dotfile.json"
    linked.symlink_to(victim)
    assert backup(linked) is True
    assert (folder / "dotfile.json.bak").read_text() == "precious\n"
    assert not (folder / "dotfile.json.bak").is_symlink()
    assert linked.is_symlink()
    assert victim.read_text() == "precious\n"


def test_backup_refuses_a_fifo(folder: Path) -> None:
    fifo = folder / "settings.json"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError):
        finishes(lambda: backup(fifo))
    assert listing(folder) == ["settings.json"]


# ---- bounded reads -----------------------------------------------------------------------------


def test_reads_a_file_within_the_limit_with_universal_newlines(folder: Path) -> None:
    path = folder / "code.py"
    path.write_bytes(b"a = 1\r\nb = 2\rc = 3\n")
    assert read_text_bounded(path, 100) == "a = 1\nb = 2\nc = 3\n"
    assert read_bytes_bounded(path, 19) == b"a = 1\r\nb = 2\rc = 3\n"
    with pytest.raises(FileTooLargeError) as big:
        read_bytes_bounded(path, 18)
    assert big.value.errno == errno.EFBIG
    assert big.value.filename == str(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UnicodeDecodeError):
        read_text_bounded(path, 100)


def test_a_fifo_is_refused_without_blocking(folder: Path) -> None:
    fifo = folder / "pipe.py"
    os.mkfifo(fifo)
    (folder / "link.py").symlink_to(fifo)
    for path, follow in ((fifo, False), (fifo, True), (folder / "link.py", True)):
        with pytest.raises(NotRegularFileError):
            finishes(lambda p=path, f=follow: read_text_bounded(p, 1000, follow_symlinks=f))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("follow", [False, True])
def test_dev_zero_is_refused(folder: Path, follow: bool) -> None:
    (folder / "zero.py").symlink_to("/dev/zero")
    with pytest.raises(NotRegularFileError):
        finishes(lambda: read_bytes_bounded("/dev/zero", 1000, follow_symlinks=follow))
    if follow:
        with pytest.raises(NotRegularFileError):
            finishes(lambda: read_bytes_bounded(folder / "zero.py", 1000, follow_symlinks=True))


def test_a_symlink_is_followed_only_when_asked(folder: Path, victim: Path) -> None:
    link = folder / "link.txt"
    link.symlink_to(victim)
    with pytest.raises(NotRegularFileError):
        read_text_bounded(link, 1000)
    assert read_text_bounded(link, 1000, follow_symlinks=True) == "precious\n"


def test_a_folder_is_refused(folder: Path) -> None:
    with pytest.raises(NotRegularFileError):
        read_bytes_bounded(folder, 1000)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_a_file_whose_size_lies_is_still_read_no_further_than_the_limit() -> None:
    """``/proc`` files are regular and claim size 0: only the read itself can bound them."""
    assert os.stat("/proc/self/status").st_size == 0
    assert "Pid:" in read_text_bounded("/proc/self/status", 1_000_000)
    with pytest.raises(FileTooLargeError):
        read_bytes_bounded("/proc/self/status", 10)
