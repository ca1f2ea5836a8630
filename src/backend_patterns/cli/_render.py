"""``bap render PATTERN [--set key=value ...] [--out DIR] [--with-tests] [--force] [--json]``."""

from __future__ import annotations

import json
import sys

from .._console import make_parser
from ..errors import UsageError


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


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("pattern", help="the pattern to render, e.g. crud_endpoint")
    parser.add_argument(
        "--set",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter (repeatable); see 'bap show'",
    )
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

    rendering = render_pattern(
        args.pattern, params, with_tests=args.with_tests, pack=load_pack(args.pack)
    )
    files = rendering.files
    head = {"pattern": rendering.pattern, "params": rendering.params}
    if args.out:
        written = write_files(files, args.out, force=args.force)
        if args.json:
            print(json.dumps({**head, "written": [str(p) for p in written]}, indent=2))
        else:
            for path in written:
                print(f"wrote {path}")
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
