"""The screen behind `fundrisk screen`: a score and a verdict for names, signboards and advert texts.

Everything is computed over the whole column (``screen_frame``); ``screen_texts`` only dresses each row
as a ``ScreenResult`` with its hits and explanation.

* Names and signboards: the lexicon score plus the name n-gram model (``combine_scores``). 条例第九条
  words ban a name unless it is a licensed institution or its branch (``keywords_licensed``).
* Texts: the lexicon explains, the model ranks. The score is the text model's probability raised by
  the lexicon's evidence, a promise of returns or principal counting most (weights in
  ``keywords/screen.toml``). Only an advert that promises returns or principal is banned; news and case
  facts, warnings and disclaimers, and licensed institutions' texts never are (cue kinds in
  ``keywords/exclusions.csv``), and warnings and disclaimers are scored down since they quote the
  promises they warn of.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import polars as pl

from enrichers.keywords_lexicon import KEYWORDS_DIR, NINE, Lexicon, load_lexicon
from enrichers.keywords_licensed import licensed_matches, licensed_mentions
from enrichers.keywords_model import NgramModel, load_model
from enrichers.normalize import normalize_text
from enrichers.text_model import TextModel, load_text_model

__all__ = ["ScreenResult", "screen_frame", "screen_texts", "text_kinds"]

NAME, TEXT, AUTO = "名称", "文本", "自动"
NAME_MAX_CHARS = 30
# Sentence punctuation, percent signs and spaces do not occur in a registered name or a signboard.
TEXT_MARKS = r"[，。！？；：、,.!?;:%％“”\"'‘’《》*＊\s]"
PROMISE = "承诺回报宣传用语"
SCHEME = "非法集资行为类型(2022解释第一、二条)"
STABILITY = "涉稳信号"
NAME_BAN_CATEGORIES = (PROMISE, SCHEME)


@lru_cache(maxsize=1)
def screen_weights() -> dict[str, float]:
    """keywords/screen.toml flattened: ban_score, review_score and the text score's weights."""
    raw = tomllib.loads((KEYWORDS_DIR / "screen.toml").read_text(encoding="utf-8"))
    return {k: float(v) for section in raw.values() for k, v in section.items()}


@dataclass
class ScreenResult:
    """The screen of one text: score 0-100, hits, a verdict an officer can act on, and why."""

    text: str
    score: int
    hits: list[tuple[str, str, float, str, int]]
    verdict: str
    model_prob: float | None = None
    explanation: list[str] = field(default_factory=list)
    kind: str = NAME

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


def _noisy_or(category: str | None = None) -> pl.Expr:
    w = pl.col("weight") if category is None else pl.col("weight").filter(pl.col("category") == category)
    return 1.0 - (1.0 - w).product()


def _evidence(hits: pl.DataFrame) -> pl.DataFrame:
    """Per id: lexicon score parts (noisy-or of distinct terms by category), the top terms, 第九条 words."""
    per_term = (
        hits.sort(["subject_id", "weight", "position"], descending=[False, True, False])
        .group_by("subject_id", "term", maintain_order=True)
        .agg(pl.col("weight").first(), pl.col("category").first())
    )
    other = ~pl.col("category").is_in([PROMISE, SCHEME])
    return per_term.group_by("subject_id", maintain_order=True).agg(
        lex=_noisy_or(),
        promise=_noisy_or(PROMISE),
        scheme=_noisy_or(SCHEME),
        other=1.0 - (1.0 - pl.col("weight").filter(other)).product(),
        top_term=pl.col("term").first(),
        top_cat=pl.col("category").first(),
        promise_term=pl.col("term").filter(pl.col("category") == PROMISE).first(),
        nine=pl.col("term").filter(pl.col("category") == NINE).str.join("」「"),
    )


def _text_score(w: dict[str, float]) -> pl.Expr:
    """0-1: the model's probability raised by the lexicon's evidence, scaled by the text's context."""
    factor = (
        pl.when(pl.col("licensed_cue").is_not_null())
        .then(w["licensed_factor"])
        .when(pl.col("news_cue").is_not_null())
        .then(w["news_factor"])
        .otherwise(1.0)
    )
    keep = (
        (1.0 - pl.col("prob"))
        * (1.0 - factor * w["promise_weight"] * pl.col("promise"))
        * (1.0 - factor * w["scheme_weight"] * pl.col("scheme"))
        * (1.0 - factor * w["other_weight"] * pl.col("other"))
    )
    caution = pl.when(pl.col("caution_cue").is_not_null()).then(w["caution_factor"]).otherwise(1.0)
    return (1.0 - keep) * caution


