"""``lint._files``: which files a check reads (skipped folders, ``exclude`` globs) and their
text (UTF-8, with a warning where it is not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_patterns.errors import UsageError
from backend_patterns.lint import Exclude, FileWarning, iter_python_files, read_sources

TREE = [
    "app/main.py",
    "app/models.pyi",
    "app/notes.txt",
    "app/legacy/old.py",
    "app/api/v1/routes.py",
    "app/api/v1/generated/client_pb2.py",
    "migrations/versions/0001_init.py",
    "tests/test_app.py",
    ".venv/lib/site.py",
    "pkg.egg-info/setup.py",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in TREE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    return tmp_path


def found(root: Path, *patterns: str, paths: tuple[str, ...] = ()) -> list[str]:
    exclude = Exclude(root, patterns)
    given = [str(root / p) for p in paths] or [str(root)]
    return [p.relative_to(root).as_posix() for p in iter_python_files(given, exclude)]


def test_without_exclude_only_the_usual_folders_are_skipped(tree: Path) -> None:
    assert found(tree) == [
        "app/api/v1/generated/client_pb2.py",
        "app/api/v1/routes.py",
        "app/legacy/old.py",
        "app/main.py",
        "app/models.pyi",
        "migrations/versions/0001_init.py",
        "tests/test_app.py",
    ]


@pytest.mark.parametrize(
    ("patterns", "gone"),
    [
        (("migrations",), {"migrations/versions/0001_init.py"}),
        (("versions/",), {"migrations/versions/0001_init.py"}),
        (("*_pb2.py",), {"app/api/v1/generated/client_pb2.py"}),
        (("generated",), {"app/api/v1/generated/client_pb2.py"}),
        (("app/legacy",), {"app/legacy/old.py"}),
        (("./app/legacy/*.py",), {"app/legacy/old.py"}),
        (("app/*.py",), {"app/main.py"}),
        (("app/**/*.py",), {p for p in TREE if p.startswith("app/") and p.endswith(".py")}),
        (("**/v1",), {"app/api/v1/routes.py", "app/api/v1/generated/client_pb2.py"}),
        (("app/**/generated/*.py",), {"app/api/v1/generated/client_pb2.py"}),
        (("test_*.py", "*.pyi"), {"tests/test_app.py", "app/models.pyi"}),
        (("legacy/old.py",), set()),  # a pattern with / is relative to the root
        (("", " "), set()),
    ],
)
def test_exclude_globs(tree: Path, patterns: tuple[str, ...], gone: set[str]) -> None:
    assert set(found(tree)) - set(found(tree, *patterns)) == gone


def test_exclude_applies_to_paths_named_too(tree: Path) -> None:
    assert found(tree, "migrations", paths=("migrations/versions/0001_init.py",)) == []
    assert found(tree, "migrations", paths=("migrations",)) == []
    assert found(tree, "migrations", paths=("app/main.py",)) == ["app/main.py"]


def test_exclude_outside_its_root_matches_names_only(tree: Path) -> None:
    exclude = Exclude(tree / "app", ("legacy", "app/main.py"))
    assert exclude(tree / "app" / "legacy" / "old.py")
    assert not exclude(tree / "app" / "main.py")  # relative to app/: that is app/app/main.py
    assert exclude(Path("/elsewhere/legacy/x.py"))


def test_a_file_named_is_checked_whatever_its_suffix(tree: Path) -> None:
    assert found(tree, paths=("app/notes.txt",)) == ["app/notes.txt"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope: no such file or directory"):
        list(iter_python_files([str(tmp_path / "nope")]))


def test_read_sources_reads_each_file_once_and_warns_on_bad_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("\ufeffx = 'é'\n")
    (tmp_path / "b.py").write_bytes(b"x = 1\ny = '\xff'\n")
    sources, warnings = read_sources([str(tmp_path), str(tmp_path / "a.py")])
    assert sources == [(str(tmp_path / "a.py"), "x = 'é'\n")]
    assert warnings == [
        FileWarning(str(tmp_path / "b.py"), 2, 6, "not valid UTF-8 (byte 0xff); file skipped")
    ]


def test_fifos_and_large_files_are_skipped_with_a_warning_never_opened(tmp_path: Path) -> None:
    import os

    (tmp_path / "ok.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "pipe.py")  # opening it for reading would block forever
    (tmp_path / "big.py").write_text("x = 1\n" * 100)
    sources, warnings = read_sources([str(tmp_path)], max_bytes=300)
    assert sources == [(str(tmp_path / "ok.py"), "x = 1\n")]
    assert [(Path(w.path).name, w.message) for w in warnings] == [
        ("big.py", "larger than 300 bytes (max-file-bytes); file skipped"),
        ("pipe.py", "not a regular file (a FIFO, device or socket); skipped"),
    ]
    # named on the command line, a FIFO or a device is a file to skip, not a missing path
    sources, warnings = read_sources([str(tmp_path / "pipe.py"), "/dev/zero"])
    assert sources == []
    assert [w.path for w in warnings] == [str(tmp_path / "pipe.py"), "/dev/zero"]
