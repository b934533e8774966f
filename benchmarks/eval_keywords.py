"""Real-data evaluation of the sensitive-word screen on company names.

Positives: operating companies of collapsed P2P platforms (p2p_problem_platforms/problemPlatDetail.csv,
companyName). Negatives: Beijing 2023 registrations and A-share listed companies (full names).
Names are split by a fixed hash (CRC32 of the UTF-8 name, even = tuning half, odd = report half);
province/city/district names from admin_divisions are removed before scoring. Only the report half is
scored here; ``--train`` refits the name model on the tuning half and rewrites keywords/model/.

Run: ``python benchmarks/eval_keywords.py [--train]``.
"""

from __future__ import annotations

import re
import sys
import zlib
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enrichers.keywords import combine_scores, match_frame, score_hits  # noqa: E402
from enrichers.keywords_model import load_model, save_model, train  # noqa: E402

REALDATA = ROOT.parent / "shared" / "realdata"
_SUFFIX = r"(维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$"
_SKIP = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def place_names(realdata: Path = REALDATA) -> list[str]:
    """Province, city and district names with their short forms, longest first."""
    names: set[str] = set()
    for f in ("provinces.csv", "cities.csv", "areas.csv"):
        for full in pl.read_csv(realdata / "admin_divisions" / f)["name"].to_list():
            if full in _SKIP:
                continue
            names.add(full)
            short = re.sub(_SUFFIX, "", full)
            if len(short) >= 2:
                names.add(short)
    return sorted(names, key=lambda s: (-len(s), s))


def load_names(realdata: Path = REALDATA) -> pl.DataFrame:
    """name, clean (place names removed), label, half ('tune'|'report')."""
    pos = pl.read_csv(realdata / "p2p_problem_platforms" / "problemPlatDetail.csv", infer_schema=False)
    bj = pl.read_csv(realdata / "company_names" / "beijing_new_registrations_2023.csv", infer_schema=False)
    ash = pl.read_csv(realdata / "company_names" / "a_share_companies_2022.csv", infer_schema=False)
    frames = [
        pos.select(name=pl.col("companyName"), label=pl.lit(1)),
        bj.select(name=pl.col("企业名称"), label=pl.lit(0)),
        ash.select(name=pl.col("fullname"), label=pl.lit(0)),
    ]
    places = place_names(realdata)
    df = (
        pl.concat(frames)
        .with_columns(pl.col("name").str.strip_chars())
        .filter(pl.col("name").str.len_chars() > 0)
        .sort("label", descending=True)
        .unique("name", keep="first", maintain_order=True)
    )
    half = pl.Series([zlib.crc32(n.encode("utf-8")) % 2 for n in df["name"]])
    clean = df["name"].str.replace_many(places, [""] * len(places), leftmost=True)
    return df.with_columns(
        clean=clean, half=pl.when(half == 0).then(pl.lit("tune")).otherwise(pl.lit("report"))
    )


def baseline_words(realdata: Path = REALDATA) -> list[str]:
    """The plain finance words of regulatory_keywords.tsv that apply to names and scopes."""
    tsv = pl.read_csv(
        realdata / "regulations" / "regulatory_keywords.tsv",
        separator="\t",
        comment_prefix="#",
        quote_char=None,
    )
    return tsv.filter(pl.col("applies_to") == "name+scope")["keyword"].unique(maintain_order=True).to_list()


def precision_at(scores: np.ndarray, labels: np.ndarray, frac: float = 0.01) -> float:
    """Expected precision of the top ``frac`` when ties at the cut-off are broken at random."""
    k = max(1, int(round(len(scores) * frac)))
    cut = np.sort(scores)[::-1][k - 1]
    above = scores > cut
    tied = scores == cut
    need = k - above.sum()
    pos = labels[above].sum() + need * labels[tied].mean()
    return float(pos / k)


def _scores(df: pl.DataFrame) -> dict[str, np.ndarray]:
    words = baseline_words()
    base = df["clean"].str.count_matches("|".join(map(re.escape, words))).to_numpy().astype(float)
    hits = match_frame(df.with_row_index("rid"), "rid", {"name": "clean"})
    lex = (
        df.with_row_index("rid")
        .join(
            score_hits(hits).select(pl.col("subject_id").alias("rid"), "keyword_score"), on="rid", how="left"
        )
        .sort("rid")["keyword_score"]
        .fill_null(0)
        .to_numpy()
    )
    model = load_model()
    out = {f"baseline: count of {len(words)} tsv words": base, "lexicon only": lex.astype(float)}
    if model is not None:
        prob = model.predict_proba(df["clean"])
        out["name model only"] = prob
        out["lexicon + model (product score)"] = (
            pl.select(combine_scores(pl.Series(lex), pl.Series(prob))).to_series().to_numpy().astype(float)
        )
    return out


def run() -> list[dict]:
    """Score the report half; one row per method with ROC AUC and precision at 1%."""
    if not REALDATA.exists():
        raise SystemExit(f"real data not found at {REALDATA}")
    rep = load_names().filter(pl.col("half") == "report")
    y = rep["label"].to_numpy()
    rows = []
    for method, s in _scores(rep).items():
        rows.append(
            {
                "method": method,
                "n": len(y),
                "positives": int(y.sum()),
                "roc_auc": round(float(roc_auc_score(y, s)), 4),
                "precision_at_1pct": round(precision_at(s, y), 4),
            }
        )
    return rows


def misses(k: int = 15) -> pl.DataFrame:
    """Report-half positives the product score ranks lowest: what the screen cannot see."""
    rep = load_names().filter(pl.col("half") == "report")
    s = _scores(rep)
    final = s.get("lexicon + model (product score)", s["lexicon only"])
    return rep.with_columns(score=pl.Series(final)).filter(pl.col("label") == 1).sort("score").head(k)


def train_model() -> None:
    """Fit the name model on the tuning half only and store the artifact."""
    tune = load_names().filter(pl.col("half") == "tune")
    meta = {
        "version": "name-ngram-lr-2024.1",
        "trained_on": "tuning half (crc32(name)%2==0) of problemPlatDetail.companyName vs Beijing 2023 + A-share",
        "n_train": tune.height,
        "n_pos": int(tune["label"].sum()),
    }
    model = train(tune["clean"].to_list(), tune["label"].to_numpy(), meta)
    save_model(model)
    load_model.cache_clear()
    print(f"trained on {tune.height} names, {len(model.indices)} non-zero weights")


def _print(rows: list[dict]) -> None:
    print(f"{'method':42} {'n':>6} {'pos':>5} {'ROC AUC':>8} {'P@1%':>6}")
    for r in rows:
        print(
            f"{r['method']:42} {r['n']:>6} {r['positives']:>5} {r['roc_auc']:>8.4f} {r['precision_at_1pct']:>6.3f}"
        )


if __name__ == "__main__":
    if not REALDATA.exists():
        print(f"skip: {REALDATA} is not present (only the project workspace and CI carry ../shared/realdata)")
        sys.exit(0)
    if "--train" in sys.argv:
        train_model()
    _print(run())
    print("\nLowest-scored collapsed-P2P operators (report half):")
    for name, clean, score in misses().select("name", "clean", "score").iter_rows():
        print(f"  {score:>5.0f}  {name}  ->  {clean}")