def _verdict(w: dict[str, float]) -> pl.Expr:
    """One verdict per row: ban only on lexicon grounds, review above the threshold, else nothing."""
    score, ban, review = pl.col("score"), w["ban_score"], w["review_score"]
    is_name, is_text = pl.col("kind") == NAME, pl.col("kind") == TEXT
    context = pl.coalesce("caution_cue", "news_cue", "licensed_cue")
    promised = (pl.col("promise") > 0) & (
        (1.0 - (1.0 - pl.col("promise")) * (1.0 - pl.col("scheme"))) * 100 >= ban
    )
    top = pl.format("含{}「{}」", "top_cat", "top_term")
    return (
        pl.when(is_name & pl.col("lic_clears"))
        .then(pl.format("未发现敏感字样：持牌金融机构或其分支机构，见{}", "lic_fact"))
        .when(is_text & context.is_not_null() & (score >= review))
        .then(
            pl.format("需人工复核：文本含新闻、警示、免责或持牌语境「{}」，不作禁止使用处理，请核实", context)
        )
        .when(is_text & context.is_not_null())
        .then(pl.lit("未发现敏感字样"))
        .when(is_name & (pl.col("nine") != ""))
        .then(pl.format("禁止使用：含条例第九条禁用字样「{}」", "nine"))
        .when(pl.col("top_cat") == STABILITY)
        .then(pl.format("需人工复核：含涉稳信号「{}」，建议核实是否存在兑付风险", "top_term"))
        .when(is_name & (pl.col("lex") * 100 >= ban) & pl.col("top_cat").is_in(NAME_BAN_CATEGORIES))
        .then(pl.concat_str(pl.lit("禁止使用："), top))
        .when(is_text & promised)
        .then(pl.format("禁止使用：含{}「{}」", pl.lit(PROMISE), pl.coalesce("promise_term", "top_term")))
        .when((pl.col("nine") != "") & (score >= review))
        .then(pl.format("需人工复核：文本含条例第九条字样「{}」，请核实是否为名称或宣传用语", "nine"))
        .when((score >= review) & pl.col("top_term").is_not_null())
        .then(pl.concat_str(pl.lit("需人工复核："), top))
        .when(score >= review)
        .then(pl.concat_str(pl.lit("需人工复核："), pl.col("model_note")))
        .otherwise(pl.lit("未发现敏感字样"))
    )


def _licensed(texts: list[str], kinds: list[str], lex: Lexicon) -> pl.DataFrame:
    """Licence-list facts of names (lic_fact, lic_clears) and the licensed institution a text names."""
    found = licensed_matches(texts)
    facts = [
        f"{m.list_label}：{m.listed_name}{'（' + m.code + '）' if m.code else ''}"
        if m and k == NAME
        else None
        for m, k in zip(found, kinds, strict=True)
    ]
    clears = [bool(m and m.clears and k == NAME) for m, k in zip(found, kinds, strict=True)]
    phrases = lex.exclusions.filter(pl.col("kind") == "licensed_institution")["phrase"].to_list()
    return pl.DataFrame(
        {"lic_fact": facts, "lic_clears": clears, "mention": licensed_mentions(texts, phrases)},
        schema={"lic_fact": pl.String, "lic_clears": pl.Boolean, "mention": pl.String},
    )


def _model_notes(
    frame: pl.DataFrame, model: NgramModel | None, text_model: TextModel | None
) -> tuple[pl.Series, list[list[str]]]:
    """Each row's model probability (names: n-gram model, texts: text model) and its top features."""
    prob = pl.Series("prob", [None] * frame.height, dtype=pl.Float64)
    features: list[list[str]] = [[] for _ in range(frame.height)]
    for kind, scorer in ((NAME, model), (TEXT, text_model)):
        rows = frame.with_row_index("i").filter(pl.col("kind") == kind)
        if scorer is None or rows.height == 0:
            continue
        idx = rows["i"].to_list()
        prob = prob.scatter(idx, scorer.predict_proba(rows["text"]))
        tops = (
            [[g for g, _ in t] for t in scorer.top_ngrams_many(rows["text"])]
            if isinstance(scorer, NgramModel)
            else scorer.top_terms_many(rows["text"])
        )
        for i, top in zip(idx, tops, strict=True):
            features[i] = top
    return prob, features


