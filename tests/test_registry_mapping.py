"""Golden records: both providers' ``normalise`` must keep turning the fake vendors' payloads (and a few
hand-made edge cases) into exactly the records saved under tests/golden/registry_<vendor>.json.

Regenerate (only when the record shape is meant to change): ``python -m tests.test_registry_mapping``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enrichers.registry import qichacha, tianyancha
from enrichers.registry.base import Subject
from tests.registry_servers import CLEAN, RISKY, qichacha_result, tianyancha_result

GOLDEN = Path(__file__).parent / "golden"
COMPANIES = {"risky": RISKY, "clean": CLEAN}


def _tianyancha_payloads(company: dict[str, Any]) -> dict[str, Any]:
    """What the provider hands to normalise: each endpoint's ``result`` (None where the vendor has none)."""
    return {
        endpoint: tianyancha_result(path.removeprefix("/services/open/"), company)
        for endpoint, path in tianyancha.PATHS.items()
    }


def _qichacha_payloads(company: dict[str, Any]) -> dict[str, Any]:
    """Each endpoint's ``{"Result", "Paging"}`` as the fake answers it (None where it answers 201)."""
    payloads: dict[str, Any] = {}
    for endpoint, path in qichacha.PATHS.items():
        result = qichacha_result(path.strip("/"), company)
        paging = (
            {"PageSize": 20, "PageIndex": 1, "TotalRecords": len(result)}
            if isinstance(result, list)
            else None
        )
        payloads[endpoint] = None if result is None else {"Result": result, "Paging": paging}
    return payloads


# Hand-made payloads for the fallbacks the fakes never exercise: second-choice keys, '-' placeholders,
# epoch milliseconds, non-dict items, odd totals, a missing name and missing sub-objects.
TIANYANCHA_EDGE: dict[str, Any] = {
    "basic": {
        "name": "-",
        "creditCode": " 91440300MA5F00001B ",
        "regLocation": "广东省深圳市南山区",
        "base": None,
        "estiblishTime": "2018年5月9日",
        "regCapital": "",
        "city": "--",
        "businessScope": None,
    },
    "abnormal": {
        "total": "3",
        "items": [{"putDate": 1651334400000, "putReason": " 未报年报 "}, "junk", None],
    },
    "lawsuits": {
        "total": 7,
        "items": [
            {"caseno": "(2021)粤03民初1号", "submittime": None, "judgetime": "2021/3/4", "doctype": "-"},
            {"caseno": "x", "submittime": 0, "judgetime": ""},
            {"submittime": "", "judgetime": 0},
        ],
    },
    "branches": {"items": [{"name": "北京分公司", "base": "XJ"}, {"name": "无名", "creditCode": "bad"}, {}]},
    "investments": {"total": 1, "items": [{"name": "上海某公司", "percent": "-", "amount": 12.5}]},
    "changes": {"total": 1, "items": [{"changeTime": "2023-02-30", "changeItem": "名称变更"}]},
}
QICHACHA_EDGE: dict[str, Any] = {
    "basic": {
        "Result": {
            "Name": "",
            "CreditCode": "null",
            "Address": "浙江省杭州市西湖区",
            "Area": "not a dict",
            "StartDate": "2015-06-01T00:00:00",
        }
    },
    "abnormal": {
        "Result": [
            {"AddDate": "2020-1-2", "RemoveReason": "已补报", "RomoveReason": ""},
            {"AddDate": "", "RomoveReason": "已更正", "RemoveReason": "不用"},
            7,
        ],
        "Paging": {"TotalRecords": 2},
    },
    "lawsuits": {
        "Result": [
            {"CaseNo": "a", "JudgeDate": None, "SubmitDate": "2019-09-09 10:00:00", "CaseType": "裁定书"},
            {"CaseNo": "b", "JudgeDate": "2020-01-01", "SubmitDate": "2019-01-01", "DocType": "判决书"},
        ],
        "Paging": {"TotalRecords": "2"},
    },
    "branches": {
        "Result": [
            {"Name": "江苏分公司", "Area": {"Province": None, "City": " 南京市 "}},
            {"Name": "某分公司", "CreditCode": "91110000MA00000001", "Area": None},
            {"Name": "黑龙江某分公司"},
        ],
        "Paging": None,
    },
    "changes": {"Result": {"not": "a list"}, "Paging": {"TotalRecords": 9}},
}


def _cases(vendor: str) -> dict[str, tuple[Subject, dict[str, Any]]]:
    build = _tianyancha_payloads if vendor == "tianyancha" else _qichacha_payloads
    cases: dict[str, tuple[Subject, dict[str, Any]]] = {}
    for label, company in COMPANIES.items():
        cases[label] = (Subject(company["uscc"], company["name"]), build(company))
        cases[f"{label}_by_name"] = (Subject(None, company["name"]), build(company))
    edge = TIANYANCHA_EDGE if vendor == "tianyancha" else QICHACHA_EDGE
    cases["edge"] = (Subject(None, "兜底名称有限公司"), edge)
    cases["empty"] = (Subject("91370303MA3C7Q2X1K", "空结果有限公司"), {})
    return cases


def _provider(vendor: str) -> Any:
    if vendor == "tianyancha":
        return tianyancha.Tianyancha(None, token="t")
    return qichacha.Qichacha(None, key="k", secret="s")


def _records(vendor: str) -> dict[str, Any]:
    provider = _provider(vendor)
    return {
        label: provider.normalise(subject, payloads) for label, (subject, payloads) in _cases(vendor).items()
    }


@pytest.mark.parametrize("vendor", ["tianyancha", "qichacha"])
def test_normalise_matches_golden(vendor: str) -> None:
    golden = json.loads((GOLDEN / f"registry_{vendor}.json").read_text(encoding="utf-8"))
    records = _records(vendor)
    assert list(records) == list(golden)
    for label, record in records.items():
        assert record == golden[label], label
        # key order is part of the record (the snapshot writes it as is)
        assert json.dumps(record, ensure_ascii=False) == json.dumps(golden[label], ensure_ascii=False), label


@pytest.mark.parametrize(
    ("vendor", "payloads", "error"),
    [
        ("tianyancha", {"branches": {"items": [{"name": 5}]}}, AttributeError),
        ("tianyancha", {"basic": {"base": 5}}, AttributeError),
        ("tianyancha", {"lawsuits": {"items": 5}}, TypeError),
        ("qichacha", {"basic": [1]}, AttributeError),
        ("qichacha", {"branches": {"Result": [{"Name": 5}]}}, AttributeError),
        ("qichacha", {"basic": {"Result": {"Area": {"Province": 3}}}}, AttributeError),
    ],
)
def test_malformed_payloads_still_fail(vendor: str, payloads: dict[str, Any], error: type[Exception]) -> None:
    """Structures the lookup reports as 'cannot parse' must keep raising, not turn into quiet records."""
    with pytest.raises(error):
        _provider(vendor).normalise(Subject(None, "某公司"), payloads)


@pytest.mark.parametrize("vendor", ["tianyancha", "qichacha"])
def test_non_text_address_is_stringified(vendor: str) -> None:
    basic = {"regLocation": 5} if vendor == "tianyancha" else {"Result": {"Address": 5}}
    record = _provider(vendor).normalise(Subject(None, "某公司"), {"basic": basic})
    assert record["basic"]["address"] == "5"
    assert record["basic"]["province"] is None


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for vendor in ("tianyancha", "qichacha"):
        text = json.dumps(_records(vendor), ensure_ascii=False, indent=2) + "\n"
        (GOLDEN / f"registry_{vendor}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
