"""Parsing one text the way a linter must: a text that does not parse is a diagnostic
(``BAP000 syntax-error``) naming where it stops and, when the syntax is only newer than the
running Python, which Python would parse it; Python's own warnings while parsing (invalid
escape sequences) are caught and returned with their line, never printed and never raised,
whatever ``-W`` says. Stdlib only: the hooks parse through here on every edit.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings

from ._findings import FileWarning, Finding
from .registry import Rule

SYNTAX_CODE = "BAP000"
SYNTAX_NAME = "syntax-error"
SYNTAX_DOC = """\
## What it does
Reports a file that Python cannot parse. No rule can check such a file, so `bap check` exits
non-zero, as ruff does for a syntax error. When the syntax is valid in a newer Python than the
one running `bap check` (a `match` statement on Python 3.9, a `type` statement or `def f[T]()`
on 3.11), the message says which Python parses it.

## Why is this bad?
A file that does not parse does not run, and a check that skips it silently would pass a tree
that no rule has seen.

## Example
```python
def f(:
    pass
```

## Use instead
```python
def f():
    pass
```

Or run `bap check` with the Python the project targets.

## References
- [Python grammar](https://docs.python.org/3/reference/grammar.html)
"""


def _no_check(*_: object) -> tuple[()]:
    return ()


# Not registered: a syntax error is reported whatever --select says, and noqa cannot hide it.
SYNTAX_RULE = Rule(
    code=SYNTAX_CODE,
    name=SYNTAX_NAME,
    summary="the file does not parse: no rule could check it",
    doc=SYNTAX_DOC,
    check=_no_check,
    severity="error",
    tags=("syntax",),
)

# Constructs a newer Python parses, newest first, each with a pattern that recognises it in
# source text (after a SyntaxError, so false matches only make a message more helpful).
_NEWER: list[tuple[tuple[int, int], str, re.Pattern[str]]] = [
    (
        (3, 14),
        "`except A, B:` without parentheses",
        re.compile(r"^[ \t]*except\*?[ \t]+[\w.]+[ \t]*,[ \t]*[\w.]+[^\n]*:[ \t]*(#.*)?$", re.M),
    ),
    ((3, 14), "template strings (t-strings)", re.compile(r"(?<![\w'\"])[tT][rR]?(['\"])")),
    (
        (3, 12),
        "the `type` statement",
        re.compile(r"^[ \t]*type[ \t]+[A-Za-z_]\w*[ \t]*(\[[^\n]*\])?[ \t]*=", re.M),
    ),
    (
        (3, 12),
        "type parameter lists (`def f[T]()`, `class C[T]`)",
        re.compile(r"^[ \t]*(async[ \t]+)?(def|class)[ \t]+[A-Za-z_]\w*[ \t]*\[", re.M),
    ),
    (
        (3, 12),
        "f-strings that reuse their quote or hold a backslash inside `{}`",
        re.compile(r"""(?<![\w'"])[rRbB]?[fF][rR]?(['"])(?:(?!\1)[^\n\\])*\{[^}\n]*(\1|\\)"""),
    ),
    ((3, 11), "`except*`", re.compile(r"^[ \t]*except[ \t]*\*", re.M)),
    (
        (3, 10),
        "the `match` statement",
        re.compile(
            r"^([ \t]*)match[ \t]+[^\n=]+:[ \t]*(#.*)?\n(?:[ \t]*(#.*)?\n)*"
            r"\1[ \t]+case[ \t(\[{'\"\w-]",
            re.M,
        ),
    ),
]


def needs_python(text: str) -> tuple[tuple[int, int], str] | None:
    """The newest Python version (above the running one) whose syntax ``text`` seems to use,
    with the construct, or None. Only asked after a SyntaxError."""
    running = sys.version_info[:2]
    for version, what, pattern in _NEWER:
        if version > running and pattern.search(text):
            return version, what
    return None


def _syntax_finding(path: str, text: str, exc: SyntaxError) -> Finding:
    line, col = exc.lineno or 1, exc.offset or 1
    newer = needs_python(text)
    if newer is not None:
        (major, minor), what = newer
        running = "{}.{}".format(*sys.version_info[:2])
        message = (
            f"cannot parse ({exc.msg}); it uses {what}, which needs Python {major}.{minor} "
            f"or newer (this is Python {running})"
        )
        fix = f"run bap check with Python {major}.{minor} or newer"
    else:
        message = f"cannot parse ({exc.msg})"
        fix = "fix the syntax error; no rule checks this file until it parses"
    return Finding(path, line, max(col, 1), message, fix, SYNTAX_CODE, SYNTAX_NAME)


def parse_source(path: str, text: str) -> tuple[ast.Module | Finding, list[FileWarning]]:
    """The tree of ``text`` (or its syntax-error diagnostic) and the warnings Python gave while
    parsing it (``SyntaxWarning``, ``DeprecationWarning`` for invalid escapes), with their
    lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # record them all, never raise them (-W error)
        try:
            tree: ast.Module | Finding = ast.parse(text, filename=path)
        except SyntaxError as exc:
            tree = _syntax_finding(path, text, exc)
        except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, deep nesting
            tree = Finding(
                path, 1, 1, f"cannot parse ({exc})", "simplify the file", SYNTAX_CODE, SYNTAX_NAME
            )
    found: list[FileWarning] = []
    seen: set[tuple[int, str]] = set()
    for w in caught:
        if not issubclass(w.category, SyntaxWarning | DeprecationWarning):
            continue
        key = (w.lineno or 1, str(w.message))
        if key in seen:
            continue
        seen.add(key)
        found.append(FileWarning(path, key[0], 1, f"{w.category.__name__}: {w.message}"))
    return tree, found
