"""Table-driven checks of every value form real exports use."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fundrisk.sources import parse


def run(parser, values):
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.Utf8})
    value, invalid = parser(parse.clean(pl.col("raw")))
    out = frame.select(value.alias("value"), invalid.alias("invalid"))
    return out["value"].to_list(), out["invalid"].to_list()


D = dt.date(2020, 1, 2)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-01-02", D),
        ("2020/1/2", D),
        ("2020年1月2日", D),
        ("20200102", D),
        ("2020.1.2", D),
        (" 2020-01-02 00:00:00 ", D),
        ("２０２０－０１－０２", D),  # full-width
        ("43832", D),  # Excel serial
        ("2020-13-01", None),
        ("2020-02-30", None),
        ("1800-01-01", None),
        ("明天", None),
    ],
)
def test_dates(raw, expected):
    values, invalid = run(parse.parse_date, [raw])
    assert values == [expected]
    assert invalid == [expected is None]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.5", 1234.5),
        ("约50万元", 500_000.0),
        ("1.2亿", 120_000_000.0),
        ("￥3,000元", 3000.0),
        ("3000余元", 3000.0),
        ("100万元人民币", 1_000_000.0),
        ("１２３", 123.0),
        ("-5", None),
        ("五十万", None),
        ("12abc", None),
    ],
)
def test_amounts_in_yuan(raw, expected):
    values, invalid = run(parse.parse_amount, [raw])
    assert values == [expected]
    assert invalid == [expected is None]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("100万元", 100.0), ("50", 50.0), ("500000元", 50.0), ("1亿元", 10_000.0), ("x", None)],
)
def test_registered_capital_in_wan(raw, expected):
    values, _ = run(parse.parse_amount_wan, [raw])
    assert values == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("200", 200), ("约200人", 200), ("1,200余人", 1200), ("12笔", 12), ("3.0", 3), ("很多", None)],
)
def test_counts(raw, expected):
    assert run(parse.parse_count, [raw])[0] == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.35", 0.35), ("35%", 0.35), ("35", 0.35), ("100%", 1.0), ("150", None), ("x", None)],
)
def test_shares(raw, expected):
    values, _ = run(parse.parse_share, [raw])
    assert values[0] == pytest.approx(expected) if expected is not None else values == [None]


def test_empty_values_are_null_not_invalid():
    values, invalid = run(parse.parse_date, ["", "   ", None])
    assert values == [None, None, None]
    assert invalid == [False, False, False]


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("91110000600037341L", True),
        ("91110000 600037341l", True),  # spaces and lower case are compacted, as stdnum does
        ("91110000600037341X", False),  # wrong check digit
        ("91110000600037341", False),  # 17 characters
        ("9111000060003734IO", False),  # I and O are not in the alphabet
        ("ＡＢＣ", False),
    ],
)
def test_uscc(raw, valid):
    values, invalid = run(parse.parse_uscc, [raw])
    assert (values[0] is not None) is valid
    assert invalid == [not valid]


@pytest.mark.slow
def test_uscc_check_equals_python_stdnum_on_mutated_codes() -> None:
    """The whole-column check must agree with python-stdnum on valid codes and every kind of near miss."""
    import random

    from stdnum.cn import uscc as stdnum_uscc

    rng = random.Random(20261130)
    alphabet = parse.USCC_ALPHABET
    valid = []
    for _ in range(3000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(
            rng.choice(alphabet) for _ in range(9)
        )
        valid.append(body + stdnum_uscc.calc_check_digit(body + "0"))
    mutated = []
    for code in valid:
        i = rng.randrange(18)
        mutated.append(code[:i] + rng.choice(alphabet + "IOSVZ") + code[i + 1 :])
        j = rng.randrange(17)
        mutated.append(code[:j] + code[j + 1] + code[j] + code[j + 2 :])  # swapped neighbours
    odd = ["", "1" * 17, "1" * 19, "91110000600037341l", "91110000 60003734"]
    codes = valid + mutated + odd
    got = parse.uscc_is_valid(pl.Series("c", codes)).to_list()
    expected = [stdnum_uscc.is_valid(c) and len(c) == 18 and c == c.upper() for c in codes]
    assert sum(expected[: len(valid)]) == len(valid)
    assert got == expected
