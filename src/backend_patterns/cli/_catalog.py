"""``bap list``, ``bap show PATTERN`` and ``bap validate [--pack DIR] [--strict]``."""

from __future__ import annotations

import json

from .._console import make_parser
from ..errors import UsageError
from ..pack import Pack, PatternSpec


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    if command == "show":
        parser.add_argument("pattern", help="the pattern to show, e.g. crud_endpoint")
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR (or $BAP_PACK)")
    if command != "validate":
        parser.add_argument("--json", action="store_true", help="print JSON")
    else:
        parser.add_argument(
            "--strict",
            action="store_true",
            help="also audit the triggers on labelled cases: rare or duplicate entries, "
            "long regexes, rules no case fires (exit 1 when any)",
        )
        parser.add_argument(
            "--cases",
            nargs="+",
            metavar="FILE",
            help="labelled cases for --strict (default tests/eval/*.yaml but the frozen "
            "real_frozen*.yaml, and ../shared/eval/dev.yaml)",
        )
    args = parser.parse_args(argv)

    from ..pack import load_pack

    if command == "validate":
        if args.cases and not args.strict:
            raise UsageError("--cases goes with --strict.")
        pack = load_pack(args.pack, cache=False)
        rules = len(pack.triggers.get("rules") or [])
        print(f"ok: {pack.root} has {len(pack.patterns)} patterns and {rules} rules.")
        return _strict(pack, args.cases) if args.strict else 0
    pack = load_pack(args.pack)
    if command == "list":
        return _list(pack, args.json)
    return _show(pack.pattern(args.pattern), args.json)


def _strict(pack: Pack, files: list[str] | None) -> int:
    from pathlib import Path

    from ..match.audit import audit, counts
    from ..match.evaluate import load_cases
    from ..pack import TRIGGERS
    from ..pack._yaml import load_with_lines

    if not files:
        # the frozen part of the real titles is scored, never tuned on: it is left out here
        files = [
            str(p)
            for p in sorted(Path("tests/eval").glob("*.yaml"))
            if not p.name.startswith("real_frozen")
        ]
        files += [f for f in ["../shared/eval/dev.yaml"] if Path(f).is_file()]
        if not files:
            raise UsageError(
                "no labelled cases in tests/eval/*.yaml or ../shared/eval/dev.yaml; "
                "name them with --cases FILE."
            )
    cases = [case for f in files for case in load_cases(f)]
    _, lines = load_with_lines(pack.root / TRIGGERS)
    problems = audit(pack, cases, lines)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"strict: no problems on {len(cases)} labelled cases.")
        return 0
    summary = ", ".join(f"{n} {sort}" for sort, n in counts(problems).items())
    print(f"strict: {len(problems)} problems on {len(cases)} labelled cases ({summary}).")
    return 1


def _when(pack: Pack) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in pack.triggers.get("selection") or []:
        out.setdefault(row["pattern"], []).append(str(row["task"]))
    return out


def _list(pack: Pack, as_json: bool) -> int:
    when = _when(pack)
    rows = [
        {
            "pattern": p.name,
            "description": p.description,
            "usage": p.usage,
            "when": when.get(p.name, []),
        }
        for p in pack.patterns.values()
    ]
    if as_json:
        print(json.dumps({"patterns": rows}, indent=2))
        return 0
    width = max((len(r["pattern"]) for r in rows), default=0)
    for r in rows:
        task = "; ".join(r["when"])
        print(f"{r['pattern']:<{width}}  {r['description']} ({r['usage']})  when: {task}")
    return 0


def _show(spec: PatternSpec, as_json: bool) -> int:
    params = [
        {
            "name": p.name,
            "kind": p.kind,
            "default": p.default,
            "derive": p.derive,
            "required": p.required,
            "choices": list(p.choices),
            "help": p.help,
        }
        for p in spec.params
    ]
    dependencies = [{"spec": d.spec, "tests": d.tests, "when": d.when} for d in spec.dependencies]
    if as_json:
        print(
            json.dumps(
                {
                    "pattern": spec.name,
                    "description": spec.description,
                    "usage": spec.usage,
                    "summary": spec.summary,
                    "params": params,
                    "files": [f.path for f in spec.files if not f.tests],
                    "test_files": [f.path for f in spec.files if f.tests],
                    "dependencies": dependencies,
                },
                indent=2,
            )
        )
        return 0
    print(f"{spec.name}: {spec.description} ({spec.usage})")
    if spec.summary:
        print()
        print(spec.summary)
    if params:
        print("\nparameters:")
        for p in params:
            value = (
                "default empty"
                if p["default"] == ""
                else f"default {p['default']}"
                if p["default"] is not None
                else f"derived {p['derive']}"
                if p["derive"]
                else "required"
                if p["required"]
                else "optional"
            )
            choices = f" [{', '.join(p['choices'])}]" if p["choices"] else ""
            print(f"  {p['name']} ({p['kind']}{choices}, {value})")
            if p["help"]:
                print(f"      {p['help']}")
    print("\nfiles: " + ", ".join(f.path for f in spec.files if not f.tests))
    if dependencies:
        print("\ndependencies:")
        for d in dependencies:
            notes = ["tests only"] if d["tests"] else []
            notes += [f"when {d['when']}"] if d["when"] else []
            print(f"  {d['spec']}" + (f"  ({'; '.join(notes)})" if notes else ""))
        print()
    print(f"render: bap render {spec.name} --out DIR [--set key=value ...] [--with-tests]")
    print(f"add:    bap add {spec.name} [--set key=value ...]  (in a project after 'bap init')")
    return 0
