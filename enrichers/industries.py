"""所属行业 normalised to the GB/T 4754-2017 sections (门类), so one industry is one sheet, whatever the spelling.

Registrations carry the section (租赁和商务服务业), a division (商务服务业), a code (L72, 7212, "L"),
an older edition's name or a common short name; all of them land on one label such as
"L 租赁和商务服务业". The standard (20 sections, 97 divisions) is data in data/gbt4754_2017.csv, older
names and common groups/classes in data/industry_aliases.csv. Lookup order: the whole text, the text
after a leading letter/code, the two-digit division code, the section letter; else UNCLASSIFIED.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from importlib.resources.abc import Traversable

import polars as pl

from enrichers.data import resource

STANDARD_FILE = resource("gbt4754_2017.csv")
ALIASES_FILE = resource("industry_aliases.csv")
UNCLASSIFIED = "其他（未分类）"
# Separators people drop or vary (农、林、牧、渔业 = 农林牧渔业); removed before any lookup.
_LOOSE = r"[\s、，,；;·.\-_/|：:（）()]+"


def _rows(path: Traversable) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@cache
def section_labels() -> dict[str, str]:
    """Section letter -> label ("L 租赁和商务服务业"), A to T in order."""
    return {r["code"]: f"{r['code']} {r['name']}" for r in _rows(STANDARD_FILE) if r["level"] == "门类"}


@cache
def division_sections() -> dict[str, str]:
    """Two-digit division code ("72") -> section letter."""
    return {r["code"]: r["section"] for r in _rows(STANDARD_FILE) if r["level"] == "大类"}


def _loose(text: str) -> str:
    return re.sub(_LOOSE, "", text)


@cache
def name_sections() -> dict[str, str]:
    """Loose name -> section letter: sections, divisions, aliases, and each without a trailing 业.

    A shortened name that would point at two sections is dropped rather than guessed.
    """
    names: dict[str, str] = {}
    for r in _rows(STANDARD_FILE):
        names[_loose(r["name"])] = r["section"]
    for r in _rows(ALIASES_FILE):
        names.setdefault(_loose(r["alias"]), r["section"])
    short: dict[str, set[str]] = {}
    for key, section in names.items():
        if key.endswith("业") and len(key) >= 3:
            short.setdefault(key[:-1], set()).add(section)
    for key, sections in short.items():
        if len(sections) == 1 and key not in names:
            names[key] = next(iter(sections))
    return names


def _by_name(text: pl.Expr) -> pl.Expr:
    loose = text.str.replace_all(_LOOSE, "")
    return loose.replace_strict(name_sections(), default=None, return_dtype=pl.String)


def industry_section(series: pl.Series) -> pl.Series:
    """The GB/T 4754-2017 section label of every value ("L 租赁和商务服务业"); unknown or blank → UNCLASSIFIED.

    A district has a few dozen distinct spellings, so they are resolved once each and mapped back.
    """
    raw = series.cast(pl.String).fill_null("")
    distinct = raw.unique()
    labels = _labels(distinct)
    mapping = dict(zip(distinct.to_list(), labels.to_list(), strict=True))
    out = raw.replace_strict(mapping, default=UNCLASSIFIED, return_dtype=pl.String)
    return out.rename(series.name or "industry_section")


def _labels(distinct: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"raw": distinct}).with_columns(
        pl.col("raw").str.normalize("NFKC").str.strip_chars().str.to_uppercase().alias("t")
    )
    # A leading section letter counts only when a Latin letter does not follow it ("IT服务" is not I).
    letter = pl.col("t").str.extract(r"^([A-T])(?:[^A-Z]|$)", 1)
    after = pl.when(letter.is_not_null()).then(pl.col("t").str.slice(1)).otherwise(pl.col("t"))
    code = after.str.extract(r"^[\s\-_.:]*(\d{2})\d{0,2}(?:\D|$)", 1)
    rest = after.str.replace(r"^[\s\-_.:]*\d*", "")
    section = pl.coalesce(
        _by_name(pl.col("t")),
        _by_name(rest),
        code.replace_strict(division_sections(), default=None, return_dtype=pl.String),
        letter,
    )
    labels = section.replace_strict(section_labels(), default=UNCLASSIFIED, return_dtype=pl.String)
    return frame.select(labels.alias("label")).to_series()


def section_order(labels: pl.Series) -> list[str]:
    """Distinct labels in the standard's order (A … T), UNCLASSIFIED last."""
    order = {label: i for i, label in enumerate(section_labels().values())}
    present = [str(v) for v in labels.unique().to_list() if v is not None]
    return sorted(present, key=lambda v: (order.get(v, len(order)), v))
