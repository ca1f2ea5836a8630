"""``bap render PATTERN [--set key=value ...] [--out DIR] [--with-tests] [--force] [--json]``."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._console import make_parser
from ..errors import UsageError

if TYPE_CHECKING:
    from ..pack import PatternSpec
    from ..render import Rendering

# A "Run: ..." line in the docstring of a rendered app: the command with its settings.
_RUN_LINE = re.compile(r"^Run(?: it with)?: (.+)$", re.MULTILINE)


def parse_sets(items: list[str]) -> dict[str, str]:
    """``["resource=BlogPost", "fields=a:str,b:int"]`` -> a dict; each key at most once."""
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set takes KEY=VALUE, got {item!r}.")
        if key in params:
            raise UsageError(f"parameter '{key}' is set twice; give it once.")
        params[key] = value
    return params


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable), as ``bap render`` and ``bap add`` take it."""
    parser.add_argument(
        "--set",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter (repeatable); see 'bap show'",
    )


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("pattern", help="the pattern to render, e.g. crud_endpoint")
    add_set_option(parser)
    parser.add_argument(
        "--out", metavar="DIR", help="write the files below DIR (default: print them)"
    )
    parser.add_argument("--with-tests", action="store_true", help="also render a pytest module")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR")
    args = parser.parse_args(argv)
    params = parse_sets(args.params)

    from ..pack import load_pack
    from ..render import render_pattern, write_files

    pack = load_pack(args.pack)
    rendering = render_pattern(args.pattern, params, with_tests=args.with_tests, pack=pack)
    files = rendering.files
    head = {"pattern": rendering.pattern, "params": rendering.params}
    if args.out:
        written = write_files(files, args.out, force=args.force)
        steps = next_steps(pack.pattern(args.pattern), rendering, Path(args.out), args.with_tests)
        if args.json:
            paths = [str(p) for p in written]
            print(json.dumps({**head, "written": paths, "next_steps": steps}, indent=2))
        else:
            for path in written:
                print(f"wrote {path}")
            print_steps(steps)
        return 0
    if args.json:
        listing = [{"path": f.path, "content": f.content} for f in files]
        print(json.dumps({**head, "files": listing}, indent=2))
        return 0
    for i, f in enumerate(files):
        if len(files) > 1:
            sys.stdout.write(("\n" if i else "") + f"# ---- {f.path} ----\n")
        sys.stdout.write(f.content)
    return 0


def _project_root(out: Path) -> Path:
    """The nearest folder from ``out`` up that holds a pyproject.toml (else ``out``)."""
    for folder in (out, *out.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return out


def next_steps(
    pattern: PatternSpec, rendering: Rendering, out: Path, with_tests: bool
) -> dict[str, Any]:
    """What to do after ``bap render --out``: what is missing (compared with the project's
    declared requirements and this environment), the line installing it, how to run and test.
    """
    from ..render._deps import declared_requirements, install_line, missing, project_tool
    from ..render._deps import requirements as needed

    out = out.expanduser().resolve()
    root = _project_root(out)
    wanted = needed(pattern, rendering.params, with_tests=with_tests)
    lacking = missing(wanted, declared_requirements(root))
    folder = shlex.quote(str(out))
    app = next(
        (f for f in rendering.files if f.role == "app" or (not f.role and f.path == "app.py")),
        None,
    )
    run = None
    if app is not None:
        found = _RUN_LINE.search(app.content)
        module = app.path.removesuffix(".py").replace("/", ".")
        command = found.group(1).strip() if found else f"uvicorn {module}:app"
        run = f"cd {folder} && {command}"
    has_tests = any(f.tests for f in rendering.files)
    return {
        "requirements": [d.spec for d in wanted],
        "missing": lacking,
        "install": install_line(lacking, tool=project_tool(root)),
        "run": run,
        "test": f"cd {folder} && python -m pytest -q" if has_tests else None,
    }


def print_steps(steps: dict[str, Any]) -> None:
    print()
    print("next steps:")
    if steps["install"]:
        print(f"  install: {steps['install']}")
    elif steps["requirements"]:
        print("  install: nothing; every requirement is declared or installed")
    if steps["run"]:
        print(f"  run:     {steps['run']}")
    if steps["test"]:
        print(f"  test:    {steps['test']}")
