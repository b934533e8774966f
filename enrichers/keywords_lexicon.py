"""The sensitive-word lexicon as data: loading, validation and the automaton pattern lists.

Files in ``keywords/`` (package data; all UTF-8 CSV, one header row):

* ``lexicon.csv``    term, category, weight (0-1), fields (``name;scope;text``), citation, note
* ``exclusions.csv`` phrase, kind, citation. Kinds ``licensed_institution``, ``state_body``, ``charity``,
  ``place_name``, ``disclaimer`` and ``warning_context`` are *masking* phrases: a term found inside one of
  them is not a hit. Kind ``negation`` lists trigger words: a hit preceded by one of them in the same
  clause (no ``,;。!?`` in between, at most ``NEGATION_WINDOW`` characters) is not a hit; so is a hit
  right after a bare ``ADJACENT_NEGATIONS`` word (不吸收存款, 无保本). Cue kinds mark a text that is not
  an advert, so it is never banned (``enrichers/keywords_screen.py``): ``text_context`` news and case
  facts (据报道, 警方, 被告人, 非法吸收: no advert names its own offence; ``news_pattern`` the same as a
  regex, e.g. a listed company's six-digit code), ``caution_context`` warnings
  and disclaimers (风险提示, 投资须谨慎: their score is damped too) and ``licensed_business`` what only a
  licensed institution's scope lists (同业拆借, 票据承兑, 金融许可证).
* ``patterns.csv``   label, pattern (Rust regex), category, weight, fields, citation: rates and amounts.
* ``VERSION``        the lexicon's release; the loaded version also carries a digest of the files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

import polars as pl

from enrichers.data import resource
from enrichers.normalize import normalize_one, normalize_text

KEYWORDS_DIR = resource("keywords")
FIELDS = ("name", "scope", "text")
MASK_KINDS = ("licensed_institution", "state_body", "charity", "place_name", "disclaimer", "warning_context")
NEGATION_WINDOW = 30
# A bare negation only counts right before the term: "不" further away too often belongs to something else
# (年化不低于12% is a promise).
ADJACENT_NEGATIONS = ("不", "未", "无", "没有", "并非", "绝不", "从不", "不再")
NINE = "条例第九条禁用字样"
CATEGORIES = (NINE, "集资相关字样", "非法集资行为类型(2022解释第一、二条)", "承诺回报宣传用语", "涉稳信号")
FIELD_LABELS = {"name": "名称", "scope": "经营范围", "text": "文本"}


@dataclass(frozen=True)
class Lexicon:
    """A loaded lexicon: version plus terms, exclusions and regex patterns as polars frames."""

    version: str
    terms: pl.DataFrame  # term, key, category, weight, fields(list[str]), citation, note
    exclusions: pl.DataFrame  # phrase, kind, citation
    patterns: pl.DataFrame  # label, pattern, category, weight, fields(list[str]), citation

    def terms_for(self, field: str) -> pl.DataFrame:
        """Terms that apply to one field kind (name, scope or text)."""
        return self.terms.filter(pl.col("fields").list.contains(field))

    def patterns_for(self, field: str) -> pl.DataFrame:
        """Regex patterns that apply to one field kind."""
        return self.patterns.filter(pl.col("fields").list.contains(field))

    def automaton(self, field: str) -> list[str]:
        """Literal patterns for one field: its terms plus masking phrases, longest first.

        With leftmost-first matching this behaves as leftmost-longest, so a masking phrase that starts
        at or before a term swallows it, exactly as if the phrase had been blanked out first.
        """
        masks = self.exclusions.filter(pl.col("kind").is_in(MASK_KINDS))["phrase"].to_list()
        words = set(self.terms_for(field)["key"].to_list()) | {m.lower() for m in masks}
        return sorted(words, key=lambda w: (-len(w), w))

    def negation_regex(self) -> str:
        """Regex that matches a window ending in a negation trigger plus the rest of its clause."""
        triggers = self.exclusions.filter(pl.col("kind") == "negation")["phrase"].to_list()
        alternation = "|".join(sorted(triggers, key=len, reverse=True))
        adjacent = "|".join(sorted(ADJACENT_NEGATIONS, key=len, reverse=True))
        return f"(?:{alternation})[^,.;!?。:]*$|(?:{adjacent})$"

    def text_context_regex(self, kinds: tuple[str, ...] = ("text_context", "news_pattern")) -> str:
        """Regex of the cues of the given kinds (literal phrases escaped, ``*_pattern`` kinds as regexes),
        longest first; never-matching if there are none."""
        cues = self.exclusions.filter(pl.col("kind").is_in(kinds)).unique(["phrase", "kind"])
        alternatives = [
            phrase if kind.endswith("_pattern") else re.escape(phrase)
            for phrase, kind in sorted(
                cues.select("phrase", "kind").iter_rows(), key=lambda r: (-len(r[0]), r[0])
            )
        ]
        return "|".join(alternatives) or r"[^\s\S]"


def _read(path: Traversable) -> pl.DataFrame:
    return pl.read_csv(path.read_bytes(), infer_schema=False, encoding="utf8")


def _split_fields(col: str) -> pl.Expr:
    return pl.col(col).str.split(";").list.eval(pl.element().str.strip_chars())


@lru_cache(maxsize=4)
def load_lexicon(directory: Path | None = None) -> Lexicon:
    """Load and validate the lexicon in ``directory`` (default: the packaged keywords/)."""
    base: Traversable = Path(directory) if directory is not None else KEYWORDS_DIR
    files = [base / n for n in ("VERSION", "lexicon.csv", "exclusions.csv", "patterns.csv")]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:8]
    version = f"{files[0].read_text(encoding='utf-8').strip()}+{digest}"
    terms = (
        _read(base / "lexicon.csv")
        .with_columns(
            term=normalize_text(pl.col("term")),
            weight=pl.col("weight").cast(pl.Float64),
            fields=_split_fields("fields"),
            note=pl.col("note").fill_null(""),
        )
        .with_columns(key=pl.col("term").str.to_lowercase())
        .unique("key", keep="first", maintain_order=True)
    )
    exclusions = _read(base / "exclusions.csv").with_columns(
        phrase=pl.col("phrase").map_elements(normalize_one, return_dtype=pl.String)
    )
    patterns = _read(base / "patterns.csv").with_columns(
        weight=pl.col("weight").cast(pl.Float64), fields=_split_fields("fields")
    )
    _validate(terms, patterns)
    return Lexicon(version=version, terms=terms, exclusions=exclusions, patterns=patterns)


def _validate(terms: pl.DataFrame, patterns: pl.DataFrame) -> None:
    for frame, name in ((terms, "lexicon.csv"), (patterns, "patterns.csv")):
        bad_w = frame.filter(~pl.col("weight").is_between(0.0, 1.0))
        bad_c = frame.filter(~pl.col("category").is_in(CATEGORIES))
        bad_f = frame.filter(~pl.col("fields").list.eval(pl.element().is_in(FIELDS)).list.all())
        no_cite = frame.filter(pl.col("citation").fill_null("").str.len_chars() == 0)
        for bad, what in ((bad_w, "weight"), (bad_c, "category"), (bad_f, "fields"), (no_cite, "citation")):
            if bad.height:
                raise ValueError(f"{name}: invalid {what} in {bad.row(0)}")
