"""``bap check [PATHS ...] [--select CODES] [--ignore CODES] [--json-attr Model.attr ...]
[--format text|json|sarif] [--exit-zero] [--fix | --diff] [--no-project]``.

Exit 0 when clean (always, with ``--exit-zero``), 1 on findings, 2 on usage errors. A file that
does not parse is a finding (``BAP000 syntax-error``), as in ruff. Files that are not UTF-8, not
regular files (FIFOs, devices) or larger than ``max-file-bytes`` get a
``path:line:col: warning: ...`` line on stderr, as do Python's own warnings while parsing, and
the check goes on. ``--fix`` inserts the safe fixes, ``--diff`` prints them.
``[tool.bap.lint]`` in the nearest ``pyproject.toml`` gives the defaults; the flags
override it: ``--select`` replaces its ``select``, ``--ignore`` and ``--json-attr`` add to it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._console import make_parser
from ..errors import UsageError

if TYPE_CHECKING:
    from ..lint import Finding, Rule


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
        "ignore,\njson-attrs, exclude, max-file-bytes); --select replaces its select, --ignore "
        "and\n--json-attr add to it."
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
    parser.add_argument(
        "--fix",
        action="store_true",
        help="insert the safe fixes (findings marked [*]) into the files; the rest stay findings",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print the safe fixes as a unified diff and write nothing (exit 1 if any)",
    )
    parser.add_argument(
        "--no-project",
        action="store_true",
        help="check the paths given on their own, without the project model of their root",
    )
    args = parser.parse_args(argv)

    from ..lint import check_tree, parse_json_attrs, registry
    from ..lint.config import load_config, start_dir
    from ..lint.report import FORMATS, format_text

    parse_json_attrs(args.json_attrs)  # bad values fail before any file is read
    if args.stdin_filename and "-" not in args.paths:
        raise UsageError("--stdin-filename needs '-' among the paths.")
    if (args.fix or args.diff) and "-" in args.paths:
        raise UsageError("--fix and --diff change files; they do not take stdin ('-').")
    if args.fix and args.diff:
        raise UsageError("--diff shows the fixes without writing them: choose --fix or --diff.")
    paths = [p for p in args.paths if p != "-"]
    where = paths + ([args.stdin_filename] if args.stdin_filename else [])
    config = load_config(start_dir(where))
    select = _codes(args.select)
    ignore = [*config.ignore, *(_codes(args.ignore) or [])]
    rules = registry.select(config.select if select is None else select, ignore)
    if not rules:
        sys.stderr.write("warning: no rule is selected; nothing was checked\n")
    exclude = config.excluder()
    extra: list[tuple[str, str]] = []
    if "-" in args.paths:
        try:
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"stdin is not valid UTF-8 (byte {exc.start}).") from None
        if not (args.stdin_filename and exclude(Path(args.stdin_filename))):
            extra.append((args.stdin_filename or "-", text))
    findings, warnings = check_tree(
        paths,
        [*config.json_attrs, *args.json_attrs],
        rules,
        exclude,
        extra=extra,
        max_bytes=config.max_file_bytes,
        load_project=not args.no_project,
    )
    for warning in warnings:
        sys.stderr.write(warning.format() + "\n")
    if args.fix or args.diff:
        return _fix(findings, rules, args, config.max_file_bytes, format_text, FORMATS)
    sys.stdout.write(FORMATS[args.format](findings, rules))
    return 0 if args.exit_zero or not findings else 1


def _fix(
    findings: list[Finding],
    rules: Sequence[Rule],
    args: argparse.Namespace,
    max_bytes: int,
    format_text: Callable[..., str],
    formats: Mapping[str, Callable[[Sequence[Finding], Sequence[Rule]], str]],
) -> int:
    """``--fix`` writes the safe fixes, ``--diff`` prints them; libcst loads only here."""
    import difflib

    from .._fs import read_bytes_bounded, write_atomic
    from ..lint.fix import fix_text

    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.fix_edit is not None:
            by_path.setdefault(f.path, []).append(f)
    done: set[int] = set()
    for path, group in sorted(by_path.items()):
        if os.path.islink(path):
            sys.stderr.write(f"{path}: warning: a symlink; not fixed (fix the file it names)\n")
            continue
        try:
            data = read_bytes_bounded(path, max_bytes)
        except OSError as exc:
            sys.stderr.write(f"{path}: warning: cannot read ({exc.strerror}); not fixed\n")
            continue
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue  # it was checked, so this only happens if it changed meanwhile
        result = fix_text(text, group)
        if not result.changed:
            continue
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    result.text.splitlines(keepends=True),
                    fromfile=f"a/{path}",
                    tofile=f"b/{path}",
                )
            )
        else:
            try:
                write_atomic(path, (b"\xef\xbb\xbf" if bom else b"") + result.text.encode())
            except OSError as exc:
                sys.stderr.write(f"{path}: warning: cannot write ({exc.strerror}); not fixed\n")
                continue
        done.update(id(f) for f in result.fixed)
    if args.diff:
        n = len(done)
        sys.stderr.write(
            f"Would fix {n} error{'' if n == 1 else 's'}.\n" if n else "No fixes available.\n"
        )
        return 1 if n and not args.exit_zero else 0
    remaining = [f for f in findings if id(f) not in done]
    if args.format == "text":
        sys.stdout.write(format_text(remaining, rules, fixed=len(done)))
    else:
        sys.stdout.write(formats[args.format](remaining, rules))
    return 0 if args.exit_zero or not remaining else 1
