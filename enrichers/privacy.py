"""The one place that finds personal numbers in free text and masks them, for frames and for log lines.

Why one home: exports, the review workbook, the case file, registry look-up details and log lines must
agree on what counts as an ID or a phone number, or one of them leaks what another hides. The patterns
(patterns in ``PATTERNS``, applied in order) are written once and compiled twice: as polars expressions
(``mask_text_expr``, whole-column) and as Python ``re`` (``mask_text``, the plain-str twin for logs,
exception messages and vendor reasons). Both give the same output for the same input.

Before matching, every character whose NFKC form is an ASCII digit (full-width ０-９, mathematical
digits …), and the full-width plus and hyphen, are folded to ASCII; other text (Chinese punctuation such as
（ ）and ，) is left as written. Masked: 18- and 15-digit resident IDs (370303********1234), mobiles with or
without +86 / 0086 and with spaces or dashes (138****5678), landlines (0533-****4567, (0533)****4567) and
bank card or account numbers of 12-19 digits, also in groups of four (************5678).

``redact`` adds what a vendor's text needs: credentials replaced (also any 8-character piece of one),
personal numbers masked, and only then cut to a length, so a cut never keeps part of a secret.

It lives on the logic side (enrichers/, beside the registry client that masks vendor text) so that both
the logic and fundrisk's exports and validation import the same functions without a package cycle.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import polars as pl

# (pattern, replacement in polars' ${n} form); group 1 is the character before, the last the one after.
_B, _A = r"(^|[^0-9A-Za-z])", r"([^0-9]|$)"
_DATE8 = r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
PATTERNS: tuple[tuple[str, str], ...] = (
    # resident ID, 18 characters (region 1-6, birth date, sequence, check digit)
    (_B + r"([1-6][0-9]{5})" + _DATE8 + r"([0-9]{3}[0-9Xx])([^0-9A-Za-z]|$)", "${1}${2}********${3}${4}"),
    # resident ID, 15 digits (the pre-1999 form)
    (_B + r"([1-6][0-9]{5})[0-9]{2}(?:0[1-9]|1[0-2])[0-3]([0-9]{4})" + _A, "${1}${2}*****${3}${4}"),
    # mobile: optional +86 / 0086 / 86, then 3-4-4 digits with optional space or dash between
    (
        r"(^|[^0-9+])((?:\+|00)?86[ \-]?)?(1[3-9][0-9])[ \-]?[0-9]{4}[ \-]?([0-9]{4})" + _A,
        "${1}${2}${3}****${4}${5}",
    ),
    # landline: (0533)1234567, 0533-1234567, 0533 1234567, 05331234567
    (
        r"(^|[^0-9])((?:\(|（)0[0-9]{2,3}(?:\)|）)[ \-]?|0[0-9]{2,3}[ \-]?)[0-9]{3,4}([0-9]{4})" + _A,
        "${1}${2}****${3}${4}",
    ),
    # bank card or account: 12-19 digits in a row
    (r"(^|[^0-9])[0-9]{8,15}([0-9]{4})" + _A, "${1}************${2}${3}"),
    # bank card in groups of four: 6222 0212 3456 7890 (123)
    (r"(^|[^0-9])(?:[0-9]{4}[ \-]){2,4}([0-9]{1,4})" + _A, "${1}**** **** **** ${2}${3}"),
)
SECRET_PIECE = 8  # any run of this many characters of a credential is masked too


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Characters folded before matching: those whose NFKC form is one ASCII digit, plus ＋ and －."""
    fold = {"＋": "+", "－": "-", "\u3000": " "}
    ranges = (range(0x80, 0x10000), range(0x1D7CE, 0x1D800), range(0x1FBF0, 0x1FBFA))
    for block in ranges:
        for cp in block:
            ch = chr(cp)
            if unicodedata.category(ch) == "Nd":
                norm = unicodedata.normalize("NFKC", ch)
                if len(norm) == 1 and "0" <= norm <= "9":
                    fold[ch] = norm
    return fold


@lru_cache(maxsize=1)
def _translation() -> dict[int, str]:
    return {ord(ch): to for ch, to in fold_table().items()}


def _py(template: str) -> str:
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", template)


_COMPILED = tuple((re.compile(p), _py(t)) for p, t in PATTERNS)


def mask_text(text: str | None) -> str | None:
    """Personal numbers in one string masked (the plain-str twin of ``mask_text_expr``)."""
    if not text:
        return text
    folded = text.translate(_translation())
    for pattern, template in _COMPILED:
        # twice: a number right after another shares the separator the first match consumed
        folded = pattern.sub(template, pattern.sub(template, folded))
    return folded


def mask_text_expr(expr: pl.Expr) -> pl.Expr:
    """Personal numbers inside a text column masked (whole-column polars)."""
    fold = fold_table()
    out = expr.str.replace_many(list(fold), list(fold.values()))
    for pattern, template in PATTERNS:
        out = out.str.replace_all(pattern, template).str.replace_all(pattern, template)
    return out


def mask_secrets(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """Every credential, and every piece of one at least SECRET_PIECE long, replaced by ***."""
    spans: list[tuple[int, int]] = []
    for secret in (s for s in secrets if s):
        size = min(len(secret), SECRET_PIECE)
        for piece in {secret[i : i + size] for i in range(len(secret) - size + 1)}:
            start = text.find(piece)
            while start >= 0:
                spans.append((start, start + size))
                start = text.find(piece, start + 1)
    if not spans:
        return text
    covered = [False] * len(text)
    for start, end in spans:
        covered[start:end] = [True] * (end - start)
    out, hidden = [], False
    for ch, hide in zip(text, covered, strict=True):
        if hide and not hidden:
            out.append("***")
        elif not hide:
            out.append(ch)
        hidden = hide
    return "".join(out)


def redact(text: object, secrets: tuple[str, ...] | list[str] = (), limit: int | None = None) -> str:
    """Vendor or error text made safe to store and print: secrets, then personal numbers, then the cut."""
    out = mask_text(mask_secrets(str(text if text is not None else ""), secrets)) or ""
    if limit is not None and len(out) > limit:
        out = out[:limit] + "…"
    return out
