"""Part (c) and (d) of benchmarks/eval_text_model.py: the screen on real ordinary texts and promise adverts.

The text model is retrained on the other half of the corpus's entity groups than the one scored, so no
scored sentence (or its company) was seen in training; weights in keywords/screen.toml are chosen on the
tuning half, the figures reported come from the report half.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from benchmarks.common import print_table
from enrichers.keywords_licensed import licensed_dir, load_licensed
from enrichers.keywords_screen import screen_frame
from enrichers.normalize import normalize_text
from enrichers.text_model import TextModel
from enrichers.text_model_train import POSITIVE, REALDATA, fit_calibrated, load_corpus

# Invented adverts in the forms issue 12 lists (no real advert corpus is available): probes, not data.
ADVERTS = [
    "投入1万元，三个月后返还1.3万元，名额有限",
    "会员消费满500元全额返现，邀请好友再返现金",
    "合作社招募社员，入股分红，年底按股分红",
    "预交床位费10万元，入住五年后全额返还",
    "缴纳会员费3000元，一年后全额退还并送礼品",
    "日息千分之五，随存随取",
    "月息2分，每月按时付息",
    "年化收益15%，本金安全有保障",
    "投资一年翻倍，稳赚不赔",
    "保本保息，到期还本，欢迎咨询",
]


def _hash_half(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .map_elements(lambda v: zlib.crc32(v.encode("utf-8")) % 2, return_dtype=pl.Int64)
        .replace_strict({0: "tune", 1: "report"}, return_dtype=pl.String)
    )


def _regulation_sentences() -> pl.Series:
    """Sentences of the fundraising regulations and interpretation: legal and warning language."""
    out: list[str] = []
    for path in sorted((REALDATA / "regulations").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("<!-- INFO END -->")[-1]
        out += [s.strip() for s in re.split(r"[。；\n]", body) if 12 <= len(s.strip()) <= 200]
    return pl.Series("text", [s for s in out if not s.startswith("#")])


def load_texts() -> pl.DataFrame:
    """text, source, group (positive | ordinary | other_news), label, half, in_corpus."""
    corpus = load_corpus().with_columns(half=_hash_half("group"))
    events = pl.concat(
        [
            pl.read_csv(REALDATA / "financial_events" / f, infer_schema=False).select(
                "text", "event_type", "entity"
            )
            for f in ("ccks2019_event_entity.csv", "ccks2020_event_entity_subset.csv")
        ]
    )
    cases = set(
        pl.read_csv(REALDATA / "criminal_cases" / "fundraising_case_facts.csv", infer_schema=False)["fact"]
    )
    clears = load_licensed(licensed_dir()).filter(pl.col("clears"))["key"].to_list()
    types = events.with_columns(lic=normalize_text(pl.col("entity")).is_in(clears)).group_by("text")
    types = types.agg(only_other=(pl.col("event_type") == "其他").all(), licensed=pl.col("lic").any())
    tagged = corpus.join(types, on="text", how="left").with_columns(
        source=pl.when(pl.col("label") == 1)
        .then(
            pl.when(pl.col("text").is_in(list(cases)))
            .then(pl.lit("案情(非吸/集资诈骗)"))
            .otherwise(pl.lit(POSITIVE))
        )
        .when(pl.col("licensed"))
        .then(pl.lit("持牌机构新闻"))
        .when(pl.col("only_other"))
        .then(pl.lit("CCKS其他"))
        .when(pl.col("text").is_in(list(cases)))
        .then(pl.lit("案情(其他罪名)"))
        .otherwise(pl.lit("CCKS其他事件(信批违规等)")),
    )
    bdci = pl.read_csv(
        REALDATA / "financial_negative_text" / "bdci2019_test_unlabelled.csv", infer_schema=False
    )
    bank = bdci.filter(
        pl.col("entity").str.split(";").list.eval(normalize_text(pl.element()).is_in(clears)).list.all()
    )
    scopes = pl.read_csv(
        REALDATA / "company_names" / "elevencats_registrations_business_scope_sample5k.csv",
        infer_schema=False,
    )
    outside = (
        pl.concat(
            [
                bank.select("text", source=pl.lit("持牌机构新闻")),
                scopes.select(text=pl.col("business_scope"), source=pl.lit("经营范围(1978-2004登记)")),
                _regulation_sentences().to_frame().with_columns(source=pl.lit("法规条文(防范非法集资)")),
            ]
        )
        .drop_nulls("text")
        .unique("text", keep="first", maintain_order=True)
    )
    outside = outside.filter(~pl.col("text").is_in(corpus["text"].implode()))
    frame = pl.concat(
        [
            tagged.select("text", "source", "label", "half", in_corpus=pl.lit(True)),
            outside.with_columns(label=pl.lit(0, pl.Int8), half=_hash_half("text"), in_corpus=pl.lit(False)),
        ]
    )
    other = ["CCKS其他事件(信批违规等)", "案情(其他罪名)"]
    group = pl.when(pl.col("label") == 1).then(pl.lit("positive")).when(pl.col("source").is_in(other))
    return frame.with_columns(group=group.then(pl.lit("other_news")).otherwise(pl.lit("ordinary")))


def half_model(half: str) -> TextModel:
    """The text model fitted on one half of the corpus's entity groups only."""
    corpus = load_corpus().with_columns(half=_hash_half("group")).filter(pl.col("half") == half)
    terms, weights, intercept = fit_calibrated(
        corpus["text"], corpus["label"].to_numpy(), corpus["group"].to_numpy()
    )
    return TextModel(terms, weights, intercept, {"version": f"{half}-half"})


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def screen_evaluation(half: str = "report") -> dict[str, float]:
    """Print (c) and (d); return the headline figures of the chosen half."""
    texts = load_texts()
    model = half_model("report" if half == "tune" else "tune")  # never scores its own training groups
    part = texts.filter(pl.col("half") == half)
    scored = screen_frame(part["text"].to_list(), kind="文本", text_model=model)
    df = pl.concat([part, scored.select("score", "verdict", "prob")], how="horizontal").with_columns(
        banned=pl.col("verdict").str.starts_with("禁止使用"),
        flagged=~pl.col("verdict").str.starts_with("未发现敏感字样"),
    )
    core = df.filter(pl.col("group") != "other_news")
    ordinary = df.filter(pl.col("group") == "ordinary")
    pos = df.filter(pl.col("label") == 1)
    rows = []
    for (source, group), g in df.group_by("source", "group", maintain_order=True):
        versus = pl.concat([pos, g]) if group != "positive" else pl.concat([g, ordinary])
        rows.append(
            {
                "source": source,
                "group": group,
                "n": g.height,
                "mean score": float(g["score"].mean() or 0.0),
                "禁止使用": f"{g['banned'].mean():.1%}",
                "any flag": f"{g['flagged'].mean():.1%}",
                "AUC (screen)": f"{_auc(versus['label'].to_numpy(), versus['score'].to_numpy()):.3f}",
                "AUC (model alone)": f"{_auc(versus['label'].to_numpy(), versus['prob'].to_numpy()):.3f}",
            }
        )
    y = core["label"].to_numpy()
    head = {
        "roc_auc": _auc(y, core["score"].to_numpy()),
        "roc_auc_model": _auc(y, core["prob"].to_numpy()),
        "roc_auc_all": _auc(df["label"].to_numpy(), df["score"].to_numpy()),
        "ban_ordinary": float(ordinary["banned"].mean() or 0.0),
        "flag_ordinary": float(ordinary["flagged"].mean() or 0.0),
    }
    print(f"\n(c) the screen on texts, {half} half ({df.height:,} texts; model retrained on the other half)")
    print_table(rows)
    print(
        f"texts ROC AUC (positives vs ordinary): screen {head['roc_auc']:.3f}, model alone "
        f"{head['roc_auc_model']:.3f}; vs all negatives incl. other financial news {head['roc_auc_all']:.3f}\n"
        f"禁止使用 on ordinary texts {head['ban_ordinary']:.2%}, any flag {head['flag_ordinary']:.2%}"
    )
    adverts = screen_frame(ADVERTS, kind="文本", text_model=model)
    low = int(adverts["score"].min())  # type: ignore[arg-type]
    above = float((ordinary["score"] >= low).mean() or 0.0)
    print(
        f"\n(d) {len(ADVERTS)} promise adverts (invented probes): scores {sorted(adverts['score'].to_list())}, "
        f"banned {adverts['verdict'].str.starts_with('禁止使用').sum()}/{len(ADVERTS)}; ordinary texts scoring "
        f"at least the lowest advert ({low}): {above:.2%}"
    )
    return head
