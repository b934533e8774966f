"""Public-opinion (舆论热度) and stability (涉稳隐患) signals of clue text.

A small domain sentiment model over hand-curated word lists in ``keywords/sentiment/``:

* ``lexicon.csv`` -- term, kind, weight, canonical, note. Kinds:
  ``negative`` / ``positive`` (weight = polarity strength), ``degree`` (weight = multiplier, 很 1.5,
  有点 0.7), ``negation`` (不、没、未、无 ...), ``neutral`` (words that merely contain a negation
  character such as 不少、无论; they win the longest match and do nothing), ``money`` / ``non_money``
  (what the complaint is about) and ``stability`` (涉稳信号; ``canonical`` names the normalised signal).
* ``VERSION`` -- the lists' release; :func:`sentiment_version` adds a digest of the files.

Everything is whole-column polars: the text is normalised once (NFKC, traditional -> simplified), one
leftmost-longest Aho-Corasick pass (``str.extract_many`` / ``str.find_many``) yields the sentiment tokens
with byte offsets, the tokens are exploded to a long frame and a token's modifiers are its one or two
predecessors in the same clause (``shift().over``): a negation within ``WINDOW_BYTES`` flips a positive
word and cancels a negative one (or a stability signal); a degree word scales the polarity. A second pass
counts money and non-money terms.

Decisions: wages owed to workers (拖欠工资), noise, parking, smells, rubbish and ordinary consumer
disputes (会员卡退费, 退货) are ``non_money``; a clue is ``money_related`` only when its money weight is at
least ``MONEY_MIN`` and at least half its non-money weight -- so a 会员卡 dispute that also speaks of
返利/利息 is money-related, a plain refund dispute is not. An optional ``subject_name`` column is
removed from the text first, so that a name such as "某某投资管理有限公司" does not count as money talk.

The lexicon explains, the model ranks: ``money_prob`` is the trained text model's probability that the
clue describes illegal fundraising (``enrichers/text_model.py``; null when no artifact is installed). It
orders clues and tips a clue whose money words fall short of ``MONEY_MIN`` into ``money_related`` when it
is at least ``MODEL_MONEY_MIN`` -- but only with some money word to show for it and never against a
non-money majority, so the reason always names the words.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

import polars as pl

from enrichers.data import resource
from enrichers.normalize import normalize_text
from enrichers.text_model import load_text_model

__all__ = ["SENTIMENT_DIR", "clue_signals", "load_sentiment_lexicon", "sentiment_version"]

SENTIMENT_DIR = resource("keywords", "sentiment")
KINDS = ("negative", "positive", "degree", "negation", "neutral", "money", "non_money", "stability")
BREAKS = (",", "。", "!", "?", ";", ":", "、", "…", "\n")
WINDOW_BYTES = 9  # a modifier may end at most 3 CJK characters before the word it modifies
NEGATED_NEGATIVE = 0.3  # "没有跑路": the negative word turns slightly positive
NEGATED_POSITIVE = 0.8  # "不满意"-like flips of a positive word count as negative
NEGATIVITY_SCALE = 1.2
STABILITY_SCALE = 1.2
MONEY_MIN = 1.0
MODEL_MONEY_MIN = 0.6
OUTPUT_SCHEMA = pl.Schema(
    {
        "clue_id": pl.String(),
        "negativity": pl.Float64(),
        "money_related": pl.Boolean(),
        "money_prob": pl.Float64(),
        "stability_terms": pl.List(pl.String),
        "stability": pl.Float64(),
        "reason": pl.String(),
    }
)


@lru_cache(maxsize=4)
def load_sentiment_lexicon(directory: Path | None = None) -> tuple[str, pl.DataFrame]:
    """Load and validate the sentiment word lists; returns (version, terms frame)."""
    base: Traversable = Path(directory) if directory is not None else SENTIMENT_DIR
    files = [base / "VERSION", base / "lexicon.csv"]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:8]
    version = f"{files[0].read_text(encoding='utf-8').strip()}+{digest}"
    terms = pl.read_csv(files[1].read_bytes(), infer_schema=False, encoding="utf8").with_columns(
        term=normalize_text(pl.col("term")).str.to_uppercase(),
        weight=pl.col("weight").cast(pl.Float64),
        canonical=pl.coalesce(pl.col("canonical"), pl.col("term")),
    )
    bad = terms.filter(
        ~pl.col("kind").is_in(KINDS)
        | ~pl.col("weight").is_between(0.0, 3.0)
        | (pl.col("term").fill_null("").str.len_chars() == 0)
    )
    if bad.height:
        raise ValueError(f"keywords/sentiment/lexicon.csv: invalid row {bad.row(0)}")
    dup = terms.filter(pl.struct("term", "kind").is_duplicated())
    if dup.height:
        raise ValueError(f"keywords/sentiment/lexicon.csv: duplicate term/kind {dup.row(0)}")
    return version, terms


def sentiment_version() -> str:
    """Release of the sentiment word lists plus a digest of their files."""
    return load_sentiment_lexicon()[0]


@lru_cache(maxsize=4)
def _tables(directory: Path | None = None) -> tuple[pl.DataFrame, list[str], pl.DataFrame, list[str]]:
    """Per-term token table and pattern list for the sentiment pass and the money pass."""
    terms = load_sentiment_lexicon(directory)[1]

    def w(kind: str) -> pl.Expr:
        return pl.when(pl.col("kind") == kind).then(pl.col("weight"))

    stream = (
        terms.filter(
            pl.col("kind").is_in(["negative", "positive", "degree", "negation", "neutral", "stability"])
        )
        .group_by("term")
        .agg(
            # a stability signal is negative in itself ("门店关门" needs no separate negative entry)
            neg_w=pl.coalesce(w("negative").max(), w("stability").max()),
            pos_w=w("positive").max(),
            deg_m=w("degree").max(),
            is_negation=(pl.col("kind") == "negation").any(),
            stab_w=w("stability").max(),
            canon=pl.when(pl.col("kind") == "stability").then(pl.col("canonical")).drop_nulls().first(),
        )
        .vstack(
            pl.DataFrame({"term": list(BREAKS)}).with_columns(
                neg_w=pl.lit(None, pl.Float64),
                pos_w=pl.lit(None, pl.Float64),
                deg_m=pl.lit(None, pl.Float64),
                is_negation=pl.lit(False),
                stab_w=pl.lit(None, pl.Float64),
                canon=pl.lit(None, pl.String),
            )
        )
        .with_columns(is_break=pl.col("term").is_in(list(BREAKS)))
    )
    money = (
        terms.filter(pl.col("kind").is_in(["money", "non_money"]))
        .group_by("term")
        .agg(money_w=w("money").max().fill_null(0.0), other_w=w("non_money").max().fill_null(0.0))
    )

    def longest_first(frame: pl.DataFrame) -> list[str]:
        return sorted(frame["term"].to_list(), key=lambda t: (-len(t), t))

    return stream, longest_first(stream), money, longest_first(money)


def _prepared_text(clues: pl.DataFrame) -> pl.Expr:
    text = normalize_text(pl.col("content").cast(pl.String).fill_null("")).str.to_uppercase()
    if "subject_name" not in clues.columns:
        return text
    subject = normalize_text(pl.col("subject_name").cast(pl.String)).str.to_uppercase()
    stripped = text.str.split(subject, literal=True).list.join("")
    return pl.when(subject.str.len_chars() >= 2).then(stripped).otherwise(text)


def _sentiment_tokens(base: pl.DataFrame, stream: pl.DataFrame, patterns: list[str]) -> pl.DataFrame:
    """Long frame of sentiment tokens with their negation and degree modifiers resolved."""
    toks = (
        base.select(
            "_row",
            tok=pl.col("_text").str.extract_many(patterns, leftmost=True),
            pos=pl.col("_text").str.find_many(patterns, leftmost=True),
        )
        .explode(["tok", "pos"])
        .drop_nulls("tok")
        .join(stream, left_on="tok", right_on="term", how="left")
        .with_columns(end=pl.col("pos") + pl.col("tok").str.len_bytes())
    )
    gap1 = pl.col("pos").cast(pl.Int64) - pl.col("end").shift(1).over("_row").cast(pl.Int64)
    gap2 = pl.col("pos").cast(pl.Int64) - pl.col("end").shift(2).over("_row").cast(pl.Int64)
    near1 = gap1.is_not_null() & (gap1 <= WINDOW_BYTES)
    near2 = (
        gap2.is_not_null()
        & (gap2 <= WINDOW_BYTES + 6)
        & ~pl.col("is_break").shift(1).over("_row").fill_null(True)
    )
    neg1 = pl.col("is_negation").shift(1).over("_row").fill_null(False)
    neg2 = pl.col("is_negation").shift(2).over("_row").fill_null(False)
    deg1 = pl.col("deg_m").shift(1).over("_row")
    deg2 = pl.col("deg_m").shift(2).over("_row")
    toks = toks.with_columns(
        negated=(near1 & neg1) | (near2 & neg2),
        degree=pl.when(near1 & deg1.is_not_null())
        .then(deg1)
        .when(near2 & deg2.is_not_null())
        .then(deg2)
        .otherwise(1.0),
    ).with_columns(
        # a degree word inside a negation ("不太好") softens instead of amplifying
        amp=pl.when(pl.col("negated"))
        .then(pl.when(pl.col("degree") != 1.0).then(0.6).otherwise(1.0))
        .otherwise(pl.col("degree"))
    )
    neg_w = pl.col("neg_w").fill_null(0.0)
    pos_w = pl.col("pos_w").fill_null(0.0)
    negated = pl.col("negated")
    return toks.with_columns(
        n_mass=pl.when(negated).then(pos_w * NEGATED_POSITIVE).otherwise(neg_w * pl.col("amp")),
        p_mass=pl.when(negated).then(neg_w * NEGATED_NEGATIVE).otherwise(pos_w * pl.col("amp")),
        stab=pl.when(~negated & pl.col("stab_w").is_not_null()).then(pl.col("canon")),
    )


def _stability(toks: pl.DataFrame) -> pl.DataFrame:
    """Per row: normalised stability signals in order of appearance and their summed weight."""
    per_signal = (
        toks.filter(pl.col("stab").is_not_null())
        .group_by("_row", "stab")
        .agg(w=pl.col("stab_w").max(), first=pl.col("pos").min())
        .sort("_row", "first")
    )
    return per_signal.group_by("_row").agg(stability_terms=pl.col("stab"), s_mass=pl.col("w").sum())


def _money(base: pl.DataFrame, money: pl.DataFrame, patterns: list[str]) -> pl.DataFrame:
    hits = (
        base.select("_row", tok=pl.col("_text").str.extract_many(patterns, leftmost=True))
        .explode("tok")
        .drop_nulls("tok")
        .join(money, left_on="tok", right_on="term", how="left")
    )
    return hits.group_by("_row").agg(
        m_mass=pl.col("money_w").sum(),
        o_mass=pl.col("other_w").sum(),
        money_terms=pl.col("tok").filter(pl.col("money_w") > 0).unique(maintain_order=True).head(3),
        other_terms=pl.col("tok").filter(pl.col("other_w") > 0).unique(maintain_order=True).head(3),
    )


def clue_signals(clues: pl.DataFrame) -> pl.DataFrame:
    """线索文本的负面情绪、是否涉资与涉稳信号（每条线索一行）。"""
    if clues.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    stream, s_patterns, money, m_patterns = _tables()
    base = clues.select(pl.col("clue_id").cast(pl.String), _text=_prepared_text(clues)).with_row_index("_row")
    toks = _sentiment_tokens(base, stream, s_patterns)
    masses = toks.group_by("_row").agg(pl.col("n_mass").sum(), pl.col("p_mass").sum())
    out = (
        base.join(masses, on="_row", how="left")
        .join(_stability(toks), on="_row", how="left")
        .join(_money(base, money, m_patterns), on="_row", how="left")
        .sort("_row")
        .with_columns(pl.col("n_mass", "p_mass", "s_mass", "m_mass", "o_mass").fill_null(0.0))
    )
    model = load_text_model()  # one whole-column pass, in row batches (enrichers/text_model.py)
    prob = (
        pl.Series("money_prob", model.predict_proba(base["_text"]), dtype=pl.Float64).round(3)
        if model is not None
        else pl.lit(None, dtype=pl.Float64)
    )
    out = out.with_columns(money_prob=prob)
    n, p = pl.col("n_mass"), pl.col("p_mass")
    m, o = pl.col("m_mass"), pl.col("o_mass")
    by_words = (m >= MONEY_MIN) & (m >= 0.5 * o)
    by_model = (pl.col("money_prob").fill_null(0.0) >= MODEL_MONEY_MIN) & (m > 0) & (m >= 0.5 * o)
    out = out.with_columns(
        negativity=pl.when(n > 0)
        .then((1.0 - (-n / NEGATIVITY_SCALE).exp()) * n / (n + p))
        .otherwise(0.0)
        .round(3),
        money_related=by_words | by_model,
        stability_terms=pl.col("stability_terms").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        stability=(1.0 - (-pl.col("s_mass") / STABILITY_SCALE).exp()).round(3),
    )
    return out.with_columns(reason=_reason()).select(list(OUTPUT_SCHEMA))


def _reason() -> pl.Expr:
    neg = pl.col("negativity")
    score = neg.round(2).cast(pl.String).str.pad_end(4, "0")
    tone = (
        pl.when(neg >= 0.5)
        .then(pl.concat_str(pl.lit("线索文本负面（"), score, pl.lit("）")))
        .when(neg >= 0.2)
        .then(pl.concat_str(pl.lit("线索文本偏负面（"), score, pl.lit("）")))
        .otherwise(pl.concat_str(pl.lit("线索文本情绪平和（"), score, pl.lit("）")))
    )
    money_terms = pl.col("money_terms").list.join("、")
    other_terms = pl.col("other_terms").list.join("、")
    topic = (
        pl.when(pl.col("money_related"))
        .then(pl.concat_str(pl.lit("涉及投资集资（"), money_terms, pl.lit("）")))
        .when(pl.col("o_mass") > 0)
        .then(pl.concat_str(pl.lit("属非涉资诉求（"), other_terms, pl.lit("）")))
        .otherwise(pl.lit("未见涉资内容"))
    )
    stab = pl.when(pl.col("stability_terms").list.len() > 0).then(
        pl.concat_str(pl.lit("含涉稳信号："), pl.col("stability_terms").list.join("、"))
    )
    prob = pl.col("money_prob")
    model = pl.when(prob >= MODEL_MONEY_MIN).then(
        pl.concat_str(
            pl.lit("文本模型判断疑似非法集资（概率"),
            prob.round(2).cast(pl.String).str.pad_end(4, "0"),
            pl.lit("）"),
        )
    )
    return pl.concat_str(tone, topic, stab, model, separator="，", ignore_nulls=True)