def screen_frame(
    texts: list[str],
    kind: str = AUTO,
    lexicon: Lexicon | None = None,
    model: NgramModel | None = None,
    text_model: TextModel | None = None,
    hits: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per text: id, text, kind, score (0-100), verdict, prob, lex (0-1), the context cues.

    ``kind`` is 名称, 文本 or 自动 (by length and punctuation). ``hits`` are the text's lexicon hits
    (``match_frame`` over field ``text``), computed here when not given.
    """
    # imported here, not at the top: enrichers.keywords re-exports this module
    from enrichers.keywords import combine_scores, match_frame

    lex = lexicon or load_lexicon()
    w = screen_weights()
    kinds = text_kinds(texts) if kind == AUTO else [kind] * len(texts)
    frame = pl.DataFrame(
        {"id": range(len(texts)), "text": texts, "kind": kinds},
        schema={"id": pl.Int64, "text": pl.String, "kind": pl.String},
    )
    if hits is None:
        hits = match_frame(frame, "id", {"text": "text"}, lex)
    prob, features = _model_notes(frame, model or load_model(), text_model or load_text_model())
    norm = normalize_text(pl.col("text")).fill_null("")

    def cue(*kinds: str) -> pl.Expr:
        return norm.str.extract(f"({lex.text_context_regex(kinds)})", 1)

    label = (
        pl.when(pl.col("kind") == NAME)
        .then(pl.lit("名称与已出险P2P平台运营主体相似"))
        .otherwise(pl.lit("文本与涉嫌非法集资的报道和案情相似"))
    )
    feats = pl.Series("feats", ["、".join(f) for f in features], dtype=pl.String)
    out = (
        pl.concat([frame, _licensed(texts, kinds, lex)], how="horizontal")
        .with_columns(prob=prob.fill_null(0.0), model_prob=prob, feats=feats)
        .join(_evidence(hits).rename({"subject_id": "id"}), on="id", how="left")
        .with_columns(
            pl.col("lex", "promise", "scheme", "other").fill_null(0.0), pl.col("nine").fill_null("")
        )
        .with_columns(
            news_cue=pl.when(pl.col("kind") == TEXT).then(cue("text_context", "news_pattern")),
            caution_cue=pl.when(pl.col("kind") == TEXT).then(cue("caution_context")),
            licensed_cue=pl.when(pl.col("kind") == TEXT).then(
                pl.coalesce("mention", cue("licensed_business"))
            ),
            model_note=pl.format(
                "{}（模型概率{}{}）",
                label,
                pl.col("prob").round(2).cast(pl.String).str.pad_end(4, "0"),
                pl.when(pl.col("feats") != "")
                .then(pl.concat_str(pl.lit("，特征："), "feats"))
                .otherwise(pl.lit("")),
            ),
        )
    )
    name_score = combine_scores(pl.col("lex") * 100, pl.col("prob")).cast(pl.Float64) / 100
    score = pl.when(pl.col("kind") == NAME).then(name_score).otherwise(_text_score(w))
    score = (score * 100).round().cast(pl.Int64)
    cleared = pl.when(pl.col("lic_clears")).then(pl.min_horizontal(score, pl.lit(int(w["review_score"]) - 1)))
    out = out.with_columns(
        lex_score=(pl.col("lex") * 100).round().cast(pl.Int64), score=cleared.otherwise(score)
    )
    return out.with_columns(verdict=_verdict(w))


def screen_texts(
    texts: list[str],
    lexicon: Lexicon | None = None,
    model: NgramModel | None = None,
    kind: str = AUTO,
    text_model: TextModel | None = None,
) -> list[ScreenResult]:
    """Screen signboards, names or advert texts (``screen_frame``), with hits and an explanation each."""
    from enrichers.keywords import match_frame

    if not texts:
        return []
    lex = lexicon or load_lexicon()
    frame = pl.DataFrame({"id": range(len(texts)), "text": texts}, schema={"id": pl.Int64, "text": pl.String})
    hits = match_frame(frame, "id", {"text": "text"}, lex)
    rows = screen_frame(texts, kind, lex, model, text_model, hits).to_dicts()
    name_model, txt_model = model or load_model(), text_model or load_text_model()
    by_id: dict[int, list[tuple[str, str, float, str, int]]] = {}
    for sid, fld, term, cat, weight, pos, _ in hits.iter_rows():
        by_id.setdefault(sid, []).append((term, cat, weight, fld, pos))
    results = []
    for row in rows:  # dressing the rows computed above: strings only, no model or matcher per row
        hs = by_id.get(row["id"], [])
        explanation = [f"「{t}」{c}，权重{w:.2f}，位置{p}" for t, c, w, _, p in hs]
        scorer = name_model if row["kind"] == NAME else txt_model
        if row["model_prob"] is not None and scorer is not None:
            label = f"字符n元模型{scorer.version}" if row["kind"] == NAME else f"文本模型{scorer.version}"
            explanation.append(f"{label}：{row['model_note']}，加分{max(0, row['score'] - row['lex_score'])}")
        context = row["caution_cue"] or row["news_cue"] or row["licensed_cue"]
        if context is not None:
            explanation.append(f"语境：「{context}」（新闻、警示、免责或持牌语境，不作禁止使用处理）")
        if row["lic_fact"] is not None:
            explanation.append(f"名单核对：{row['lic_fact']}")
        prob = row["model_prob"]
        results.append(
            ScreenResult(row["text"], row["score"], hs, row["verdict"], prob, explanation, row["kind"])
        )
    return results
