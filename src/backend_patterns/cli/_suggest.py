"""``bap suggest TASK [--code FILE|-] [--path P] [--top N] [--json] [--batch]``.

This is the hot path: a hook runs it on every prompt. It imports nothing heavy.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any

from .._console import error_line, make_parser, render_command
from ..errors import BapError, UsageError
from . import word


def _read_code(source: str | None) -> str | None:
    if source is None:
        return None
    try:
        if source == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(source, "rb") as handle:
            return handle.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        where = "stdin" if source == "-" else source
        raise UsageError(f"{where} is not valid UTF-8 (byte {exc.start}).") from None
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}.") from None


def _color(text: str, code: str) -> str:
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


class _Args:
    """The parsed options of ``bap suggest``."""

    def __init__(self) -> None:
        self.task: str | None = None
        self.code: str | None = None
        self.path: str | None = None
        self.top = 3
        self.json = False
        self.batch = False
        self.pack: str | None = None


_FLAGS = {"--json": "json", "--batch": "batch"}
_VALUES = {"--code": "code", "--path": "path", "--top": "top", "--pack": "pack"}


def _fast_parse(argv: list[str]) -> _Args | None:
    """Parse the common forms by hand: argparse alone costs a fifth of a cold start.

    Anything unusual (help, a bad number, ``--opt=value``, an unknown option) returns None and
    goes to argparse, which owns the messages.
    """
    args = _Args()
    i = 0
    while i < len(argv):
        item = argv[i]
        if item in _FLAGS:
            setattr(args, _FLAGS[item], True)
        elif item in _VALUES and i + 1 < len(argv):
            i += 1
            value = argv[i]
            if item == "--top":
                if not value.isdigit():
                    return None
                args.top = int(value)
            else:
                setattr(args, _VALUES[item], value)
        elif (item.startswith("-") and item != "-") or args.task is not None:
            return None
        else:
            args.task = item
        i += 1
    return args


def run(command: str, argv: list[str], help_: str) -> int:
    fast = _fast_parse(argv)
    args = fast if fast is not None else _parse(command, argv, help_)
    return _run(args)


def _parse(command: str, argv: list[str], help_: str) -> Any:
    parser = make_parser(command, help_)
    parser.add_argument("task", nargs="?", help="what you want to do, in your own words")
    parser.add_argument("--code", metavar="FILE", help="code context: a file, or - for stdin")
    parser.add_argument("--path", metavar="P", help="path of the file being edited")
    parser.add_argument("--top", type=int, default=3, metavar="N", help="at most N (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--batch",
        action="store_true",
        help="read JSON lines {id, task, code, path} on stdin, answer each",
    )
    parser.add_argument("--pack", metavar="DIR", help="use the pack in DIR (or $BAP_PACK)")
    return parser.parse_args(argv)


def _json(s: Any) -> dict[str, Any]:
    return {**s.to_json(), "command": render_command(s.pattern, s.params)}


def _run(args: Any) -> int:
    from ..match import suggest
    from ..pack import load_pack

    if args.top < 1:
        raise UsageError("--top must be at least 1.")
    pack = load_pack(args.pack)
    if args.batch:
        if args.task is not None:
            raise UsageError("--batch reads tasks from stdin; do not pass a TASK too.")
        return _batch(pack, args.top)
    if args.task is None:
        raise UsageError("the task is empty; describe what you want to build.")
    code = _read_code(args.code)
    suggestions = suggest(args.task, code=code, path=args.path, top=args.top, pack=pack)
    if args.json:
        print(json.dumps({"suggestions": [_json(s) for s in suggestions]}, indent=2))
        return 0
    if not suggestions:
        print("No pattern fits this task.")
        return 0
    for s in suggestions:
        print(f"{_color(s.pattern, '1;36')}  {s.score:.2f}  {s.description}")
        print(f"  why: {s.why}")
        print(f"  run: {_color(render_command(s.pattern, s.params), '32')}")
    return 0


def _batch(pack: Any, top: int) -> int:
    """One JSON line in, one JSON line out, flushed; a bad line gets an error object."""
    from ..match import compiled, suggest

    # A long-running process pays its one-time costs up front, not on its first cases.
    compiled(pack).warm()
    suggest(
        "warm up",
        code="x.y: Mapped[dict] = mapped_column(JSONB)\nx.y['a']['b'] = 1\n",
        path="app/x.py",
        pack=pack,
    )
    out = sys.stdout
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        case_id: Any = None
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UsageError(f"line is not valid UTF-8 (byte {exc.start}).") from None
            try:
                case = json.loads(line, parse_constant=_not_json)
            except json.JSONDecodeError as exc:
                raise UsageError(f"line is not JSON: {exc.msg} at column {exc.colno}.") from None
            if not isinstance(case, dict):
                raise UsageError("line must be a JSON object {id, task, code, path}.")
            case_id = case.get("id")
            if isinstance(case_id, float) and not math.isfinite(case_id):
                case_id = None
                raise UsageError("'id' must be a finite number, a string or null.")
            task, code, path = case.get("task"), case.get("code"), case.get("path")
            if not isinstance(task, str):
                raise UsageError("'task' must be a string.")
            if code is not None and not isinstance(code, str):
                raise UsageError("'code' must be a string or null.")
            if path is not None and not isinstance(path, str):
                raise UsageError("'path' must be a string or null.")
            found = suggest(task, code=code, path=path, top=top, pack=pack)
            answer: dict[str, Any] = {"id": case_id, "suggestions": [_json(s) for s in found]}
        except BapError as exc:
            answer = {"id": case_id, "suggestions": [], "error": error_line(exc, word)}
        except Exception as exc:  # a bug of ours must not end a long-running batch
            message = f"Error: internal error: {type(exc).__name__}: {exc}"
            sys.stderr.write(message + "\n")
            answer = {"id": case_id, "suggestions": [], "error": message}
        out.write(_dump(answer) + "\n")
        out.flush()
    return 0


def _not_json(constant: str) -> Any:
    """``json.loads`` reads ``NaN`` and ``Infinity``; they are not JSON, so a line with one is
    refused (its answer would not be valid JSON either)."""
    raise UsageError(f"line is not JSON: {constant} is not a JSON value.")


def _dump(answer: dict[str, Any]) -> str:
    """``answer`` as one line of strict JSON (never ``NaN``); an error object when it cannot be."""
    try:
        return json.dumps(answer, allow_nan=False)
    except ValueError as exc:
        error = f"Error: internal error: the answer is not valid JSON ({exc})."
        return json.dumps({"id": None, "suggestions": [], "error": error})
