"""Cold start of `bap suggest` against the floor our own dependencies set.

    python benchmarks/bench_cold_start.py [--runs N]

The floor is `python -c "import json, re, rapidfuzz"` on the same interpreter. The goal is a
median at most 1.4x the floor. Both are measured paired (alternating) in one run, so load on the
machine hits both alike; hyperfine's numbers are shown too when it is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess

from _common import BIN, PYTHON, compile_bytecode, median, paired, pct

TASK = "add a websocket endpoint for chat"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    compile_bytecode()
    commands = {
        "floor": [PYTHON, "-c", "import json, re, rapidfuzz"],
        # pack regexes run on RE2, so the floor with re2 imported is stated too
        "floor+re2": [PYTHON, "-c", "import json, re, rapidfuzz, re2"],
        "bap suggest": [str(BIN / "bap"), "suggest", "--json", TASK],
    }
    subprocess.run(commands["bap suggest"], check=True, capture_output=True)  # fill the cache
    times = paired(commands, args.runs)
    floor, ours = median(times["floor"]), median(times["bap suggest"])
    for name, values in times.items():
        print(
            f"{name:<12} median {median(values):6.1f} ms   p90 {pct(values, 0.9):6.1f} ms"
            f"   min {min(values):6.1f} ms   ({len(values)} runs)"
        )
    print(f"ratio (median bap suggest / median floor): {ours / floor:.2f}  (goal <= 1.40)")
    with_re2 = median(times["floor+re2"])
    print(f"ratio against the floor with re2: {ours / with_re2:.2f}  (goal <= 1.40)")
    if shutil.which("hyperfine"):
        floor_cmd = f"{PYTHON} -c 'import json, re, rapidfuzz'"
        ours_cmd = f"{BIN / 'bap'} suggest --json '{TASK}'"
        out = subprocess.run(
            [
                "hyperfine",
                "-N",
                "-w",
                "5",
                "-r",
                str(args.runs),
                "--style",
                "basic",
                floor_cmd,
                ours_cmd,
            ],
            capture_output=True,
            text=True,
        )
        lines = [
            ln
            for ln in out.stdout.splitlines()
            if "Time" in ln or "faster" in ln or "Benchmark" in ln
        ]
        print("hyperfine:")
        print("\n".join("  " + ln.strip() for ln in lines))


if __name__ == "__main__":
    main()
