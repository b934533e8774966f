"""Licensed financial institutions known by name, so that a licensed bank or its branch is never banned.

The lists are public registers (NFRA banks and insurers, PBoC payment institutions, CSRC futures firms,
AMAC private-fund managers, regional short names) whose copies carry no licence, so no row is shipped:
they are read at run time from ``FUNDRISK_LICENSED_DIR`` (default ``../shared/realdata/licensed_institutions``)
and the check is skipped when the folder is absent. Which file is which list, and whether it clears a
name, is data: ``keywords/licensed_lists.csv``. AMAC registration is a fact, not a clearance.

A name matches a listed name when it equals it, or is the listed name followed by a legal form and/or a
branch suffix (分行, 支行, 分公司, 营业部 ...): 中国工商银行股份有限公司淄博分行 is a branch of the listed bank.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from enrichers.data import resource
from enrichers.normalize import normalize_text

LISTS = resource("keywords", "licensed_lists.csv")
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "licensed_institutions"
SUFFIX = (
    r"^(?:股份有限公司|有限责任公司|有限公司)?"
    r"(?:\([^()]{0,12}\))?"
    r"(?:[^()]{0,14}(?:分行|支行|分公司|营业部|营业所|分理处|支公司|中心支公司|代表处))?$"
)


@dataclass(frozen=True)
class LicensedMatch:
    """One name's match: which list, the listed name, its licence or register number, and if it clears."""

    list_label: str
    listed_name: str
    code: str
    clears: bool


def licensed_dir() -> Path:
    return Path(os.environ.get("FUNDRISK_LICENSED_DIR", str(DEFAULT_DIR)))


@lru_cache(maxsize=4)
def load_licensed(directory: Path) -> pl.DataFrame:
    """key (normalised listed name), list_label, listed_name, code, clears; empty when nothing is there."""
    spec = pl.read_csv(LISTS.read_bytes(), infer_schema=False)
    frames = []
    for file, label, name_col, code_col, clears in spec.iter_rows():
        path = directory / file
        if not path.exists():
            continue
        raw = pl.read_csv(path, infer_schema=False)
        code = pl.col(code_col) if code_col else pl.lit("")
        frames.append(
            raw.select(
                key=normalize_text(pl.col(name_col)),
                list_label=pl.lit(label),
                listed_name=pl.col(name_col),
                code=code.fill_null(""),
                clears=pl.lit(clears == "yes"),
            ).filter(pl.col("key").str.len_chars() >= 4)
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "key": pl.String,
                "list_label": pl.String,
                "listed_name": pl.String,
                "code": pl.String,
                "clears": pl.Boolean,
            }
        )
    listed = pl.concat(frames)
    # "招商银行股份有限公司" is also named "招商银行" in news and notices: the name without its legal form
    short = listed.with_columns(key=pl.col("key").str.replace(r"(?:股份有限公司|有限责任公司|有限公司)$", ""))
    short = short.filter(pl.col("key").str.len_chars() >= 4)
    # "中国工商银行" is "工商银行" in news too; only for banks, since "人寿保险" alone names no one
    bank = short.filter(pl.col("key").str.contains(r"^中国.{2,}银行$")).with_columns(
        key=pl.col("key").str.strip_prefix("中国")
    )
    return pl.concat([listed, short, bank]).unique("key", keep="first", maintain_order=True)


def licensed_matches(names: list[str], directory: Path | None = None) -> list[LicensedMatch | None]:
    """Per name: the longest listed name it is (or is a branch of), or None."""
    table = load_licensed(directory or licensed_dir())
    if table.height == 0 or not names:
        return [None] * len(names)
    keys = sorted(table["key"].to_list(), key=lambda k: (-len(k), k))
    found = (
        pl.DataFrame({"name": names}, schema={"name": pl.String})
        .with_row_index("row")
        .with_columns(norm=normalize_text(pl.col("name")).fill_null(""))
        .with_columns(key=pl.col("norm").str.extract_many(keys, leftmost=True).list.first())
        .filter(pl.col("key").is_not_null() & pl.col("norm").str.starts_with(pl.col("key")))
        .filter(pl.col("norm").str.slice(pl.col("key").str.len_chars()).str.contains(SUFFIX))
        .join(table, on="key")
    )
    out: list[LicensedMatch | None] = [None] * len(names)
    for row, label, listed, code, clears in found.select(
        "row", "list_label", "listed_name", "code", "clears"
    ).iter_rows():
        out[row] = LicensedMatch(label, listed, code, clears)
    return out


def licensed_mentions(
    texts: list[str], extra: list[str] | None = None, directory: Path | None = None
) -> list[str | None]:
    """Per text: the first clearing-list institution (or ``extra`` phrase) it names, or None.

    A text that names a licensed institution is a licensed context (bank news, a bank's own notice):
    it may be reviewed but is never banned.
    """
    table = load_licensed(directory or licensed_dir()).filter(pl.col("clears"))
    keys = sorted(set(table["key"].to_list()) | set(extra or []), key=lambda k: (-len(k), k))
    if not keys or not texts:
        return [None] * len(texts)
    found = pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(
        normalize_text(pl.col("t")).fill_null("").str.extract_many(keys, leftmost=True).list.first()
    )
    return found.to_series().to_list()
