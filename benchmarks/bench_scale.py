"""How the engine scales with the size of a pack: load time, per-case time, peak memory.

    python benchmarks/bench_scale.py

Generates packs of 4, 100 and 1,000 patterns with 20 triggers each (keywords, phrases, intent
regexes, path globs, code regexes, a negative), then for each one, in a fresh process:
loads it cold (no cache), answers 200 tasks, and reports the per-case p50/p95 and the peak RSS.
Goals for 1,000 patterns: cold load <= 1 s, p95 <= 10 ms per case, peak memory <= 200 MB.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import PYTHON, compile_bytecode

WORDS = (
    "ledger invoice parcel route voyage ticket patient cohort sensor meter tariff lesson "
    "quiz badge guild raid asset lease tenant claim shift payroll roster deck track album "
    "stream playlist order basket coupon refund vendor supplier shelf bin crate pallet fleet "
    "driver depot ward clinic dose vial chart batch grade exam seat venue booking"
).split()
PROBE = r"""
import json, resource, sys, time
start = time.perf_counter()
from backend_patterns.pack import load_pack
from backend_patterns.match import compiled, suggest
pack = load_pack(sys.argv[1], cache=False)
compiled(pack)
load_s = time.perf_counter() - start
tasks = json.loads(sys.argv[2])
times = []
for task in tasks:
    t = time.perf_counter()
    suggest(task["task"], code=task["code"], path=task["path"], pack=pack)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"load_s": load_s, "p50": times[len(times) // 2],
                  "p95": times[int(len(times) * 0.95)],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_pack(root: Path, n: int, rng: random.Random, one_rule_per_trigger: bool = False) -> None:
    """A pack of ``n`` patterns, each with 20 triggers: 10 keywords and phrases, 4 intent
    regexes, 2 path globs, 2 code regexes and 2 negatives. By default they are grouped into six
    rules per pattern, as a pack author writes them; ``one_rule_per_trigger`` makes 20 rules."""
    (root / "patterns").mkdir(parents=True)
    lines = ["version: 1", "patterns:"]
    rules = ["rules:"]

    def rule(
        rid: str, name: str, kind: str, weight: float, items: list[str], key: str = "any"
    ) -> None:
        groups = [[item] for item in items] if one_rule_per_trigger else [items]
        for k, group in enumerate(groups):
            suffix = f"-{k}" if one_rule_per_trigger else ""
            rules.extend(
                [
                    f"  - id: {rid}{suffix}",
                    f"    pattern: {name}",
                    f"    kind: {kind}",
                    f"    weight: {weight}",
                    f"    {key}: [{', '.join(group)}]",
                ]
            )

    for i in range(n):
        name = f"p{i:04d}_{rng.choice(WORDS)}"
        lines += [f"  {name}:", f"    description: Pattern {i}"]
        (root / "patterns" / name).mkdir()
        (root / "patterns" / name / "pattern.yaml").write_text(
            "summary: generated\nparams: []\nfiles:\n  - {path: app.py, template: app.py.j2}\n"
        )
        (root / "patterns" / name / "app.py.j2").write_text("# generated\n")
        a, b, c = rng.sample(WORDS, 3)
        tag = f"{a}{i}"
        rule(
            f"{name}.kw",
            name,
            "keyword",
            0.7,
            [
                tag,
                f"{tag} {b}",
                f"{b} {c}{i}",
                f"{c}{i}x",
                f"{tag}s list",
                f"{a} {b}{i}",
                f"{b}{i} {c}",
                f"{c}{i}y",
                f"{tag} {c}",
                f"{a}{i}z",
            ],
        )
        rules.extend(
            [
                f"  - id: {name}.combo",
                f"    pattern: {name}",
                "    kind: keyword",
                "    weight: 0.5",
                f"    all: [{b}{i}q, {c}{i}q]",
            ]
        )
        rule(
            f"{name}.re",
            name,
            "intent",
            0.6,
            [f"'\\b(add|build|make)\\b.{{0,30}}\\b{tag}{j}s?\\b'" for j in range(4)],
        )
        rule(f"{name}.path", name, "path", 0.6, [f"'**/{tag}/**/*.py'", f"'**/*_{tag}.py'"])
        rule(
            f"{name}.code",
            name,
            "code",
            0.6,
            [f"'\\bclass {tag.title()}\\w*\\('", f"'@{tag}\\.\\w+\\('"],
        )
        rules.extend(
            [
                f"  - id: {name}.not",
                f"    pattern: {name}",
                "    kind: negative",
                f"    any: ['\\bremove the {tag}\\b', '\\bdelete {tag}\\b']",
            ]
        )
    (root / "triggers.yaml").write_text("\n".join(lines + rules) + "\n")


def tasks(rng: random.Random, n: int) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for k in range(200):
        i = rng.randrange(n)
        word = rng.choice(WORDS)
        kind = k % 4
        code = path = None
        text = f"please add the {word}{i} {rng.choice(WORDS)} thing for our team"
        if kind == 1:
            text = f"build a {word}{i}2 screen with filters and an export"
        elif kind == 2:
            code = f"class {word.title()}{i}Thing(Base):\n    pass\n" * 20
            text = "finish this"
        elif kind == 3:
            path = f"app/{word}{i}/views/list.py"
            text = "fill this in"
        out.append({"task": text, "code": code, "path": path})
    return out


def measure(n: int, rng: random.Random, one_rule_per_trigger: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_pack(root, n, rng, one_rule_per_trigger)
        rule_count = (root / "triggers.yaml").read_text().count("  - id: ")
        out = subprocess.run(
            [PYTHON, "-c", PROBE, str(root), json.dumps(tasks(rng, n))],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            sys.exit(out.stderr)
        return {**json.loads(out.stdout), "rules": rule_count}


def main() -> None:
    compile_bytecode()
    rng = random.Random(7)
    header = (
        f"{'patterns':>8} {'rules':>6} {'load_s':>8} {'p50_ms':>8} {'p95_ms':>8} {'rss_mb':>8}"
    )
    print("20 triggers per pattern, written as 6 rules (keywords, a combination, intents,")
    print("globs, code regexes, a negative):")
    print(header)
    base = None
    for n in (4, 100, 1000):
        r = measure(n, rng, False)
        base = base or r["p50"]
        print(
            f"{n:>8} {r['rules']:>6} {r['load_s']:>8.3f} {r['p50']:>8.3f} {r['p95']:>8.3f} "
            f"{r['rss_mb']:>8.1f}   p50 x{r['p50'] / base:.1f} vs 4 patterns"
        )
    print("goals at 1,000 patterns: load_s <= 1.0, p95_ms <= 10, rss_mb <= 200")
    print("\nthe same triggers as one rule each (20 rules per pattern):")
    print(header)
    r = measure(1000, rng, True)
    print(
        f"{1000:>8} {r['rules']:>6} {r['load_s']:>8.3f} {r['p50']:>8.3f} {r['p95']:>8.3f} "
        f"{r['rss_mb']:>8.1f}"
    )


if __name__ == "__main__":
    main()
