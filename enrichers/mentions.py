"""Company names written inside clue text ("…我在淄博鑫盛财富管理有限公司买了理财…").

Candidate spans end in an organisational form; every suffix of a span is a possible name, and the
longest suffix whose normalised name or core names exactly one registration wins. Whole-column
polars operations: extract, explode suffixes, join — never a scan of all registrations per clue.
"""

from __future__ import annotations

import polars as pl

from enrichers.names import name_parts

MENTION_RE = r"[\p{Han}A-Za-z0-9()（）]{4,40}?(?:股份有限公司|有限责任公司|有限公司|专业合作社|合作社)"
MIN_CORE = 4  # a shorter core (鑫盛) is too easily another company's
SCORE = 0.95


def mention_links(contexts: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """contexts: source_kind, source_id, context; reg: uscc, norm, core (prepared registrations).

    Returns source_kind, source_id, uscc, method ('content'), score for every unambiguous mention."""
    spans = (
        contexts.drop_nulls("context")
        .select("source_kind", "source_id", pl.col("context").str.extract_all(MENTION_RE).alias("span"))
        .explode("span")
        .drop_nulls("span")
        .with_columns(pl.int_ranges(0, pl.col("span").str.len_chars() - 3).alias("start"))
        .explode("start")
        .with_columns(pl.col("span").str.slice(pl.col("start")).alias("suffix"))
    )
    if spans.height == 0:
        return pl.DataFrame(schema=_schema())
    parts = name_parts(spans["suffix"]).select("norm", "core")
    spans = spans.hstack(parts)
    unique_norm, unique_core = (_naming_one(reg, spans, key) for key in ("norm", "core"))
    by_norm = spans.join(unique_norm.select("norm", "uscc"), on="norm")
    by_core = spans.filter(pl.col("core").str.len_chars() >= MIN_CORE).join(
        unique_core.select("core", "uscc"), on="core"
    )
    found = pl.concat(
        [
            by_norm.select("source_kind", "source_id", "span", "start", "uscc"),
            by_core.select("source_kind", "source_id", "span", "start", "uscc"),
        ]
    )
    longest = found.sort("start").unique(["source_kind", "source_id", "span"], keep="first")
    return longest.select(
        "source_kind", "source_id", "uscc", pl.lit("content").alias("method"), pl.lit(SCORE).alias("score")
    ).unique(["source_kind", "source_id", "uscc"])


def _naming_one(reg: pl.DataFrame, spans: pl.DataFrame, key: str) -> pl.DataFrame:
    """key, uscc of the keys some span has that exactly one registration has: the registrations are cut
    to the spans' keys first (every registration with such a key stays, so the count is the same), not
    grouped whole (a province's 3 million names, for a few thousand clues)."""
    wanted = reg.select(key, "uscc").join(spans.select(key).unique(), on=key, how="semi")
    return wanted.group_by(key).agg(pl.col("uscc").first(), pl.len().alias("n")).filter(pl.col("n") == 1)


def _schema() -> dict[str, pl.DataType]:
    return {
        "source_kind": pl.Utf8(),
        "source_id": pl.Utf8(),
        "uscc": pl.Utf8(),
        "method": pl.Utf8(),
        "score": pl.Float64(),
    }
