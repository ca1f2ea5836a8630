"""Helpers shared by the benchmark scripts: they print numbers and assert nothing."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def compile_bytecode() -> None:
    """Write .pyc files for the package, as an installed wheel has them.

    Without them (PYTHONDONTWRITEBYTECODE, fresh checkout) every start recompiles the sources,
    which measures the compiler rather than the tool.
    """
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "src")], check=True)


def paired(
    commands: dict[str, list[str]], runs: int, stdin: bytes | None = None, warmup: int = 3
) -> dict[str, list[float]]:
    """Run the commands alternately ``runs`` times each; wall times in milliseconds."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmup + runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(
                cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
            )
            if i >= warmup:
                times[name].append((time.perf_counter() - start) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
