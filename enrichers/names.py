"""Enterprise names and addresses reduced to comparable keys (entity resolution, step 1).

A registered name is 行政区划 + 字号 + 行业 + 组织形式 (2020 name rules). People write any part of
it: "鑫盛", "鑫盛财富（文昌湖店）", "淄博鑫盛財富管理有限公司". Every function here is a whole-column
polars operation; the name parts come from enrichers/data/name_parts.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from enrichers.data import resource
from enrichers.normalize import normalize_text

DATA = resource("name_parts.toml")
TOWNS_NEED_SUFFIX = {"萌水", "商家", "文昌湖"}


@dataclass(frozen=True)
class NameRules:
    version: str
    place_prefix: str  # regex: one or more leading administrative names
    address_prefix: str  # regex: leading administrative names, each with its suffix (河北村 stays)
    place_only: str  # regex: a string that is nothing but administrative names
    org_form: str  # regex: trailing organisational form
    branch: str  # regex: (parent with form)(branch part)
    shop_tail: str  # regex: trailing "<place>店"
    industry: str  # regex: (brand)(industry words) at the end of a core


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def rules() -> NameRules:
    raw = tomllib.loads(DATA.read_text(encoding="utf-8"))
    suffixes = _alternation(raw["place_suffixes"])
    loose = _alternation([p for p in raw["places"] if p not in TOWNS_NEED_SUFFIX])
    strict = _alternation([p for p in raw["places"] if p in TOWNS_NEED_SUFFIX])
    one_place = f"(?:(?:{loose})(?:{suffixes})?|(?:{strict})(?:{suffixes}))"
    forms = _alternation(raw["org_forms"])
    return NameRules(
        version=raw["version"],
        place_prefix=f"^(?:{one_place})+",
        address_prefix=f"^(?:(?:{loose}|{strict})(?:{suffixes}))+",
        place_only=f"^(?:{one_place})+$",
        org_form=f"(?:{forms})$",
        branch=f"^(.+?(?:{forms}))(.+?(?:{_alternation(raw['branch_markers'])}))$",
        shop_tail=f"(?:{one_place}|{loose}|{strict})(?:{_alternation(raw['shop_tails'])})$",
        industry=f"^(.{{2,}}?)(?:{_alternation(raw['industries'])})$",
    )


def _strip_brackets(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\([^()]*\)|【[^【】]*】|\[[^\[\]]*\]", "")


def _norm_expr(name: pl.Expr) -> pl.Expr:
    return normalize_text(name).str.replace_all(r"[·•.,，、\"'“”‘’]", "")


def name_norm(names: pl.Series) -> pl.Series:
    """name_parts' `norm` alone: a name-equality key without the costly core and brand regexes."""
    return names.rename("name").to_frame().select(_norm_expr(pl.col("name")).alias("norm")).to_series()


def with_name_keys(regs: pl.DataFrame) -> pl.DataFrame:
    """Registrations plus norm, core, brand and addr_key, computed once per run and shared by the
    resolution steps (each of which would otherwise parse a million names again)."""
    parts = name_parts(regs["name"]).select("norm", "core", "brand")
    raw = regs["address"] if "address" in regs.columns else pl.Series([None] * regs.height, dtype=pl.Utf8)
    addr = address_key(raw).alias("addr_key")
    return regs.drop(["norm", "core", "brand", "addr_key"], strict=False).hstack([*parts.get_columns(), addr])


def ensure_name_keys(regs: pl.DataFrame) -> pl.DataFrame:
    """The registrations with norm, core, brand and addr_key: as given when a stage already added them."""
    return regs if {"norm", "core", "brand", "addr_key"} <= set(regs.columns) else with_name_keys(regs)


def name_parts(names: pl.Series) -> pl.DataFrame:
    """Columns norm, core, brand, parent_norm, is_branch for a column of names.

    norm: normalised full name (NFKC, simplified, no spaces); core: without brackets, branch part,
    leading places, trailing form or '<place>店'; brand: core without its industry words (字号).
    """
    r = rules()
    frame = names.rename("name").to_frame().with_columns(_norm_expr(pl.col("name")).alias("norm"))
    frame = frame.with_columns(_strip_brackets(pl.col("norm")).alias("_bare"))
    branch = pl.col("_bare").str.extract_groups(r.branch)
    frame = frame.with_columns(
        branch.struct.field("1").alias("parent_norm"),
        branch.struct.field("1").is_not_null().alias("is_branch"),
    )
    base = pl.coalesce(pl.col("parent_norm"), pl.col("_bare"))
    core = base.str.replace(r.place_prefix, "").str.replace(r.org_form, "").str.replace(r.shop_tail, "")
    core = core.str.replace(r.org_form, "").str.replace(r.place_prefix, "")
    core = pl.when(core.str.len_chars() >= 2).then(core).otherwise(pl.col("_bare"))
    frame = frame.with_columns(core.alias("core"))
    brand = pl.col("core").str.extract(r.industry, 1)
    brand = pl.coalesce(brand.str.extract(r.industry, 1), brand, pl.col("core"))
    return frame.with_columns(brand.alias("brand")).select(
        "norm", "core", "brand", "parent_norm", "is_branch"
    )


def address_key(addresses: pl.Series) -> pl.Series:
    """Comparable address: normalised, brackets and leading places removed (淄博市文昌湖区… → 萌山路8号)."""
    r = rules()
    text = normalize_text(pl.col("a")).str.replace_all(r"[·•.,，、#＃\-]", "")
    key = _strip_brackets(text).str.replace(r.address_prefix, "")
    out = addresses.rename("a").to_frame().select(pl.when(key.str.len_chars() >= 3).then(key).alias("a"))
    return out.to_series().rename(addresses.name)
