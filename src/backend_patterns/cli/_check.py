"""``bap check [PATHS ...] [--select CODES] [--ignore CODES] [--json-attr Model.attr ...]
[--format text|json|sarif] [--exit-zero]``.

Exit 0 when clean (always, with ``--exit-zero``), 1 on findings, 2 on usage errors. Files that
do not parse or are not UTF-8 get a ``path:line:col: warning: ...`` line on stderr and the check
goes on. ``[tool.bap.lint]`` in the nearest ``pyproject.toml`` gives the defaults; the flags
override it: ``--select`` replaces its ``select``, ``--ignore`` and ``--json-attr`` add to it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .._console import make_parser
from ..errors import UsageError


def _codes(values: list[str] | None) -> list[str] | None:
    """``["BAP001,BAP002", "X"]`` -> ``["BAP001", "BAP002", "X"]`` (None stays None)."""
    if values is None:
        return None
    return [code for value in values for code in re.split(r"[\s,]+", value) if code]


def _epilog() -> str:
    from ..lint.registry import all_rules

    rows = "\n".join(f"  {r.code}  {r.name}: {r.summary}" for r in all_rules())
    return (
        f"rules:\n{rows}\n\n"
        "Defaults come from [tool.bap.lint] in the nearest pyproject.toml (keys: select, "
        "ignore,\njson-attrs, exclude); --select replaces its select, --ignore and --json-attr "
        "add to it."
    )


def run(command: str, argv: list[str], help_: str) -> int:
    parser = make_parser(command, help_)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _epilog()
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="files or folders to check (default: .); '-' reads stdin",
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="check only these rules: codes or prefixes, comma-separated or repeated "
        "(BAP001, BAP, ALL; default: all)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="do not check these rules (codes or prefixes; a more specific --select wins)",
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
        "--exit-zero",
        action="store_true",
        help="exit 0 even when there are findings",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the path to report for code read from stdin ('-')",
    )
    args = parser.parse_args(argv)

    from ..lint import check_sources, parse_json_attrs, read_sources, registry, sort_warnings
    from ..lint.config import load_config, start_dir
    from ..lint.report import FORMATS

    parse_json_attrs(args.json_attrs)  # bad values fail before any file is read
    if args.stdin_filename and "-" not in args.paths:
        raise UsageError("--stdin-filename needs '-' among the paths.")
    paths = [p for p in args.paths if p != "-"]
    where = paths + ([args.stdin_filename] if args.stdin_filename else [])
    config = load_config(start_dir(where))
    select = _codes(args.select)
    ignore = [*config.ignore, *(_codes(args.ignore) or [])]
    rules = registry.select(config.select if select is None else select, ignore)
    if not rules:
        sys.stderr.write("warning: no rule is selected; nothing was checked\n")
    exclude = config.excluder()
    sources, warnings = read_sources(paths, exclude) if paths else ([], [])
    if "-" in args.paths:
        try:
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"stdin is not valid UTF-8 (byte {exc.start}).") from None
        if not (args.stdin_filename and exclude(Path(args.stdin_filename))):
            sources.append((args.stdin_filename or "-", text))
    findings, more = check_sources(sources, [*config.json_attrs, *args.json_attrs], rules)
    for warning in sort_warnings(warnings + more):
        sys.stderr.write(warning.format() + "\n")
    sys.stdout.write(FORMATS[args.format](findings, rules))
    return 0 if args.exit_zero or not findings else 1
