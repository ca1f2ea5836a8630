"""How fast is ``bap check``? Generates a tree of ~10,000 lines (models and services mixing
in-place JSON changes with clean code) in a temp dir, then times ``check_tree`` in-process and
the ``bap check`` CLI end to end, and ``check_code`` on one service file (the hooks' path).

Run: .venv/bin/python benchmarks/bench_check.py [--lines 10000] [--repeat 5]
Goal: under 1 s for 10,000 lines.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
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
