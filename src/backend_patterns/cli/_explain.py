"""``bap explain TASK``: every pattern's score, every trigger that fired or nearly fired."""

from __future__ import annotations

import json

from .._console import make_parser
from ..errors import UsageError
from ._suggest import _read_code


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("task", help="what you want to do, in your own words")
    parser.add_argument("--code", metavar="FILE", help="code context: a file, or - for stdin")
    parser.add_argument("--path", metavar="P", help="path of the file being edited")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR (or $BAP_PACK)")
    args = parser.parse_args(argv)
    if not args.task.strip():
        raise UsageError("the task is empty; describe what you want to build.")

    from ..match import compiled, explain
    from ..pack import load_pack

    pack = load_pack(args.pack)
    rows, negatives = explain(args.task, _read_code(args.code), args.path, pack=pack)
    threshold = compiled(pack).threshold
    if args.json:
        print(
            json.dumps(
                {
                    "threshold": threshold,
                    "patterns": [
                        {
                            "pattern": r.pattern,
                            "score": round(r.score, 3),
                            "suggested": r.suggested,
                            "fired": [
                                {
                                    "rule": h.rule,
                                    "kind": h.kind,
                                    "matched": h.matched,
                                    "weight": h.weight,
                                }
                                for h in r.fired
                            ],
                            "near": [
                                {"rule": h.rule, "kind": h.kind, "matched": h.matched}
                                for h in r.near
                            ],
                        }
                        for r in rows
                    ],
                    "negatives": [
                        {
                            "rule": h.rule,
                            "pattern": h.pattern,
                            "effect": h.effect,
                            "matched": h.matched,
                        }
                        for h in negatives
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(f"threshold {threshold:.2f}")
    for r in rows:
        mark = "suggested" if r.suggested else "below threshold"
        print(f"\n{r.pattern}  {r.score:.3f}  ({mark})")
        for h in r.fired:
            print(f"  fired  {h.rule:<28} {h.kind:<8} w={h.weight:.2f}  {h.matched!r}")
        for h in r.near:
            print(f"  near   {h.rule:<28} {h.kind:<8}         {h.matched!r}")
        if not r.fired and not r.near:
            print("  (nothing fired)")
    if negatives:
        print("\nnegatives")
        for h in negatives:
            print(f"  {h.effect:<5}  {h.rule:<28} on {h.pattern:<18} {h.matched!r}")
    return 0
