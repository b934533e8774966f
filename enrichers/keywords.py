"""Sensitive-word enrichment: vectorised lexicon matching, per-subject scores and the signboard screen.

Matching runs over whole columns: text is normalised (``enrichers.normalize``), then one leftmost-longest
Aho-Corasick pass (polars ``str.extract_many``) finds lexicon terms *and* masking phrases together, so a
term inside a licensed institution's name, a state body, a place name or the standard scope disclaimer is
swallowed by the longer phrase. Byte offsets (``str.find_many``) are computed for the rows that hit only;
hits preceded in the same clause by a negation or warning trigger (不得, 禁止, 防范 ...) are dropped.
Rates and amounts (年化18%, 月息2分, 一万元三个月翻倍) come from the regexes in keywords/patterns.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from enrichers.keywords_lexicon import FIELD_LABELS, FIELDS, NEGATION_WINDOW, NINE, Lexicon, load_lexicon
from enrichers.keywords_licensed import licensed_matches, licensed_mentions
from enrichers.keywords_model import NgramModel, load_model
from enrichers.normalize import normalize_text
from enrichers.text_model import TextModel, load_text_model

__all__ = [
    "Lexicon",
    "ScreenResult",
    "combine_scores",
    "load_lexicon",
    "match_frame",
    "score_hits",
    "screen_texts",
    "text_kinds",
]

HIT_COLUMNS = ["subject_id", "field", "term", "category", "weight", "position", "citation"]
MODEL_WEIGHT = 0.6  # a certain model alone gives 60 points: enough for review, never a ban by itself
BAN_SCORE = 60
REVIEW_SCORE = 25
STABILITY = "涉稳信号"
PARALLEL_MIN_ROWS = 50_000
BAN_CATEGORIES = ("承诺回报宣传用语", "非法集资行为类型(2022解释第一、二条)")
NAME, TEXT, AUTO = "名称", "文本", "自动"
NAME_MAX_CHARS = 30
# Sentence punctuation, percent signs and spaces do not occur in a registered name or a signboard.
TEXT_MARKS = r"[，。！？；：、,.!?;:%％“”\"'‘’《》*＊\s]"


def _field_map(fields: dict[str, str]) -> dict[str, str]:
    """Accept {field kind: column} (documented) or {column: field kind}."""
    if set(fields) <= set(FIELDS):
        return dict(fields)
    if set(fields.values()) <= set(FIELDS):
        return {kind: col for col, kind in fields.items()}
    raise ValueError(f"fields must map {FIELDS} to column names, got {fields}")


def _finish(found: pl.LazyFrame, field_kind: str, negation: str) -> pl.LazyFrame:
    """Byte offset -> character position, drop negated hits, shape the output columns."""
    prefix = pl.col("text").cast(pl.Binary).bin.head(pl.col("p")).cast(pl.String)
    return (
        found.with_columns(prefix=prefix)
        .filter(~pl.col("prefix").str.tail(NEGATION_WINDOW).str.contains(negation))
        .select(
            "subject_id",
            pl.lit(field_kind).alias("field"),
            "term",
            "category",
            "weight",
            pl.col("prefix").str.len_chars().cast(pl.Int64).alias("position"),
            "citation",
        )
    )


def _literal_hits(base: pl.DataFrame, lex: Lexicon, kind: str, negation: str) -> pl.LazyFrame:
    terms = lex.terms_for(kind).select("key", "term", "category", "weight", "citation")
    patterns = lex.automaton(kind)
    opts: dict[str, Any] = {"leftmost": True, "ascii_case_insensitive": True}
    # Offsets are needed only on the rows whose matches are not all masking phrases (a superset of the
    # rows with a term: the join on the lower-cased key below decides which matches are terms).
    mask_only = sorted(set(patterns) - set(terms["key"].to_list()))
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    keep = (
        base.select(row.alias("row"), "m")
        .explode("m")
        .filter(pl.col("m").is_not_null() & ~pl.col("m").is_in(mask_only))
        .get_column("row")
        .unique()
    )
    rows = (
        base.lazy()
        .filter(row.is_in(keep.implode()))
        .with_columns(p=pl.col("text").str.find_many(patterns, **opts))
    )
    found = (
        rows.explode(["m", "p"])
        .with_columns(key=pl.col("m").str.to_lowercase())
        .join(terms.lazy(), on="key", how="inner")
    )
    return _finish(found, kind, negation)


def _combined(lex: Lexicon, kind: str) -> str:
    """One alternation of every regex pattern for a field (a never-matching regex when there are none)."""
    pats = lex.patterns_for(kind)["pattern"].to_list()
    return "|".join(f"(?:{p})" for p in pats) if pats else r"[^\s\S]"


def _pattern_hits(base: pl.LazyFrame, lex: Lexicon, kind: str, negation: str) -> pl.LazyFrame | None:
    """First match of each regex pattern per row: locate it (``find``) everywhere, extract it where found."""
    pats = lex.patterns_for(kind)
    if pats.height == 0:
        return None
    parts = [
        base.select("subject_id", "text", p=pl.col("text").str.find(row["pattern"]))
        .filter(pl.col("p").is_not_null())
        .select(
            "subject_id",
            "text",
            pl.col("text").str.extract(row["pattern"], 0).alias("term"),
            "p",
            pl.lit(row["category"], dtype=pl.String).alias("category"),
            pl.lit(row["weight"], dtype=pl.Float64).alias("weight"),
            pl.lit(row["citation"], dtype=pl.String).alias("citation"),
        )
        .drop_nulls("term")
        for row in pats.iter_rows(named=True)
    ]
    return _finish(pl.concat(parts), kind, negation)


def _slices(df: pl.DataFrame) -> list[tuple[int, int]]:
    """Row slices (offset, length) to run in parallel: one per polars thread for large frames."""
    n_chunks = pl.thread_pool_size() if df.height >= PARALLEL_MIN_ROWS else 1
    size = -(-df.height // n_chunks) if df.height else 1
    return [(i * size, size) for i in range(n_chunks)]


def match_frame(
    df: pl.DataFrame, id_col: str, fields: dict[str, str], lexicon: Lexicon | None = None
) -> pl.DataFrame:
    """One row per hit: subject_id, field ('name'|'scope'|'text'), term, category, weight, position.

    ``fields`` maps a field kind to the column holding it, e.g. ``{"name": "name", "scope": "business_scope"}``.
    ``position`` is the 0-based character offset in the normalised text. A ``citation`` column is added.
    """
    lex = lexicon or load_lexicon()
    mapping = _field_map(fields)
    negation = lex.negation_regex()
    opts: dict[str, Any] = {"leftmost": True, "ascii_case_insensitive": True}
    id_dtype = df.schema[id_col]
    # Stage 1, the expensive scan: normalise each field once, run the literal automaton and the regex
    # pre-check over it. Row slices run in parallel (one per polars thread).
    stage = (
        df.lazy()
        .select(
            pl.col(id_col).alias("subject_id"),
            *[normalize_text(pl.col(c).cast(pl.String)).fill_null("").alias(k) for k, c in mapping.items()],
        )
        .with_columns(
            *[pl.col(k).str.extract_many(lex.automaton(k), **opts).alias(f"m_{k}") for k in mapping],
            *[pl.col(k).str.contains(_combined(lex, k)).alias(f"r_{k}") for k in mapping],
        )
    )
    found = pl.collect_all([stage.slice(off, size) for off, size in _slices(df)])
    # Stage 2: hits of each slice (offsets, negation, regex patterns), again one plan per slice in parallel.
    plans = []
    for part in found:
        lazy = part.lazy()
        pieces = []
        for kind in mapping:
            base = part.select("subject_id", pl.col(kind).alias("text"), pl.col(f"m_{kind}").alias("m"))
            pieces.append(_literal_hits(base, lex, kind, negation))
            candidates = lazy.filter(pl.col(f"r_{kind}")).select("subject_id", pl.col(kind).alias("text"))
            pattern_part = _pattern_hits(candidates, lex, kind, negation)
            if pattern_part is not None:
                pieces.append(pattern_part)
        plans.append(pl.concat(pieces).with_columns(pl.col("subject_id").cast(id_dtype)))
    out = pl.concat(pl.collect_all(plans, engine="in-memory"))
    return _drop_inside_patterns(out, lex).select(HIT_COLUMNS).sort("subject_id", "field", "position")


def _drop_inside_patterns(hits: pl.DataFrame, lex: Lexicon) -> pl.DataFrame:
    """A literal term inside a matched rate/amount (年化 in 年化18%) is reported once, as the pattern."""
    hits = hits.with_columns(end=pl.col("position") + pl.col("term").str.len_chars())
    is_pattern = ~pl.col("term").str.to_lowercase().is_in(lex.terms["key"].to_list())
    spans = hits.filter(is_pattern).select("subject_id", "field", ps="position", pe="end")
    if spans.height == 0:
        return hits
    inside = (
        hits.filter(~is_pattern)
        .join(spans, on=["subject_id", "field"])
        .filter((pl.col("position") >= pl.col("ps")) & (pl.col("end") <= pl.col("pe")))
        .select("subject_id", "field", "term", "position")
        .unique()
    )
    return hits.join(inside, on=["subject_id", "field", "term", "position"], how="anti")


def score_hits(hits: pl.DataFrame) -> pl.DataFrame:
    """Per subject_id: keyword_score 0-100 (noisy-or of distinct terms' weights), top terms and a reason."""
    per_term = (
        hits.sort("weight", descending=True)
        .group_by("subject_id", "term", maintain_order=True)
        .agg(pl.col("weight").first(), pl.col("category").first(), pl.col("field").first())
        .with_columns(
            label=pl.format(
                "{}含「{}」({})",
                pl.col("field").replace_strict(FIELD_LABELS, default="文本"),
                pl.col("term"),
                pl.col("category"),
            )
        )
    )
    return (
        per_term.group_by("subject_id", maintain_order=True)
        .agg(
            keyword_score=((1.0 - (1.0 - pl.col("weight")).product()) * 100).round().cast(pl.Int64),
            hit_terms=pl.len().cast(pl.Int64),
            top_terms=pl.col("term").head(5),
            nine_terms=pl.col("term").filter(pl.col("category") == NINE),
            categories=pl.col("category").unique(maintain_order=True),
            reason=pl.col("label").head(3).str.join("；"),
        )
        .sort("subject_id")
    )


def combine_scores(keyword_score: pl.Expr, model_prob: pl.Expr) -> pl.Expr:
    """0-100 score from the lexicon score and the name model's probability (noisy-or)."""
    lex = keyword_score.cast(pl.Float64) / 100.0
    return ((1.0 - (1.0 - lex) * (1.0 - MODEL_WEIGHT * model_prob)) * 100).round().cast(pl.Int64)


@dataclass
class ScreenResult:
    """The screen of one text: score 0-100, hits, a verdict an officer can act on, and why."""

    text: str
    score: int
    hits: list[tuple[str, str, float, str, int]]
    verdict: str
    model_prob: float | None = None
    explanation: list[str] = field(default_factory=list)
    kind: str = "名称"

    def to_json(self) -> dict[str, Any]:
        """The documented JSON object: text, score, hits [{term, category}], verdict."""
        return {
            "text": self.text,
            "score": self.score,
            "hits": [{"term": h[0], "category": h[1]} for h in self.hits],
            "verdict": self.verdict,
        }


def text_kinds(texts: list[str]) -> list[str]:
    """名称 for short strings without sentence punctuation (names, signboards), 文本 for the rest."""
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    is_text = (pl.col("t").str.len_chars() > NAME_MAX_CHARS) | pl.col("t").str.contains(TEXT_MARKS)
    return frame.select(pl.when(is_text).then(pl.lit(TEXT)).otherwise(pl.lit(NAME))).to_series().to_list()


def _verdict(
    score: int,
    lex_score: int,
    hits: list[tuple[str, str, float, str, int]],
    model_note: str,
    kind: str = NAME,
    context: str | None = None,
) -> str:
    """Ban only on lexicon grounds (the law's words or outright promises); the model can only ask for review.

    条例第九条 words ban a name or signboard; in a text (news, a scope, a notice) they only ask for review.
    A text with a news, warning or disclaimer cue (``context``) is never banned.
    """
    if context is not None and kind == TEXT:
        if score < REVIEW_SCORE:
            return "未发现敏感字样"
        return f"需人工复核：文本含新闻、警示、免责或持牌语境「{context}」，不作禁止使用处理，请核实"
    nine = [h[0] for h in hits if h[1] == NINE]
    if nine and kind == NAME:
        return f"禁止使用：含条例第九条禁用字样「{'」「'.join(dict.fromkeys(nine))}」"
    top = max(hits, key=lambda h: h[2]) if hits else None
    if top is not None and top[1] == STABILITY:
        return f"需人工复核：含涉稳信号「{top[0]}」，建议核实是否存在兑付风险"
    if top is not None and lex_score >= BAN_SCORE and top[1] in BAN_CATEGORIES:
        return f"禁止使用：含{top[1]}「{top[0]}」"
    if nine and score >= REVIEW_SCORE:
        return f"需人工复核：文本含条例第九条字样「{'」「'.join(dict.fromkeys(nine))}」，请核实是否为名称或宣传用语"
    if score >= REVIEW_SCORE:
        if top is not None:
            return f"需人工复核：含{top[1]}「{top[0]}」"
        return f"需人工复核：{model_note}"
    return "未发现敏感字样"


def screen_texts(
    texts: list[str],
    lexicon: Lexicon | None = None,
    model: NgramModel | None = None,
    kind: str = AUTO,
    text_model: TextModel | None = None,
) -> list[ScreenResult]:
    """Screen signboards, names or advert texts.

    ``kind`` is 名称, 文本 or 自动 (by length and punctuation). The name n-gram model scores names only;
    texts get the trained text model (``enrichers/text_model.py``). Either adds to the lexicon score and
    can ask for review, never ban on its own.
    """
    if not texts:
        return []
    kinds = text_kinds(texts) if kind == AUTO else [kind] * len(texts)
    lex = lexicon or load_lexicon()
    contexts = (
        pl.DataFrame({"t": texts}, schema={"t": pl.String})
        .select(normalize_text(pl.col("t")).str.extract(f"({lex.text_context_regex()})", 1))
        .to_series()
        .to_list()
    )
    model = model or load_model()
    text_model = text_model or load_text_model()
    frame = pl.DataFrame(
        {"id": list(range(len(texts))), "text": texts}, schema={"id": pl.Int64, "text": pl.String}
    )
    licensed = licensed_matches(texts)
    phrases = lex.exclusions.filter(pl.col("kind") == "licensed_institution")["phrase"].to_list()
    mentions = licensed_mentions(texts, phrases)
    contexts = [c if c is not None else m for c, m in zip(contexts, mentions, strict=True)]
    hits = match_frame(frame, "id", {"text": "text"}, lex)
    scores = dict(score_hits(hits).select("subject_id", "keyword_score").iter_rows()) if hits.height else {}
    name_probs = model.predict_proba(frame["text"]) if model is not None else None
    text_probs = text_model.predict_proba(frame["text"]) if text_model is not None else None
    text_rows = frame["text"].filter(pl.Series(kinds) == TEXT)
    tops = iter(text_model.top_terms_many(text_rows) if text_model is not None else [])
    by_id: dict[int, list[tuple[str, str, float, str, int]]] = {}
    for sid, fld, term, cat, w, pos, _ in hits.iter_rows():
        by_id.setdefault(sid, []).append((term, cat, w, fld, pos))
    results = []
    for i, text in enumerate(texts):  # one row per text typed by an officer: a handful, not a column
        hs = by_id.get(i, [])
        lex_score = int(scores.get(i, 0))
        explanation = [f"「{t}」{c}，权重{w:.2f}，位置{p}" for t, c, w, _, p in hs]
        prob: float | None = None
        note = ""
        score = lex_score
        if kinds[i] == NAME and name_probs is not None and model is not None:
            prob = float(name_probs[i])
            grams = "、".join(g for g, _ in model.top_ngrams(text))
            note = (
                f"名称与已出险P2P平台运营主体相似（模型概率{prob:.2f}{'，特征：' + grams if grams else ''}）"
            )
            label = f"字符n元模型{model.version}"
        elif kinds[i] == TEXT and text_probs is not None and text_model is not None:
            prob = float(text_probs[i])
            words = "、".join(next(tops))
            note = f"文本与涉嫌非法集资的报道和案情相似（模型概率{prob:.2f}{'，特征：' + words if words else ''}）"
            label = f"文本模型{text_model.version}"
        if prob is not None:
            score = pl.select(combine_scores(pl.lit(lex_score), pl.lit(prob))).item()
            explanation.append(f"{label}：{note}，加分{score - lex_score}")
        verdict = _verdict(int(score), lex_score, hs, note, kinds[i], contexts[i])
        lic = licensed[i] if kinds[i] == NAME else None
        if lic is not None:
            fact = f"{lic.list_label}：{lic.listed_name}{'（' + lic.code + '）' if lic.code else ''}"
            explanation.append(f"名单核对：{fact}")
            if lic.clears:  # a licensed institution or its branch may carry the law's words
                score = min(int(score), REVIEW_SCORE - 1)
                verdict = f"未发现敏感字样：持牌金融机构或其分支机构，见{fact}"
        results.append(ScreenResult(text, int(score), hs, verdict, prob, explanation, kinds[i]))
    return results
