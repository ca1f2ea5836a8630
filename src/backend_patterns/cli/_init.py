"""``bap init [--project DIR] [--base M:N] [--session M:N] [--app M:N] ... [--dry-run]``."""

from __future__ import annotations

import json

from .._console import make_parser

_FOUND = (
    ("layout", "layout"),
    ("package", "package"),
    ("import_root", "import root"),
    ("app", "app"),
    ("include", "routers included on"),
    ("base", "declarative base"),
    ("session", "session dependency"),
    ("session_provider", "session provider"),
    ("settings", "settings"),
    ("database_url", "database URL from"),
    ("tests", "tests folder"),
    ("alembic", "alembic"),
)


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("--project", metavar="DIR", default=".", help="the project (default: .)")
    for flag, what in (
        ("base", "the declarative base, e.g. app.db:Base"),
        ("session", "the session dependency, e.g. app.deps:SessionDep"),
        ("app", "the FastAPI app, e.g. app.main:app"),
        ("include", "the app or router new routers are included on, e.g. app.api:api_router"),
        ("package", "the package new code goes into, e.g. app"),
        ("layout", "flat, package, src, domain or layered"),
        ("tests", "the tests folder"),
    ):
        parser.add_argument(f"--{flag}", metavar="VALUE", default="", help=what)
    parser.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    parser.add_argument("--json", action="store_true", help="print the conventions as JSON")
    args = parser.parse_args(argv)

    from ..scaffold import Change, Plan, apply, diff, project_root
    from ..scaffold._init import OVERRIDES, plan_init

    root = project_root(args.project)
    overrides = {flag: getattr(args, flag) for flag in OVERRIDES}
    conv, writes = plan_init(root, overrides)
    plan = Plan(root=root, pattern="", params={})
    plan.changes = [Change(path, new, old) for path, (old, new) in writes.items()]
    if not args.dry_run and plan.changes:
        apply(plan)
    if args.json:
        body = {"root": str(root), "conventions": conv.as_table(), "notes": conv.notes}
        body["written"] = [] if args.dry_run else [c.path for c in plan.changes]
        print(json.dumps(body, indent=2))
        return 0
    if args.dry_run:
        print(diff(plan), end="")
    print(f"{root}:")
    for attr, label in _FOUND:
        value = getattr(conv, attr)
        if value:
            print(f"  {label:<22} {value}")
    for note in conv.notes:
        print(f"  note: {note}")
    verb = "would write" if args.dry_run else "wrote"
    for c in plan.changes:
        print(f"{verb} {c.path}" + (" ([tool.bap])" if c.path == "pyproject.toml" else ""))
    if not plan.changes:
        print("[tool.bap] is up to date.")
    return 0
