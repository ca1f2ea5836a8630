"""How fast is ``bap check``? Generates a tree of ~10,000 lines (models and services mixing
in-place JSON changes with clean code) in a temp dir, then times ``check_tree`` in-process and
the ``bap check`` CLI end to end, and ``check_code`` on one service file (the hooks' path).

Run: .venv/bin/python benchmarks/bench_check.py [--lines 10000] [--repeat 5]
Goal: under 1 s for 10,000 lines.

Scale: .venv/bin/python benchmarks/bench_check.py --scale [--lines 700000 | --path REPO]
generates a ~700,000-line tree (or takes a fetched repository), then prints files, lines, the
time of ``ast.parse`` over every file in one process, the time of ``bap check`` over the tree,
their ratio (goal <= 1.5) and the peak RSS of ``bap check`` and its workers (goal <= 300 MB,
from ``getrusage(RUSAGE_CHILDREN)`` of a wrapper process), and the CPU time of each (all
processes: on a shared machine the wall time also counts the waits for a core, the CPU time
does not). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from backend_patterns.lint import check_code, check_tree

MODEL = """\
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Model{n}(Base):
    __tablename__ = "model_{n}"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    payload_{n}: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    options_{n}: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    config_{n}: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSONB))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
"""

SERVICE_HEAD = """\
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import flag_modified

from ..models.model_{n} import Model{n}


class Model{n}Service:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cache: dict[str, Any] = {{}}
"""

METHODS = [
    """
    async def set_key_{i}(self, obj: Model{n}, key: str, value: Any) -> None:
        obj.payload_{n}[key] = value
        await self.session.commit()
""",
    """
    async def set_key_flagged_{i}(self, obj: Model{n}, key: str, value: Any) -> None:
        obj.payload_{n}[key] = value
        flag_modified(obj, "payload_{n}")
        await self.session.commit()
""",
    """
    async def replace_{i}(self, obj: Model{n}, key: str, value: Any) -> None:
        obj.options_{n} = {{**obj.options_{n}, key: value}}
        await self.session.commit()
""",
    """
    async def tag_{i}(self, obj: Model{n}, tag: str) -> None:
        tags = obj.options_{n}.setdefault("tags", [])
        tags.append(tag)
        if tag.startswith("x"):
            flag_modified(obj, "options_{n}")
        await self.session.flush()
""",
    """
    async def list_{i}(self, limit: int = 50) -> list[Model{n}]:
        rows = await self.session.execute(select(Model{n}).limit(limit))
        result = []
        for row in rows.scalars():
            self.cache[row.name] = row.id
            result.append(row)
        return result
""",
    """
    async def configure_{i}(self, obj: Model{n}, key: str) -> None:
        obj.config_{n}[key] = True
        obj.config_{n}["nested"]["seen"] = key
        try:
            await self.session.commit()
        except Exception:
            await self.session.rollback()
            raise
""",
]


def generate(root: Path, lines: int) -> tuple[int, int]:
    """Write models and services until ``lines`` lines; returns (files, lines) written."""
    (root / "app" / "models").mkdir(parents=True)
    (root / "app" / "services").mkdir(parents=True)
    (root / "app" / "models" / "base.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    )
    total, files, n = 5, 1, 0
    while total < lines:
        model = MODEL.format(n=n)
        (root / "app" / "models" / f"model_{n}.py").write_text(model)
        parts = [SERVICE_HEAD.format(n=n)]
        parts += [METHODS[i % len(METHODS)].format(n=n, i=i) for i in range(18)]
        service = "".join(parts)
        (root / "app" / "services" / f"service_{n}.py").write_text(service)
        total += model.count("\n") + service.count("\n")
        files += 2
        n += 1
    return files, total


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


PARSE_ONLY = """
import ast, os, sys, time
from pathlib import Path
skip = {".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox"}
paths = []
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = sorted(d for d in dirs if d not in skip)
    paths += [os.path.join(folder, f) for f in files if f.endswith((".py", ".pyi"))]
