"""Text normalisation shared by keyword matching and entity resolution.

One character map does all of it in a single vectorised pass (polars ``str.replace_many``, an
Aho-Corasick automaton inside polars):

* NFKC compatibility folding per character: full-width ASCII and punctuation to half-width
  (``（理财）`` -> ``(理财)``, ``ＡＢＣ`` -> ``ABC``), circled digits, compatibility ideographs;
* traditional -> simplified Chinese with OpenCC's own character table (``TSCharacters.txt`` shipped
  by opencc-python-reimplemented); characters OpenCC lists as ambiguous *and* already valid in
  simplified text (乾, 著, 瞭 ...) are left alone so that simplified text is a fixed point;
* every whitespace character is removed (names and scopes carry stray spaces, tabs, U+3000).

``normalize_one`` applies the very same table with ``str.translate`` so that a single string and a
column always normalise identically.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import polars as pl

__all__ = ["char_map", "normalize_one", "normalize_series", "normalize_text"]


def _opencc_ts_table() -> dict[str, str]:
    """Traditional -> simplified single characters from OpenCC's maintained dictionary."""
    import opencc  # opencc-python-reimplemented; only its data file is used here

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            key, _, values = line.rstrip("\n").partition("\t")
            candidates = values.split(" ")
            if len(key) == 1 and candidates and candidates[0] and key not in candidates:
                table[key] = candidates[0]
    return table


@lru_cache(maxsize=1)
def char_map() -> dict[str, str]:
    """The character -> replacement map (NFKC, then traditional -> simplified, minus whitespace)."""
    ts = _opencc_ts_table()
    mapping: dict[str, str] = {}
    candidates = set(ts) | {chr(cp) for cp in range(0x20, 0x10000) if not 0xD800 <= cp < 0xE000}
    for ch in candidates:
        folded = unicodedata.normalize("NFKC", ch)
        folded = "".join(ts.get(c, c) for c in folded)
        folded = "".join(c for c in folded if not c.isspace())
        if folded != ch:
            mapping[ch] = folded
    for ws in (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u3000", "\xa0", "\u200b", "\ufeff"):
        mapping[ws] = ""
    return mapping


@lru_cache(maxsize=1)
def _patterns() -> tuple[list[str], list[str]]:
    mapping = char_map()
    keys = sorted(mapping)
    return keys, [mapping[k] for k in keys]


@lru_cache(maxsize=1)
def _translate_table() -> dict[int, str]:
    return {ord(k): v for k, v in char_map().items()}


def normalize_text(expr: pl.Expr) -> pl.Expr:
    """Polars expression: NFKC/full-width folding, traditional -> simplified, whitespace removed."""
    keys, values = _patterns()
    # Every key is one character, so at most one key matches at any position and leftmost-first
    # matching gives the same result as the default semantics; it is the faster automaton.
    return expr.str.replace_many(keys, values, leftmost=True)


def normalize_series(s: pl.Series) -> pl.Series:
    """Normalise a whole string column (nulls stay null); see the module docstring."""
    if s.dtype != pl.String:
        s = s.cast(pl.String)
    return s.to_frame("s").select(normalize_text(pl.col("s"))).to_series().alias(s.name)


def normalize_one(text: str) -> str:
    """Normalise one string exactly as ``normalize_series`` would."""
    return text.translate(_translate_table())


if __name__ == "__main__":  # pragma: no cover - manual check
    for arg in sys.argv[1:]:
        print(normalize_one(arg))
