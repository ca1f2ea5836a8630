"""Per-case latency of `bap suggest --batch`, as the shared scorer measures it.

    python benchmarks/bench_batch.py [CASES.yaml ...]

Runs ../shared/eval/score.py (when present) on each case file with `bap suggest --batch` and
prints its summary line. The goal is p95 <= 1 ms per case on the dev cases.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import BIN, ROOT, compile_bytecode

SCORER = ROOT.parent / "shared" / "eval" / "score.py"


def main() -> None:
    compile_bytecode()
    files = [Path(a) for a in sys.argv[1:]] or [
        ROOT.parent / "shared" / "eval" / "dev.yaml",
        ROOT / "tests" / "eval" / "cases.yaml",
        ROOT / "tests" / "eval" / "holdout.yaml",
    ]
    if not SCORER.is_file():
        sys.exit(f"{SCORER} not found: run from a checkout next to shared/")
    for cases in files:
        if not cases.is_file():
            print(f"{cases}: not found, skipped")
            continue
        out = subprocess.run(
            [sys.executable, str(SCORER), str(cases), "--cmd", f"{BIN / 'bap'} suggest --batch"],
            capture_output=True,
            text=True,
        )
        lines = out.stdout.strip().splitlines()
        latency = next((ln for ln in lines if ln.startswith("latency")), "")
        print(f"{cases.name}: {latency}")
        print(f"  {lines[-1] if lines else out.stderr.strip()}")


if __name__ == "__main__":
    main()
