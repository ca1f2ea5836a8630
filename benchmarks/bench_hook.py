"""Cold start of ``bap hook prompt`` against a bare interpreter importing json, re and rapidfuzz.

Runs the hook exactly as ``bap install claude`` registers it (``python -m backend_patterns hook
prompt``, the payload on stdin) and the baseline ``python -c "import json, re, rapidfuzz"`` on
the same interpreter, in one run: with hyperfine when it is installed, else (or with
``--paired``) in an interleaved loop where each hook run is paired with a baseline run.
Prints both medians and the ratio (goal: ratio <= 1.4).

    python benchmarks/bench_hook.py [--runs 200] [--paired]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "Add a WebSocket endpoint that broadcasts chat messages to a room"
GOAL = 1.4


def commands(payload: Path) -> tuple[list[str], list[str]]:
    hook = [sys.executable, "-m", "backend_patterns", "hook", "prompt"]
    base = [sys.executable, "-c", "import json, re, rapidfuzz"]
    return hook, base


def run_once(cmd: list[str], payload: Path) -> float:
    with payload.open("rb") as stdin:
        start = time.perf_counter()
        subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start


def paired(hook: list[str], base: list[str], payload: Path, runs: int) -> tuple[float, float]:
    for _ in range(5):  # warm the page cache and the pack cache
        run_once(hook, payload)
        run_once(base, payload)
    hook_t, base_t = [], []
    for i in range(runs):
        order = (hook, base) if i % 2 == 0 else (base, hook)
        times = {id(c): run_once(c, payload) for c in order}
        hook_t.append(times[id(hook)])
        base_t.append(times[id(base)])
    return statistics.median(hook_t), statistics.median(base_t)


def with_hyperfine(
    hook: list[str], base: list[str], payload: Path, runs: int
) -> tuple[float, float]:
    import shlex

    out = payload.with_suffix(".hyperfine.json")
    stdin = shlex.quote(str(payload))
    # Both commands go through the same shell with the same redirection, so the comparison is
    # fair; hyperfine subtracts the shell's own start-up.
    subprocess.run(
        [
            "hyperfine",
            "--warmup",
            "5",
            "--runs",
            str(runs),
            "--style",
            "basic",
            "--export-json",
            str(out),
            f"{shlex.join(hook)} < {stdin}",
            f"{shlex.join(base)} < {stdin}",
        ],
        check=True,
    )
    results = json.loads(out.read_text())["results"]
    return results[0]["median"], results[1]["median"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--paired", action="store_true", help="use the paired loop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "payload.json"
        payload.write_text(
            json.dumps({"prompt": PROMPT, "cwd": tmp, "hook_event_name": "UserPromptSubmit"})
        )
        hook, base = commands(payload)
        check = subprocess.run(hook, stdin=payload.open("rb"), capture_output=True, check=True)
        assert b"additionalContext" in check.stdout, "the hook found no pattern: not a fair run"
        method = "paired loop"
        if shutil.which("hyperfine") and not args.paired:
            try:
                hook_m, base_m = with_hyperfine(hook, base, payload, args.runs)
                method = "hyperfine"
            except subprocess.CalledProcessError:  # a hyperfine that does not run: fall back
                hook_m, base_m = paired(hook, base, payload, args.runs)
        else:
            hook_m, base_m = paired(hook, base, payload, args.runs)
        # Pack regexes run on RE2 (linear time), so the floor with re2 imported is stated too.
        re2_base = [*base[:-1], base[-1] + ", re2"]
        hook_2, re2_m = paired(hook, re2_base, payload, max(args.runs // 2, 20))
    ratio = hook_m / base_m
    print(f"method: {method}, {args.runs} runs each, python {sys.version.split()[0]}")
    print(f"bap hook prompt                      median {hook_m * 1000:7.1f} ms")
    print(f"python -c 'import json, re, rapidfuzz' median {base_m * 1000:5.1f} ms")
    print(f"ratio {ratio:.2f} (goal <= {GOAL}): {'ok' if ratio <= GOAL else 'OVER'}")
    ratio_2 = hook_2 / re2_m
    print(
        f"with re2 in the floor ({re2_m * 1000:.1f} ms, paired loop): ratio {ratio_2:.2f} "
        f"(goal <= {GOAL}): {'ok' if ratio_2 <= GOAL else 'OVER'}"
    )


if __name__ == "__main__":
    main()
