"""``bap eval CASES.yaml [--min X]``: test a pack's triggers against labelled cases."""

from __future__ import annotations

import json

from .._console import make_parser
from ..errors import UsageError


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("cases", help="a YAML list of {id, task, code, path, expect, tags}")
    parser.add_argument(
        "--min",
        type=float,
        default=None,
        metavar="X",
        help="exit 1 when overall accuracy is below X (0..1)",
    )
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR (or $BAP_PACK)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.min is not None and not 0.0 <= args.min <= 1.0:
        raise UsageError("--min takes a number from 0 to 1.")

    from ..match.evaluate import by_tag, evaluate, load_cases, summary
    from ..pack import load_pack

    pack = load_pack(args.pack)
    results, latencies = evaluate(load_cases(args.cases), pack)
    totals = summary(results)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else 0.0
    failed = [r for r in results if not r.ok]
    if args.json:
        print(
            json.dumps(
                {
                    **{k: round(v, 4) for k, v in totals.items()},
                    "p95_ms": round(p95, 3),
                    "tags": {
                        t: {"n": n, "correct": c, "acc": round(c / n, 4)}
                        for t, n, c in by_tag(results)
                    },
                    "failed": [
                        {"id": r.case_id, "expect": r.expect, "got": r.got, "task": r.task}
                        for r in failed
                    ],
                },
                indent=2,
            )
        )
    else:
        print(f"{'tag':<12} {'n':>4} {'correct':>8} {'acc':>7}")
        for tag, n, correct in by_tag(results):
            print(f"{tag:<12} {n:>4} {correct:>8} {correct / n:>7.3f}")
        if failed:
            print(f"\nfailed ({len(failed)}):")
            for r in failed:
                expect = "/".join(r.expect) or "(none)"
                print(
                    f"  {r.case_id:<6} expect={expect:<32} got={r.got or '(none)':<18} "
                    f"{r.task[:70]}"
                )
        print(
            f"\noverall {totals['overall']:.3f} positives {totals['positives']:.3f} "
            f"negatives {totals['negatives']:.3f} p95_ms {p95:.2f}"
        )
    if args.min is not None and totals["overall"] < args.min:
        if not args.json:
            print(f"below --min {args.min}")
        return 1
    return 0
