"""The rules of one pack, ready to evaluate on a task, a code context and a file path.

Kept free of heavy imports: this runs on every prompt. Each rule is matched by its kind (see
``_registry.py``); this module only chooses which rules a task can fire, through their gates,
and owns the regex cache and the windowed search that several kinds share.
"""

from __future__ import annotations

import re
from typing import Any

from ._model import Hit, Inputs, Rule
from ._registry import kinds
from ._view import Vocabulary

# Windowed regex search on long code contexts (see Compiled.search).
_WINDOWED = 20_000
_MAX_WINDOWS = 20_000
_BEFORE = 400
_AFTER = 800
READS = ("task", "code", "path")
_GRAM = 3
_GRAMS_UP_TO = 4096  # texts longer than this are scanned literal by literal


class Compiled:
    """The rules of one pack, ready to evaluate."""

    def __init__(self, prepared: dict[str, Any]) -> None:
        self.kinds = kinds()
        self.threshold: float = prepared["threshold"]
        self.max_task_chars: int = prepared["max_task_chars"]
        self.max_code_chars: int = prepared["max_code_chars"]
        self.descriptions: dict[str, str] = prepared["descriptions"]
        self.order = list(self.descriptions)
        self.rules = [Rule(r) for r in prepared["rules"]]
        self.vocabulary = Vocabulary(prepared)
        self.inference: dict[str, Any] = prepared.get("inference") or {}
        self._literals: dict[str, list[str]] = prepared.get("literals") or {}
        self._regex: dict[str, re.Pattern[str]] = {}
        self._programs: dict[str, tuple[Any, bool]] = {}
        self._encoded: dict[int, tuple[str, bytes]] = {}
        self.state: dict[str, Any] = {}  # what a kind builds once per pack (phrase indexes)
        # Gates: rules indexed by the stems (keyword kinds) or lower-case literal strings
        # (regex kinds) they need. Rules without a gate are always evaluated.
        self._by_stem: dict[str, list[int]] = {}
        self._ungated: dict[str, list[int]] = {k: [] for k in ("stems", *READS)}
        gates: dict[str, dict[str, list[int]]] = {k: {} for k in READS}
        for i, rule in enumerate(self.rules):
            if not rule.gate:
                self._ungated.setdefault(rule.reads, []).append(i)
            elif rule.reads == "stems":
                for s in rule.gate:
                    self._by_stem.setdefault(s, []).append(i)
            else:
                for literal in rule.gate:
                    gates[rule.reads].setdefault(literal, []).append(i)
        self._gates = {k: sorted(v.items()) for k, v in gates.items()}
        # The same gates by their first three characters, for short texts: a task is looked up
        # by the trigrams it has instead of scanning for every literal of the pack.
        self._by_gram: dict[str, dict[str, list[tuple[str, list[int]]]]] = {}
        self._short: dict[str, list[tuple[str, list[int]]]] = {}
        for reads, entries in self._gates.items():
            grams: dict[str, list[tuple[str, list[int]]]] = {}
            for literal, indices in entries:
                if len(literal) >= _GRAM:
                    grams.setdefault(literal[:_GRAM], []).append((literal, indices))
                else:
                    self._short.setdefault(reads, []).append((literal, indices))
            self._by_gram[reads] = grams

    def warm(self) -> None:
        """Compile every regex and load the fuzzy matcher now (for long-running processes)."""
        for rule in self.rules:
            for source in self.kinds[rule.kind].sources(rule):
                if rule.kind == "path":
                    self.regex(source)
                else:
                    self.program(source)
        self.vocabulary.correct("warmup")

    # -- helpers shared by the kinds -----------------------------------------------------
    def regex(self, source: str) -> re.Pattern[str]:
        """``source`` compiled by Python's ``re`` (case-insensitive): for the engine's own
        regexes and the pack's globs, which are trusted or made by the engine itself."""
        compiled = self._regex.get(source)
        if compiled is None:
            compiled = self._regex[source] = re.compile(source, re.IGNORECASE)
        return compiled

    def found(self, source: str, text: str) -> bool:
        """Whether a regex *of the pack* (an inference hint) occurs in ``text``: on RE2 when it
        can, in time linear in the text; the cold parse refused those that could not."""
        program, _ = self.program(source)
        return program.search(text) is not None

    def program(self, source: str) -> tuple[Any, bool]:
        """A rule's regex compiled, and whether by RE2: every regex RE2 can run does, in time
        linear in the text; the others (look-around, backreferences) run on Python's ``re``,
        and the cold parse refused those that nest repeats ambiguously."""
        found = self._programs.get(source)
        if found is None:
            from ._regex import re2_program

            fast = re2_program(source)
            found = (
                (fast, True) if fast is not None else (re.compile(source, re.IGNORECASE), False)
            )
            self._programs[source] = found
        return found

    def _utf8(self, text: str) -> bytes:
        """``text`` in UTF-8, encoded once per text (RE2 reads bytes; a str would be encoded
        again on every search)."""
        key = id(text)
        found = self._encoded.get(key)
        if found is None or found[0] is not text:
            if len(self._encoded) >= 8:
                self._encoded.clear()
            found = self._encoded[key] = (text, text.encode("utf-8", "surrogatepass"))
        return found[1]

    def _find(
        self, source: str, text: str, spans: list[tuple[int, int]] | None = None
    ) -> str | None:
        """What ``source`` first matches in ``text`` (within ``spans``, ascending windows of
        it, when given), or None."""
        program, fast = self.program(source)
        if not fast:
            for lo, hi in spans or [(0, len(text))]:
                match = program.search(text, lo, hi)
                if match:
                    return str(match.group(0))
            return None
        data = self._utf8(text)
        if spans is None:
            found = program.search(data)
            return None if found is None else _decode(found.group(0))
        ascii_ = len(data) == len(text)
        char, byte = 0, 0
        for lo, hi in spans:
            if ascii_:
                blo, bhi = lo, hi
            else:  # windows ascend: count the bytes up to each edge once
                byte += len(text[char:lo].encode("utf-8", "surrogatepass"))
                blo = byte
                byte += len(text[lo:hi].encode("utf-8", "surrogatepass"))
                bhi, char = byte, hi
            found = program.search(data, blo, bhi)
            if found is not None:
                return _decode(found.group(0))
        return None

    def search(self, source: str, text: str, lowered: str | None = None) -> str | None:
        """What ``source`` first matches in ``text``; on long texts, only around its required
        literals.

        A regex that must contain a literal can only match near an occurrence of it, and
        finding a literal is far cheaper than running the regex over every position. Matches
        are line-sized, so a window of a few hundred characters around each occurrence holds
        any match there is.
        """
        literals = self._literals.get(source)
        if lowered is None or not literals:
            return self._find(source, text)
        if len(text) < _WINDOWED:  # short: a cheap check for the literals, then the regex
            if not any(literal in lowered for literal in literals):
                return None  # not even compiled: most regexes of a pack never are
            return self._find(source, text)
        starts: list[int] = []
        for literal in literals:
            at = lowered.find(literal)
            while at != -1:
                starts.append(at)
                if len(starts) > _MAX_WINDOWS:
                    return self._find(source, text)
                at = lowered.find(literal, at + 1)
        if len(starts) * (_BEFORE + _AFTER) > len(text):  # dense: one pass is cheaper
            return self._find(source, text)
        end = -1
        spans: list[tuple[int, int]] = []
        for at in sorted(starts):
            lo, hi = max(at - _BEFORE, end, 0), min(at + _AFTER, len(text))
            if hi <= lo:
                continue
            spans.append((lo, hi))
            end = hi
        return self._find(source, text, spans) if spans else None

    def regex_rule(self, rule: Rule, text: str, lowered: str | None = None) -> str | None:
        """What a rule of regexes matched in ``text`` (its any/all/not), or None."""
        if any(self.search(r, text, lowered) is not None for r in rule.not_):
            return None
        found: list[str] = []
        if rule.any:
            match = None
            for source in rule.any:
                match = self.search(source, text, lowered)
                if match is not None:
                    break
            if match is None:
                return None
            found.append(match)
        for group in rule.all:
            match = next(
                (m for m in (self.search(s, text, lowered) for s in group) if m is not None), None
            )
            if match is None:
                return None
            found.append(match)
        return " + ".join(_short(f) for f in found) if found else None

    def glob(self, glob: str) -> re.Pattern[str]:
        from ._regex import glob_regex

        return self.regex(glob_regex(glob))

    # -- evaluation ----------------------------------------------------------------------
    def _scoped(self, rule: Rule, path: str | None) -> bool:
        if not rule.include and not rule.exclude:
            return True
        if path is None:
            return not rule.include
        if rule.include and not any(self.glob(g).match(path) for g in rule.include):
            return False
        return not any(self.glob(g).match(path) for g in rule.exclude)

    def _candidates(self, inputs: Inputs) -> list[int]:
        """Indices of the rules this input can possibly fire, in pack order."""
        chosen = set(self._ungated["stems"])
        for s in inputs.view.positions:
            chosen.update(self._by_stem.get(s, ()))
        for reads in READS:
            low = inputs.lowered(reads)
            if low is None:
                continue
            chosen.update(self._ungated[reads])
            if len(low) > _GRAMS_UP_TO:  # long code: one scan per literal is cheaper
                for literal, indices in self._gates[reads]:
                    if literal in low:
                        chosen.update(indices)
                continue
            by_gram = self._by_gram[reads]
            for gram in {low[i : i + _GRAM] for i in range(len(low) - _GRAM + 1)}:
                for literal, indices in by_gram.get(gram, ()):
                    if literal in low:
                        chosen.update(indices)
            for literal, indices in self._short.get(reads, ()):
                if literal in low:
                    chosen.update(indices)
        return sorted(chosen)

    def inputs(self, task: str, code: str | None, path: str | None) -> Inputs:
        view = self.vocabulary.view(task, self.max_task_chars)
        norm_path = path.replace("\\", "/").lstrip("./") if path else None
        return Inputs(view, code[: self.max_code_chars] if code else None, norm_path)

    def hits(self, task: str, code: str | None, path: str | None) -> list[Hit]:
        """Every rule that fires on this task, code context and path."""
        inputs = self.inputs(task, code, path)
        out: list[Hit] = []
        for index in self._candidates(inputs):
            rule = self.rules[index]
            if not self._scoped(rule, inputs.path):
                continue
            if rule.needs and not (
                (rule.needs in ("code", "context") and inputs.code)
                or (rule.needs in ("path", "context") and inputs.path)
            ):
                continue
            out.extend(self.kinds[rule.kind].match(self, rule, inputs))
        return out

    def near_misses(self, task: str) -> list[Hit]:
        """Rules that half-fired, from the kinds that can tell (keywords)."""
        inputs = self.inputs(task, None, None)
        out: list[Hit] = []
        for rule in self.rules:
            near = getattr(self.kinds[rule.kind], "near", None)
            if near is not None:
                out.extend(near(self, rule, inputs))
        return out


def _decode(found: bytes) -> str:
    return found.decode("utf-8", "surrogatepass")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
