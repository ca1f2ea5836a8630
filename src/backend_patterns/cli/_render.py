"""``bap render PATTERN [--set key=value ...] [--out DIR] [--with-tests] [--force] [--json]``."""

from __future__ import annotations

import json
import sys

from ..errors import UsageError
from . import make_parser


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument("pattern", help="the pattern to render, e.g. crud_endpoint")
    parser.add_argument("--set", dest="params", action="append", default=[],
                        metavar="KEY=VALUE", help="a parameter (repeatable); see 'bap show'")
    parser.add_argument("--out", metavar="DIR", help="write the files below DIR")
    parser.add_argument("--with-tests", action="store_true", help="also render a pytest module")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument("--json", action="store_true", help="print the files as JSON")
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR")
    args = parser.parse_args(argv)

    from ..pack import load_pack
    from ..render import render, write_files

    params: dict[str, str] = {}
    for item in args.params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set takes KEY=VALUE, got {item!r}.")
        params[key.strip()] = value
    files = render(args.pattern, params, with_tests=args.with_tests, pack=load_pack(args.pack))
    if args.out:
        written = write_files(files, args.out, force=args.force)
        if args.json:
            print(json.dumps({"written": [str(p) for p in written]}, indent=2))
        else:
            for path in written:
                print(f"wrote {path}")
        return 0
    if args.json:
        print(json.dumps({"files": [{"path": f.path, "content": f.content} for f in files]},
                         indent=2))
        return 0
    for i, f in enumerate(files):
        if len(files) > 1:
            sys.stdout.write(("\n" if i else "") + f"# ---- {f.path} ----\n")
        sys.stdout.write(f.content)
    return 0
