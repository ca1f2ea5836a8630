"""English inflection for names: stems for matching, singulars and plurals, and case styles.

The one place these rules live; the matcher (stems, singular resource names) and the renderer
(plurals, snake_case and kebab-case) both read them. Stdlib only: it is on the hot path.
"""

from __future__ import annotations

import os
import re

# Words whose stem would collide with a different word of the vocabulary ("crude" -> "crud"):
# the words of inflect_keep.txt, read on the first call of ``stem``.
_KEEP: frozenset[str] | None = None


def _keep() -> frozenset[str]:
    global _KEEP
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inflect_keep.txt")
    with open(path, encoding="utf-8") as handle:
        _KEEP = frozenset(w.lower() for line in handle for w in line.split("#", 1)[0].split())
    return _KEEP


def stem(word: str) -> str:
    """A light, deterministic stemmer: enough to make 'saving', 'saved' and 'save' agree."""
    w = word.lower()
    if w in (_KEEP if _KEEP is not None else _keep()):
        return w
    n = len(w)
    if n > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif n > 4 and w.endswith("es") and (w[-3] in "sxz" or w[-4:-2] in ("ch", "sh")):
        w = w[:-2]
    elif n > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


# Plurals no suffix rule gives (``Person`` is served at ``/people``, not ``/persons``).
IRREGULAR_PLURALS = {"person": "people", "child": "children", "man": "men", "woman": "women"}
_IRREGULAR_SINGULARS = {plural: one for one, plural in IRREGULAR_PLURALS.items()}


def singular(word: str) -> str:
    w = word
    if w.lower() in _IRREGULAR_SINGULARS:
        one = _IRREGULAR_SINGULARS[w.lower()]
        return one.capitalize() if w[:1].isupper() else one
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    # addresses, statuses -> strip "es"; but warehouses, houses -> strip "s"
    if (
        len(w) > 4
        and w.endswith(("sses", "xes", "zes", "ches", "shes", "uses"))
        and not w.endswith("ouses")
    ):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def pascal(word: str) -> str:
    """``blog_posts`` / ``blog-posts`` / ``BlogPosts`` -> ``BlogPost``."""
    if re.fullmatch(r"[A-Z][A-Za-z0-9]*", word):
        parts = re.findall(r"[A-Z][a-z0-9]*", word)
    else:
        parts = [p for p in re.split(r"[_\-\s]+", word) if p]
    if not parts:
        return ""
    parts[-1] = singular(parts[-1].lower())
    return "".join(
        p[:1].upper() + p[1:].lower() if not p[1:].islower() else p[:1].upper() + p[1:]
        for p in parts
    )


def snake(name: str) -> str:
    """``BlogPost`` -> ``blog_post``; ``HTTPRequest`` -> ``http_request``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.replace("-", "_").lower()


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")


def pluralize(word: str) -> str:
    """English plural of the last word of a snake_case name: ``blog_post`` -> ``blog_posts``."""
    head, _, last = word.rpartition("_")
    if last in IRREGULAR_PLURALS:
        last = IRREGULAR_PLURALS[last]
    elif re.search(r"(s|x|z|ch|sh)\Z", last):
        last += "es"
    elif re.search(r"[^aeiou]y\Z", last):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head}_{last}" if head else last
