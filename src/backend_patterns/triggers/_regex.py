"""Regular expressions of a pack: checking them, globs as regexes, code regexes made fast, and
the literal strings a regex needs (the gate that lets the matcher skip it).

Runs when a pack is parsed. Only literal strings and regex sources reach the pack cache, never
compiled programs, so the cache does not depend on the interpreter's regex internals.
"""

from __future__ import annotations

import re
from typing import Any


class BadRegex(ValueError):
    """A regex of the pack that does not compile; the loader names its rule and line."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)  # both in args, so it survives pickling
        self.source = source
        self.reason = reason


def glob_regex(glob: str) -> str:
    """``**/routes/*.py`` -> a regex over POSIX paths; ``**`` spans folders, ``*`` does not."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "[":
            end = glob.find("]", i + 2)
            if end != -1:  # a character class: [0-9], [!_]
                body = glob[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end + 1
                continue
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return "".join(out) + r"\Z"


def glob_literal(glob: str) -> str | None:
    """The longest wildcard-free piece of a glob (lower case), if it has one of 3+ characters."""
    pieces = re.split(r"[*?\[\]]+", glob.lower())
    best = max(pieces, key=len, default="")
    return best if len(best.strip("/")) >= 3 else None


_GLOBAL_FLAGS = r"\(\?[aiLmsux]+\)"
_LEADING_WORD = r"\\b([A-Za-z_][A-Za-z0-9_]*)(?![?*+{\w])"


def code_regex(source: str) -> str:
    """A code-context regex rewritten to search fast on long code, with the same matches.

    Code is case-sensitive, and a case-sensitive pattern that starts with a literal is found
    by a fast scan instead of an attempt at every position (about 15x faster on 1 MB). A
    leading ``\\bword`` becomes ``word(?<!\\wword)``, which matches the same text but starts
    with the literal.
    """
    flags = re.match(_GLOBAL_FLAGS, source)
    head = flags.group(0) if flags else ""
    body = source[len(head) :]
    found = re.match(_LEADING_WORD, body)
    if found:
        word = found.group(1)
        body = f"{word}(?<!\\w{word}){body[found.end() :]}"
    return f"{head}(?-i:{body})"


def analyse(source: str) -> list[str] | None:
    """Check that ``source`` compiles (``BadRegex`` if not) and return the lower-case literal
    strings one of which every match contains, or None when that is not known.

    The literals come from the regex's parse tree, read through ``re._parser``; where that
    module differs (another Python), the regex is still checked and simply has no gate.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(source, re.IGNORECASE)
    except re.error as exc:
        raise BadRegex(source, str(exc)) from None
    except (RecursionError, OverflowError) as exc:
        raise BadRegex(source, type(exc).__name__) from None
    except Exception:  # no parser of that shape here: check with the public API only
        tree = None
    try:
        _compile(source, tree)
    except re.error as exc:
        raise BadRegex(source, str(exc)) from None
    except (RecursionError, OverflowError) as exc:
        raise BadRegex(source, type(exc).__name__) from None
    if re2_program(source) is None:  # it runs on Python's re: refuse exponential backtracking
        why = catastrophic(source, tree)
        if why:
            raise BadRegex(
                source,
                f"{why}, which takes exponential time on some inputs (it needs look-around, a "
                "backreference or a Python-only construct, so it runs on Python's re); rewrite "
                "it without nested repeats",
            )
    if tree is None:
        return None
    try:
        return _sequence(list(tree))
    except Exception:  # an unfamiliar tree: no gate, never a wrong one
        return None


def _compile(source: str, tree: Any) -> None:
    """Compile ``source`` once to catch what only the compiler refuses (a look-behind of no
    fixed width): from the parse tree when this Python's compiler takes one, else afresh."""
    if tree is not None:
        try:
            from re import _compiler  # type: ignore[attr-defined]

            _compiler.compile(tree, re.IGNORECASE)
            return
        except re.error:
            raise
        except Exception:  # another compiler: the public way, which parses again
            pass
    re.compile(source, re.IGNORECASE)


def _better(best: list[str] | None, candidate: list[str] | None) -> list[str] | None:
    if not candidate:
        return best
    if best is None:
        return candidate
    score = min(map(len, candidate)) - len(candidate) / 8
    return candidate if score > min(map(len, best)) - len(best) / 8 else best


def _sequence(items: list[Any]) -> list[str] | None:
    """Literals required by a sequence of parse-tree items: a run of literal characters, or one
    of the alternatives of a branch when every alternative requires something."""
    from re import _constants as c  # type: ignore[attr-defined]

    best: list[str] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best, run
        # Two characters or more; one will do when it is punctuation ("[", "/"), which most
        # tasks lack.
        if len(run) >= 2 or (run and not run[0].isalnum() and not run[0].isspace()):
            best = _better(best, ["".join(run)])
        run = []

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av).lower())
            continue
        flush()
        if op is c.SUBPATTERN:
            best = _better(best, _sequence(list(av[-1])))
        elif op is c.BRANCH:
            options = [_sequence(list(branch)) for branch in av[1]]
            if options and all(options):
                best = _better(best, sorted({s for o in options if o for s in o}))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            best = _better(best, _sequence(list(av[2])))
    flush()
    return best


# -- linear-time matching ------------------------------------------------------------------
# A pack's regexes run on RE2 (``google-re2``), whose time is linear in the input, whenever
# RE2 has every construct they use. The rest (look-around, backreferences, a few Python-only
# flags) run on Python's ``re``; for those the cold parse refuses catastrophic nesting, a
# repeat whose body can match the same text in more than one way, which backtracks in
# exponential time.

_RE2_OPTIONS: dict[bool, Any] = {}


def _re2_options(ignorecase: bool) -> Any:
    options = _RE2_OPTIONS.get(ignorecase)
    if options is None:
        import re2  # type: ignore[import-untyped]

        options = re2.Options()
        options.log_errors = False  # a refusal is a fallback to re, not a line on stderr
        options.case_sensitive = not ignorecase
        _RE2_OPTIONS[ignorecase] = options
    return options


_CODE_HEAD = re.compile(rf"((?:{_GLOBAL_FLAGS})?\(\?-i:)([A-Za-z_][A-Za-z0-9_]*)\(\?<!\\w\2\)")


def re2_source(source: str) -> str:
    """``source`` in RE2's spelling: Python's ``\\Z`` is RE2's ``\\z``, ``{,n}`` is ``{0,n}``,
    and the look-behind ``code_regex`` puts after a leading word is ``\\b`` again (RE2 finds a
    leading literal fast by itself, and has no look-behind)."""
    head = _CODE_HEAD.match(source)
    if head:
        source = f"{head.group(1)}\\b{head.group(2)}{source[head.end() :]}"
    if "\\Z" not in source and "{," not in source:
        return source
    out: list[str] = []
    i, in_class = 0, False
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            out.append("\\z" if nxt == "Z" and not in_class else c + nxt)
            i += 2
            continue
        if in_class:
            in_class = c != "]" or out[-1] == "["  # a "]" first in a class is a member
        elif c == "[":
            in_class = True
            if source.startswith("[^]", i) or source.startswith("[]", i):
                out.append(source[i : i + 2] if source[i + 1] == "]" else source[i : i + 3])
                i += len(out[-1])
                continue
        elif c == "{" and re.match(r"\{,\d+\}", source[i:]):
            out.append("{0")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def re2_program(source: str, ignorecase: bool = True) -> Any | None:
    """``source`` compiled by RE2, or None when RE2 lacks one of its constructs (or is not
    installed): then it runs on Python's ``re``."""
    try:
        import re2
    except ImportError:  # pragma: no cover - a dependency; without it everything runs on re
        return None
    try:
        return re2.compile(re2_source(source), _re2_options(ignorecase))
    except re2.error:
        return None


def catastrophic(source: str, tree: Any = None) -> str | None:
    """Why ``source`` can backtrack in exponential time on Python's ``re`` (a repeated group
    whose body can match the same text in two ways, as in ``(a+)+``, ``(a|a)*``,
    ``(\\w+\\s?)*``), or None. A heuristic that errs towards refusing."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        if tree is None:
            tree = _parser.parse(source, re.IGNORECASE)
        return _Nesting().items(list(tree), set(), tree.state.flags)
    except Exception:  # an unfamiliar parser: no verdict
        return None


_SAMPLE = frozenset("".join(chr(i) for i in range(128)) + "\x85\xa0éßÉ٣字\u2028\u3000\U0001f600")
_EMPTY = "\0empty"  # in a first set: what precedes it can be followed by nothing


def _category(name: str) -> frozenset[str]:
    probe = {
        "DIGIT": r"\d",
        "NOT_DIGIT": r"\D",
        "SPACE": r"\s",
        "NOT_SPACE": r"\S",
        "WORD": r"\w",
        "NOT_WORD": r"\W",
        "LINEBREAK": r"\n",
        "NOT_LINEBREAK": r"[^\n]",
    }.get(name.removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_"), r"[\s\S]")
    return frozenset(c for c in _SAMPLE if re.fullmatch(probe, c))


class _Nesting:
    """Walks a parse tree looking for a repeat whose body is ambiguous under repetition."""

    def __init__(self) -> None:
        from re import _constants  # type: ignore[attr-defined]

        self.c = _constants

    def chars(self, op: Any, av: Any, flags: int) -> frozenset[str] | None:
        """The characters one single-character item can match (None: not such an item)."""
        c = self.c
        if op is c.LITERAL:
            ch = chr(av)
            return frozenset({ch, ch.lower(), ch.upper()} if flags & re.IGNORECASE else {ch})
        if op is c.NOT_LITERAL:
            return _SAMPLE - {chr(av)}
        if op is c.ANY:
            return _SAMPLE if flags & re.DOTALL else _SAMPLE - {"\n"}
        if op is c.IN:
            negate = False
            found: set[str] = set()
            for sub_op, sub_av in av:
                if sub_op is c.NEGATE:
                    negate = True
                elif sub_op is c.RANGE:
                    lo, hi = sub_av
                    found.update(chr(lo), chr(hi))
                    found.update(ch for ch in _SAMPLE if lo <= ord(ch) <= hi)
                elif sub_op is c.CATEGORY:
                    found.update(_category(str(sub_av)))
                else:
                    found |= self.chars(sub_op, sub_av, 0) or set()
            if flags & re.IGNORECASE:
                found |= {ch.swapcase() for ch in found}
            return _SAMPLE - found if negate else frozenset(found)
        return None

    def first(self, items: list[Any], flags: int) -> set[str]:
        """What a match of ``items`` can start with; ``_EMPTY`` in it when it can be empty."""
        c = self.c
        out: set[str] = set()
        for op, av in items:
            single = self.chars(op, av, flags)
            if single is not None:
                return out | single
            if op is c.SUBPATTERN:
                inner = self.first(list(av[-1]), self._flags(av, flags))
            elif op is c.BRANCH:
                inner = set().union(*(self.first(list(b), flags) for b in av[1]))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                inner = self.first(list(av[2]), flags)
                if av[0] == 0:
                    inner.add(_EMPTY)
            elif op is getattr(c, "ATOMIC_GROUP", None):
                inner = self.first(list(av), flags)
            elif op is c.GROUPREF or op is c.GROUPREF_EXISTS:
                inner = set(_SAMPLE) | {_EMPTY}
            else:  # anchors and look-around: zero width
                inner = {_EMPTY}
            out |= inner - {_EMPTY}
            if _EMPTY not in inner:
                return out
        return out | {_EMPTY}

    def consumed(self, items: list[Any], flags: int) -> set[str]:
        """Every character a match of ``items`` can hold."""
        c = self.c
        out: set[str] = set()
        for op, av in items:
            single = self.chars(op, av, flags)
            if single is not None:
                out |= single
            elif op is c.SUBPATTERN:
                out |= self.consumed(list(av[-1]), self._flags(av, flags))
            elif op is c.BRANCH:
                for branch in av[1]:
                    out |= self.consumed(list(branch), flags)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                out |= self.consumed(list(av[2]), flags)
            elif op is getattr(c, "ATOMIC_GROUP", None):
                out |= self.consumed(list(av), flags)
            elif op is c.GROUPREF or op is c.GROUPREF_EXISTS:
                out |= _SAMPLE
        return out

    def _flags(self, av: Any, flags: int) -> int:
        return int((flags | av[1]) & ~av[2])

    def items(
        self, items: list[Any], after: set[str], flags: int, inside: set[str] | None = None
    ) -> str | None:
        """Look through ``items`` followed by ``after``; ``inside`` is the first set of the
        body of the repeat being looked through, when there is one."""
        c = self.c
        for i, (op, av) in enumerate(items):
            rest = self.first(items[i + 1 :], flags)
            follow = (rest - {_EMPTY}) | (after if _EMPTY in rest else set())
            if op is c.SUBPATTERN:
                found = self.items(list(av[-1]), follow, self._flags(av, flags), inside)
            elif op is c.BRANCH:
                branches = [list(b) for b in av[1]]
                found = self.ambiguous(branches, follow, flags) if inside is not None else None
                for branch in branches:
                    found = found or self.items(branch, follow, flags, inside)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                found = self.repeat(av, follow, flags, inside)
            else:
                found = None
            if found:
                return found
        return None

    def ambiguous(self, branches: list[list[Any]], follow: set[str], flags: int) -> str | None:
        """Alternatives (in a repeated group) that can start the same way, or both be empty."""
        seen: set[str] = set()
        words: list[str] = []
        empty = False
        for branch in branches:
            word = self.word(branch, flags)
            if word is not None:  # a plain string: ambiguous only as a prefix of another
                if any(w.startswith(word) or word.startswith(w) for w in words):
                    return "the alternatives of a repeated group can match the same text"
                words.append(word)
                continue
            first = self.first(branch, flags)
            if _EMPTY in first:
                if empty:
                    return "two alternatives of a repeated group can both match nothing"
                empty = True
                first = first | follow
            first.discard(_EMPTY)
            if first & seen:
                return "the alternatives of a repeated group can match the same text"
            seen |= first
        for word in words:
            if set(word[:1].lower() + word[:1].upper()) & seen:
                return "the alternatives of a repeated group can match the same text"
        return None

    def word(self, branch: list[Any], flags: int) -> str | None:
        """The non-empty string ``branch`` matches when it is one plain string (lower case
        when case is ignored), else None."""
        if not branch or any(op is not self.c.LITERAL for op, _ in branch):
            return None
        word = "".join(chr(av) for _, av in branch)
        return word.lower() if flags & re.IGNORECASE else word

    def repeat(self, av: Any, follow: set[str], flags: int, inside: set[str] | None) -> str | None:
        body = list(av[2])
        repeated = av[1] > 1
        if inside is not None and repeated and self.consumed(body, flags) & follow:
            return "a repeat inside a repeated group can match what follows it"
        if not repeated:
            return self.items(body, follow, flags, inside)
        start = self.first(body, flags) - {_EMPTY}
        return self.items(body, start | follow, flags, start)
