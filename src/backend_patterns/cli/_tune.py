"""``bap tune CASES... [--write] [--folds K] [--pack DIR]``: fit rule weights on labelled cases."""

from __future__ import annotations

import json

from .._console import make_parser
from ..errors import UsageError


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("cases", nargs="+", help="YAML lists of {id, task, code, path, expect}")
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the fitted weights and threshold into triggers.yaml (numbers only)",
    )
    parser.add_argument(
        "--folds", type=int, default=5, metavar="K", help="cross-validation folds (default 5)"
    )
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR (or $BAP_PACK)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.folds < 2:
        raise UsageError("--folds takes a whole number of 2 or more.")

    from ..match.evaluate import load_cases
    from ..match.tune import rewrite, tune
    from ..pack import TRIGGERS, load_pack

    pack = load_pack(args.pack, cache=False)
    cases = [case for path in args.cases for case in load_cases(path)]
    if args.folds > len(cases):
        raise UsageError(f"--folds {args.folds} is more than the {len(cases)} cases.")
    result = tune(cases, pack, k=args.folds)
    changes = result.changes()
    old_t, new_t = result.table.hand.threshold, result.model.threshold
    target = pack.root / TRIGGERS
    if args.write:
        from .._fs import write_atomic

        text = target.read_text(encoding="utf-8")
        fitted = {rule: new for rule, _, new in changes}
        threshold = new_t if new_t != old_t else None
        write_atomic(target, rewrite(text, fitted, threshold))
    if args.json:
        print(
            json.dumps(
                {
                    "cases": len(cases),
                    "folds": result.k,
                    "seed": result.seed,
                    "tags": {
                        t: {"n": n, "before": round(b, 4), "after": round(a, 4)}
                        for t, n, b, a in result.tags()
                    },
                    "threshold": {"before": old_t, "after": new_t},
                    "weights": {r: {"before": o, "after": n} for r, o, n in changes},
                    "written": str(target) if args.write else None,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"{len(cases)} cases, {result.k}-fold cross-validation (seed {result.seed}): "
        "top-1 accuracy with the hand-set weights and with weights fitted on the other folds"
    )
    print(f"{'tag':<12} {'n':>5} {'before':>8} {'after':>8}")
    for tag, n, before, after in result.tags():
        print(f"{tag:<12} {n:>5} {before:>8.3f} {after:>8.3f}")
    print(f"\nthreshold {old_t:g} -> {new_t:g}")
    rules = len(result.table.ids)
    print(f"weights fitted on all {len(cases)} cases: {len(changes)} of {rules} rules change")
    for rule, old, new in sorted(changes, key=lambda c: -abs(c[2] - c[1])):
        print(f"  {rule:<36} {old:g} -> {new:g}")
    if args.write:
        print(f"\nwrote {len(changes)} weights and the threshold into {target}")
    elif changes or new_t != old_t:
        print("\nrun with --write to write them into triggers.yaml")
    return 0
