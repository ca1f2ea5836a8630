"""``bap check [PATHS ...] [--json-attr Model.attr ...] [--format text|json|sarif]``.

Exit 0 when clean, 1 on findings, 2 on usage errors. Files that do not parse or are not UTF-8
get a ``path:line:col: warning: ...`` line on stderr and the check goes on.
"""

from __future__ import annotations

import sys

from .._console import make_parser
from ..errors import UsageError


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="files or folders to check (default: .); '-' reads stdin",
    )
    parser.add_argument(
        "--json-attr",
        dest="json_attrs",
        action="append",
        default=[],
        metavar="MODEL.ATTR",
        help="treat MODEL.ATTR as a JSON column (repeatable), for models "
        "declared outside the paths checked",
    )
    parser.add_argument(
        "--format",
        choices=["text", "json", "sarif"],
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the path to report for code read from stdin ('-')",
    )
    args = parser.parse_args(argv)

    from ..lint import check_sources, parse_json_attrs, read_sources, sort_warnings
    from ..lint.report import FORMATS

    parse_json_attrs(args.json_attrs)  # bad values fail before any file is read
    paths = [p for p in args.paths if p != "-"]
    sources, warnings = read_sources(paths) if paths else ([], [])
    if "-" in args.paths:
        try:
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"stdin is not valid UTF-8 (byte {exc.start}).") from None
        sources.append((args.stdin_filename or "-", text))
    elif args.stdin_filename:
        raise UsageError("--stdin-filename needs '-' among the paths.")
    findings, more = check_sources(sources, args.json_attrs)
    for warning in sort_warnings(warnings + more):
        sys.stderr.write(warning.format() + "\n")
    sys.stdout.write(FORMATS[args.format](findings))
    return 1 if findings else 0
