"""The normalised fact record every provider produces (and the snapshot stores), plus small helpers.

Record shape (all dates ISO ``YYYY-MM-DD`` strings or null; every list may be empty)::

    {"uscc": str|null, "name": str,
     "basic": {"uscc", "name", "legal_rep", "status", "registered_capital", "established_on",
               "address", "province", "city", "district", "scope", "entity_type"} | null,
     "abnormal": [{"listed_on", "listed_reason", "listed_by", "removed_on", "removed_reason", "removed_by"}],
     "abnormal_total": int|null,
     "lawsuits": [{"case_no", "title", "case_reason", "court", "judged_on", "doc_type"}],
     "lawsuit_total": int|null,
     "branches": [{"name", "uscc", "legal_rep", "status", "province", "city"}],
     "investments": [{"name", "uscc", "legal_rep", "status", "province", "share", "amount"}],
     "changes": [{"changed_on", "item", "before", "after"}]}
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

BEIJING = dt.timezone(dt.timedelta(hours=8))
LISTS = ("abnormal", "lawsuits", "branches", "investments", "changes")

# GB/T 2260 province codes (first two digits of a USCC's division code) and Tianyancha's `base` codes.
PROVINCE_CODES = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}
BASE_CODES = {
    "bj": "11",
    "tj": "12",
    "heb": "13",
    "sx": "14",
    "nmg": "15",
    "ln": "21",
    "jl": "22",
    "hlj": "23",
    "sh": "31",
    "js": "32",
    "zj": "33",
    "ah": "34",
    "fj": "35",
    "jx": "36",
    "sd": "37",
    "hen": "41",
    "hub": "42",
    "hun": "43",
    "gd": "44",
    "gx": "45",
    "han": "46",
    "cq": "50",
    "sc": "51",
    "gz": "52",
    "yn": "53",
    "xz": "54",
    "snx": "61",
    "gs": "62",
    "qh": "63",
    "nx": "64",
    "xj": "65",
}
PROVINCE_PREFIXES = {
    name[:2] if not name.startswith(("内蒙古", "黑龙江")) else name[:3]: name
    for name in PROVINCE_CODES.values()
}


def province_of(uscc: str | None = None, code: str | None = None, text: str | None = None) -> str | None:
    """Province from a USCC's division code, else a vendor province code, else an address prefix."""
    if uscc and len(uscc) == 18 and uscc[2:4] in PROVINCE_CODES:
        return PROVINCE_CODES[uscc[2:4]]
    if code:
        key = code.strip().lower()
        if key in BASE_CODES:
            return PROVINCE_CODES[BASE_CODES[key]]
        for short, name in PROVINCE_PREFIXES.items():
            if key.startswith(short.lower()):
                return name
    if text:
        for short, name in PROVINCE_PREFIXES.items():
            if text.strip().startswith(short):
                return name
    return None


def to_date(value: Any) -> str | None:
    """ISO date from epoch milliseconds, 'YYYY-MM-DD[ hh:mm:ss]', 'YYYY/M/D' or 'YYYY年M月D日'."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value / 1000, BEIJING).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None  # a vendor's epoch far outside any real date
    match = re.match(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})", str(value).strip())
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


def text(value: Any) -> str | None:
    """A stripped string or None; vendors write '-' or '' for unknown."""
    if value is None:
        return None
    out = str(value).strip()
    return out if out and out not in {"-", "--", "null", "None"} else None


def empty_record(uscc: str | None, name: str) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "name": name,
        "basic": None,
        "abnormal_total": None,
        "lawsuit_total": None,
        **{key: [] for key in LISTS},
    }


def snapshot_line(record: dict[str, Any]) -> str:
    """One record as one line of a snapshot file (snapshot.py): missing lists filled in, newline included."""
    full = empty_record(record.get("uscc"), str(record.get("name") or "")) | record
    return json.dumps(full, ensure_ascii=False, sort_keys=True) + "\n"


BASIC_FIELDS = (
    "uscc", "name", "legal_rep", "status", "registered_capital", "established_on", "address",
    "province", "city", "district", "scope", "entity_type",
)  # fmt: skip
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "abnormal": ("listed_on", "listed_reason", "listed_by", "removed_on", "removed_reason", "removed_by"),
    "lawsuits": ("case_no", "title", "case_reason", "court", "judged_on", "doc_type"),
    "branches": ("name", "uscc", "legal_rep", "status", "province", "city"),
    "investments": ("name", "uscc", "legal_rep", "status", "province", "share", "amount"),
    "changes": ("changed_on", "item", "before", "after"),
}
DATE_FIELDS = frozenset({"established_on", "listed_on", "removed_on", "judged_on", "changed_on"})


def _typed_item(item: Any, fields: tuple[str, ...]) -> dict[str, str | None]:
    return {f: (to_date(item.get(f)) if f in DATE_FIELDS else text(item.get(f))) for f in fields}


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**62 else None
    digits = text(value)
    # isdecimal, not isdigit: int() refuses superscripts such as '²', which isdigit accepts
    return int(digits) if digits and digits.isdecimal() and len(digits) < 18 else None


def typed_record(record: Any) -> dict[str, Any]:
    """A record with every field in its documented type (strings, ISO dates, counts, lists of dicts).

    Snapshot lines and vendor answers are untrusted: a number where text belongs, a string total, a
    list that is an object, an item that is not a dict; the fact frames have explicit dtypes, so the
    record is made to fit them here instead of failing the write for every subject of the run.
    """
    source = record if isinstance(record, dict) else {}
    out = empty_record(text(source.get("uscc")), text(source.get("name")) or "")
    basic = source.get("basic")
    out["basic"] = _typed_item(basic, BASIC_FIELDS) if isinstance(basic, dict) else None
    for key, fields in LIST_FIELDS.items():
        items = source.get(key)
        out[key] = (
            [_typed_item(i, fields) for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        )
    out["abnormal_total"] = _count(source.get("abnormal_total"))
    out["lawsuit_total"] = _count(source.get("lawsuit_total"))
    return out
