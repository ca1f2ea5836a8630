"""1,000 sequential ``suggest_patterns`` calls to ``bap mcp`` over stdio, with the SDK's client.

Starts the real server as a subprocess (as an assistant does), warms it up, then times each
``tools/call`` round trip from the client's side. Prints the median and p95 per call
(goal: median <= 2 ms; the SDK's own floor is about 1.1-1.5 ms).

    python benchmarks/bench_mcp.py [--calls 1000] [--mode auto|legacy]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

TASKS = [
    "Add a WebSocket endpoint that broadcasts chat messages to a room",
    "CRUD endpoints for blog posts with pagination",
    "Move the order logic out of the router into a service class",
    "Update a key inside the JSONB metadata column of an agent",
    "What is the capital of Australia?",
]
GOAL_MS = 2.0


async def bench(calls: int, mode: str) -> list[float]:
    bap = str(Path(sys.executable).parent / "bap")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    params = StdioServerParameters(command=bap, args=["mcp"], env=env)
    times: list[float] = []
    async with Client(params, mode=mode) as client:
        for task in TASKS * 20:  # warm-up
            await client.call_tool("suggest_patterns", {"task": task})
        for i in range(calls):
            task = TASKS[i % len(TASKS)]
            start = time.perf_counter()
            result = await client.call_tool("suggest_patterns", {"task": task})
            times.append(time.perf_counter() - start)
            assert not result.is_error
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--mode", default="auto", choices=["auto", "legacy"])
    args = parser.parse_args()
    times = anyio.run(bench, args.calls, args.mode)
    ms = sorted(t * 1000 for t in times)
    median = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{args.calls} sequential suggest_patterns calls over stdio (mode={args.mode})")
    print(f"median {median:.3f} ms per call, p95 {p95:.3f} ms, mean {statistics.fmean(ms):.3f} ms")
    print(f"goal median <= {GOAL_MS} ms: {'ok' if median <= GOAL_MS else 'OVER'}")


if __name__ == "__main__":
    main()
