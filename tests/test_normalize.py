"""Normalisation: full-width, traditional Chinese and whitespace, identical for one string and a column."""

from __future__ import annotations

import polars as pl
import pytest

from enrichers.normalize import normalize_one, normalize_series, normalize_text

CASES = [
    ("（理财）", "(理财)"),
    ("ＡＢＣ１２３％", "ABC123%"),
    ("年化１８％", "年化18%"),
    ("財富管理", "财富管理"),
    ("經營範圍：金融資訊服務", "经营范围:金融资讯服务"),
    ("股權眾籌", "股权众筹"),
    ("淄博 鑫源\t科技　有限公司\n", "淄博鑫源科技有限公司"),
    ("①号", "1号"),
    ("北京理财", "北京理财"),  # simplified text is a fixed point
    ("乾坤投资", "乾坤投资"),  # ambiguous traditional characters that are valid simplified stay
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize_one(raw: str, expected: str) -> None:
    assert normalize_one(raw) == expected


def test_series_matches_one_and_keeps_nulls() -> None:
    raw = [c[0] for c in CASES] + [None]
    out = normalize_series(pl.Series("x", raw))
    assert out.name == "x"
    assert out.to_list() == [c[1] for c in CASES] + [None]


def test_expression_form() -> None:
    df = pl.DataFrame({"t": ["財富管理", "保本保息"]})
    assert df.select(normalize_text(pl.col("t")))["t"].to_list() == ["财富管理", "保本保息"]


def test_char_map_keys_are_single_characters() -> None:
    """normalize_text relies on it: one key per position, so leftmost-first equals the default semantics."""
    from enrichers.normalize import char_map

    assert all(len(k) == 1 for k in char_map())
