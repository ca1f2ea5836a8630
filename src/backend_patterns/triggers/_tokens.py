"""Turning free text into the tokens the matcher compares: words and camelCase parts."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


# Everyday words that are never read as typos, nor as targets of a typo correction:
# "where" is not a misspelt "there", "player" is not a misspelt "layer".
COMMON = frozenset(
    """
about above after again against all also always among another any anyone anything are around
back because been before being below between both bring build built call called came can cannot
come could days does doing done down during each either else even ever every from gets give
given goes going gone good great have having here hers into itself just keep kept know large
last later least less like likes made make many maybe might more most much must near need never
next none nothing once only other others ours over own part place same says seem seen should
show side since some something still such sure take than that their theirs them then there these
they thing things think this those though through thus time times together under until upon used
uses using very want wants was were what when where whether which while whom whose why will with
within without work works would write year years your yours
test tests later latest player players prayer slayer sever poster listen routine socks serve
server servers device devices advice lives liver chart charts cheat rooms broom pushy models
layers dream crate crates related relate notice notion motion delegate activate activated
crude ticket tickets tickers table tables
""".split()
)


def words(text: str) -> list[str]:
    """Lower-case words of ``text``; camelCase and PascalCase names also give their parts.

    Parts are split where a lower-case letter meets an upper-case one, so ``RESTful`` and
    ``HTTPServer`` stay whole.

    ``InvoiceService`` yields ``invoiceservice``, ``invoice``, ``service``; snake_case names
    are split at the underscores, since ``_`` is not part of a word here.
    """
    out: list[str] = []
    text = text.replace("'", "").replace("\u2019", "")  # "doesn't" reads as "doesnt"
    for match in _WORD.finditer(text):
        token = match.group()
        out.append(token.lower())
        if not token.islower() and not token.isupper() and len(token) > 3:
            parts = _CAMEL.split(token)  # InvoiceService -> Invoice, Service; not RESTful
            if len(parts) > 1:
                out.extend(p.lower() for p in parts)
    return out
