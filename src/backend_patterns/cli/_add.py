"""``bap add PATTERN [--set k=v ...] [--project DIR] [--dry-run] [--json] [--no-tests]``."""

from __future__ import annotations

import json

from .._console import make_parser
from ._render import add_set_option, parse_sets


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("pattern", help="the pattern to add, e.g. crud_endpoint")
    add_set_option(parser)
    parser.add_argument("--project", metavar="DIR", default=".", help="the project (default: .)")
    parser.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    parser.add_argument("--json", action="store_true", help="print the files and edits as JSON")
    parser.add_argument("--no-tests", action="store_true", help="do not add the pattern's tests")
    parser.add_argument(
        "--deps", action="store_true", help="declare what the project lacks in pyproject.toml"
    )
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR")
    args = parser.parse_args(argv)
    params = parse_sets(args.params)

    from ..pack import load_pack
    from ..scaffold import apply, diff, plan_add, with_dependencies

    plan = plan_add(
        args.project, args.pattern, params, pack=load_pack(args.pack), with_tests=not args.no_tests
    )
    if args.deps:
        with_dependencies(plan)
    if not args.dry_run:
        apply(plan)
    if args.json:
        print(json.dumps({**plan.as_json(), "written": not args.dry_run}, indent=2))
        return 0
    if args.dry_run:
        print(diff(plan), end="")
    created = [c.path for c in plan.changes if c.old is None]
    edited = [c.path for c in plan.changes if c.old is not None]
    verb = "would " if args.dry_run else ""
    print(
        f"\n{verb}add {args.pattern} to {plan.root}:" if args.dry_run else f"added {args.pattern}:"
    )
    for path in created:
        print(f"  {verb}create {path}")
    for path in edited:
        print(f"  {verb}edit   {path}")
    if plan.manual:
        print("add by hand:")
        for line in plan.manual:
            print(f"  {line}")
    for note in plan.notes:
        print(note)
    if plan.install:
        print(f"install what the project lacks:\n  {plan.install}")
    elif args.deps and (plan.missing or plan.missing_tests):
        print("declared in pyproject.toml: " + ", ".join(plan.missing + plan.missing_tests))
    return 0
