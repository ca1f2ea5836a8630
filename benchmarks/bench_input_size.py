"""Time of one suggestion as the code context (and the task) grows.

    python benchmarks/bench_input_size.py

Code contexts of 125 KB to 1 MB (realistic Python: models, routers, services, with some
JSONB mutations) and a 100 KB task. Goals: a 1 MB code context in <= 300 ms, growing linearly.
"""

from __future__ import annotations

import statistics
import time

from _common import compile_bytecode

BLOCK = """
class Agent{n}(Base):
    __tablename__ = "agents_{n}"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_metadata: Mapped[dict] = mapped_column(JSONB, default=dict)


@router.get("/agents/{{agent_id}}")
async def read_agent_{n}(agent_id: int, db: AsyncSession = Depends(get_db)) -> AgentRead:
    agent = await db.get(Agent{n}, agent_id)
    if agent is None:
        raise HTTPException(status_code=404, detail="not found")
    return agent


async def tag_{n}(session: AsyncSession, agent: Agent{n}, tag: str) -> None:
    agent.agent_metadata["tags"] = [*agent.agent_metadata.get("tags", []), tag]
    await session.commit()
"""


def code_of(size: int) -> str:
    parts, total, n = [], 0, 0
    while total < size:
        block = BLOCK.format(n=n)
        parts.append(block)
        total += len(block)
        n += 1
    return "".join(parts)[:size]


def timed(fn: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    compile_bytecode()
    from backend_patterns.match import suggest
    from backend_patterns.pack import load_pack

    pack = load_pack()
    suggest("warm up", code=code_of(1000), pack=pack)
    print(f"{'code size':>10} {'ms':>8} {'ms per 100 KB':>14}")
    for kb in (125, 250, 500, 1000):
        code = code_of(kb * 1000)
        ms = timed(lambda code=code: suggest("is this right?", code=code, pack=pack))
        print(f"{kb:>7} KB {ms:>8.1f} {ms / kb * 100:>14.1f}")
    task = ("We need the orders page to update for everyone who has it open. " * 1600)[:100_000]
    ms = timed(lambda: suggest(task, pack=pack))
    print(f"a 100 KB task: {ms:.1f} ms")
    print("goals: 1,000 KB in <= 300 ms, ms per 100 KB about constant")


if __name__ == "__main__":
    main()