start, cpu = time.perf_counter(), time.process_time()
lines = 0
for p in paths:
    data = Path(p).read_bytes()
    if len(data) > 2 * 1024 * 1024:
        continue
    lines += data.count(b"\\n")
    try:
        ast.parse(data, p)
    except (SyntaxError, ValueError):
        pass
print(len(paths), lines, time.perf_counter() - start, time.process_time() - cpu)
"""

CHILD_RSS = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
took = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(took, usage.ru_maxrss / 1024, done.returncode, usage.ru_utime + usage.ru_stime)
"""


def scale(args: argparse.Namespace) -> None:
    """The 700,000-line run: ast.parse alone against bap check, time and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bap-bench-scale-") as tmp:
        if args.path:
            root = Path(args.path)
        else:
            root = Path(tmp)
            (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
            generate(root, args.lines)
        bap = str(Path(sys.executable).parent / "bap")
        # a first run warms the project index of the tree (what a second run finds on disk)
        subprocess.run([bap, "check", str(root), "--exit-zero"], capture_output=True, check=False)
        out = subprocess.run(
            [sys.executable, "-c", PARSE_ONLY, str(root)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        files, lines, parse_s, parse_cpu = int(out[0]), int(out[1]), float(out[2]), float(out[3])
        print(f"tree: {root} : {files} files, {lines} lines")
        print(f"ast.parse only (one process):  {parse_s:7.2f} s   (CPU {parse_cpu:.2f} s)")
        for name, flags in (("bap check", []), ("bap check --no-project", ["--no-project"])):
            runs = []
            for _ in range(args.repeat):
                res = subprocess.run(
                    [sys.executable, "-c", CHILD_RSS, bap, "check", str(root), *flags],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                runs.append((float(res[0]), float(res[1]), int(res[2]), float(res[3])))
            took = min(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            cpu = min(r[3] for r in runs)
            ratio = took / parse_s
            print(
                f"{name + ':':30} {took:7.2f} s   ratio {ratio:5.2f} (goal <= 1.5: "
                f"{'met' if ratio <= 1.5 else 'MISSED'})   peak RSS {rss:6.0f} MB (goal <= 300: "
                f"{'met' if rss <= 300 else 'MISSED'})   exit {runs[0][2]}   "
                f"(CPU {cpu:.2f} s, all processes; CPU ratio {cpu / parse_cpu:.2f})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", action="store_true", help="the 700,000-line comparison")
    parser.add_argument("--path", help="with --scale: check this tree instead of a generated one")
    args = parser.parse_args()
    if args.scale:
        if args.lines == 10_000:
            args.lines = 700_000
        if args.repeat == 5:
            args.repeat = 1
        scale(args)
        return
    with tempfile.TemporaryDirectory(prefix="bap-bench-check-") as tmp:
        root = Path(tmp)
        files, lines = generate(root, args.lines)
        findings, warnings = check_tree([str(root)])
        assert not warnings
        print(f"tree: {files} files, {lines} lines, {len(findings)} findings")

        runs = timed(lambda: check_tree([str(root)]), args.repeat)
        print(
            f"check_tree:      best {min(runs) * 1000:7.1f} ms   "
            f"median {statistics.median(runs) * 1000:7.1f} ms   ({args.repeat} runs)"
        )

        bap = str(Path(sys.executable).parent / "bap")
        cli = timed(
            lambda: subprocess.run(
                [bap, "check", str(root), "--format", "json"], capture_output=True, check=False
            ),
            args.repeat,
        )
        print(
            f"bap check (CLI): best {min(cli) * 1000:7.1f} ms   "
            f"median {statistics.median(cli) * 1000:7.1f} ms   (end to end, process start "
            f"included)"
        )

        one = (root / "app" / "services" / "service_0.py").read_text()
        single = timed(lambda: check_code(one, json_attrs=["Model0.payload_0"]), 200)
        print(
            f"check_code:      median {statistics.median(single) * 1000:7.2f} ms per "
            f"{one.count(chr(10))}-line file (200 runs)"
        )
        goal = "met" if min(cli) < 1.0 else "MISSED"
        print(f"goal (< 1 s for {lines} lines, end to end): {goal}")


if __name__ == "__main__":
    main()
