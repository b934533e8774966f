"""Vectorised identifiers: USCC (GB 32100-2015), resident ID numbers (GB 11643), phones, account numbers."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.sources.parse import USCC_ALPHABET
from fundrisk.sources.parse import USCC_WEIGHTS as _USCC_WEIGHTS

USCC_WEIGHTS = np.array(_USCC_WEIGHTS, dtype=np.int64)  # the one GB 32100-2015 table, ingest checks with it
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
AREA_CODE = "370306"
ORG_SPACE = 31**6
# Zibo county codes that appear in residents' ID numbers.
ID_REGIONS = np.array([370302, 370303, 370304, 370305, 370306, 370321, 370322, 370323], dtype=np.int64)
PHONE_PREFIXES = np.array(
    [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159]
    + [166, 170, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 193, 195, 198, 199],
    dtype=np.int64,
)

_ASCII = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_LOOKUP = np.full(128, -1, dtype=np.int64)
_LOOKUP[_ASCII] = np.arange(31)


def rows_to_strings(chars: np.ndarray) -> pl.Series:
    """Turn an (n, k) uint8 array of ASCII codes into a polars String series."""
    chars = np.ascontiguousarray(chars, dtype=np.uint8)
    width = chars.shape[1]
    return pl.Series(chars.view(f"S{width}").ravel()).cast(pl.String)


def uscc_check_values(values: np.ndarray) -> np.ndarray:
    """Check-digit values (0..30) for an (n, 17) array of alphabet values."""
    total = (values.astype(np.int64) * USCC_WEIGHTS).sum(axis=1)
    return (31 - total % 31) % 31


def uscc_check_char(body: str) -> str:
    """Check character for one 17-character USCC body (scalar helper)."""
    values = np.array([[_LOOKUP[ord(c)] for c in body]], dtype=np.int64)
    return USCC_ALPHABET[int(uscc_check_values(values)[0])]


def org_code_chars(serial: np.ndarray) -> np.ndarray:
    """(n, 9) ASCII organisation codes 'MA' + 6 base-31 chars + GB 11714 check, unique per serial."""
    n = serial.shape[0]
    out = np.empty((n, 9), dtype=np.uint8)
    out[:, 0] = ord("M")
    out[:, 1] = ord("A")
    rest = serial.astype(np.int64) % ORG_SPACE
    for pos in range(7, 1, -1):
        out[:, pos] = _ASCII[rest % 31]
        rest //= 31
    # GB 11714 values: digits as-is, letters A=10 … Z=35.
    body = out[:, :8].astype(np.int64)
    vals = np.where(body >= 65, body - 55, body - 48)
    check = 11 - (vals * ORG_WEIGHTS).sum(axis=1) % 11
    out[:, 8] = np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), check + 48))
    return out


def make_uscc(prefix: np.ndarray, serial: np.ndarray) -> pl.Series:
    """USCCs from 2-char prefixes ('91', '92', '93', '12') and unique serials (< 31**6)."""
    n = serial.shape[0]
    chars = np.empty((n, 18), dtype=np.uint8)
    pre = np.asarray(prefix).astype("S2").view(np.uint8).reshape(n, 2)
    chars[:, :2] = pre
    chars[:, 2:8] = np.frombuffer(AREA_CODE.encode(), dtype=np.uint8)
    chars[:, 8:17] = org_code_chars(serial)
    check = uscc_check_values(_LOOKUP[chars[:, :17]])
    chars[:, 17] = _ASCII[check]
    return rows_to_strings(chars)


def scramble(index: np.ndarray, space: int, mult: int, offset: int) -> np.ndarray:
    """An affine bijection on range(space) (mult must be coprime to space)."""
    return (index.astype(np.int64) * mult + offset) % space


def make_id_numbers(rng: np.random.Generator, birth_days: np.ndarray) -> pl.Series:
    """18-digit resident ID numbers: Zibo region, birth date (days since epoch), sequence, ISO 7064 check."""
    n = birth_days.shape[0]
    region = ID_REGIONS[rng.integers(0, ID_REGIONS.size, n)]
    dates = birth_days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    seq = rng.integers(0, 1000, n)
    number = ((region * 10000 + years) * 100 + months) * 100 + days
    number = number * 1000 + seq  # 17 digits
    digits = np.empty((n, 18), dtype=np.int64)
    rest = number.copy()
    for pos in range(16, -1, -1):
        digits[:, pos] = rest % 10
        rest //= 10
    check = (12 - (digits[:, :17] * ID_WEIGHTS).sum(axis=1) % 11) % 11
    chars = (digits + 48).astype(np.uint8)
    chars[:, 17] = np.where(check == 10, ord("X"), check + 48)
    return rows_to_strings(chars)


def make_phones(rng: np.random.Generator, n: int) -> pl.Series:
    """Mainland mobile numbers 1[3-9]x plus 8 digits."""
    prefix = PHONE_PREFIXES[rng.integers(0, PHONE_PREFIXES.size, n)]
    return pl.Series(prefix * 100_000_000 + rng.integers(0, 100_000_000, n)).cast(pl.String)


def make_digits(rng: np.random.Generator, n: int, lead: str, width: int) -> pl.Series:
    """Digit strings: a fixed lead followed by random digits up to width (account numbers)."""
    body = rng.integers(0, 10, (n, width - len(lead))) + 48
    lead_arr = np.broadcast_to(np.frombuffer(lead.encode(), dtype=np.uint8), (n, len(lead)))
    return rows_to_strings(np.hstack([lead_arr, body.astype(np.uint8)]))
