"""企查查 open API: ``key`` in the query string, headers ``Token`` = upper(MD5(key + Timespan + SecretKey))
and ``Timespan`` (Unix seconds); a fresh signature for every request, retries included.

Envelope ``{"Status": "200", "Message": str, "Result": ..., "Paging": {...}}``. Status 200 ok; 201 no
result (not an error); 109/112/116 balance or quota used up (abort the run); 122 concurrency limit
(back off, retry); 101/102/103/107/113/114/115 key, IP or signature refused (abort). The basic-details
endpoint takes ``keyword``; the list endpoints ``searchKey`` (name or credit code). 企查查 has no
investment endpoint in this set, so its records carry no investments.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, ClassVar

import httpx

from enrichers.registry.base import ENDPOINTS, RegistryProvider, Subject, check_http
from enrichers.registry.errors import AuthError, BadResponse, NotFound, QuotaExhausted, Throttled
from enrichers.registry.model import empty_record, province_of, text, to_date

PATHS = {
    "basic": "/ECIV4/GetBasicDetailsByName",
    "abnormal": "/ExceptionCheck/GetList",
    "lawsuits": "/JudgmentDocCheck/GetList",
    "branches": "/ECIBranch/GetList",
    "changes": "/ECIChange/GetList",
}
QUOTA = {109, 112, 116}
AUTH = {101, 102, 103, 107, 113, 114, 115}
THROTTLE = {122}
PAGE_SIZE = 20


def sign(key: str, secret: str, timespan: str) -> str:
    """The vendor's request signature: upper-case hex MD5 of key + Timespan + SecretKey."""
    return hashlib.md5((key + timespan + secret).encode("utf-8"), usedforsecurity=False).hexdigest().upper()


class Qichacha(RegistryProvider):
    name: ClassVar[str] = "qichacha"

    def __init__(self, client: httpx.AsyncClient | None, key: str, secret: str, **kwargs: Any) -> None:
        kwargs.setdefault("endpoints", tuple(e for e in ENDPOINTS if e in PATHS))
        super().__init__(client, **kwargs)
        self._key, self._secret = key, secret
        self.secrets = (key, secret)

    async def _send(self, endpoint: str, subject: Subject) -> httpx.Response:
        assert self.client is not None
        timespan = str(int(time.time()))
        params: dict[str, str | int] = {"key": self._key}
        if endpoint == "basic":
            params["keyword"] = subject.key
        else:
            params |= {"searchKey": subject.key, "pageIndex": 1, "pageSize": PAGE_SIZE}
        headers = {"Token": sign(self._key, self._secret, timespan), "Timespan": timespan}
        return await self.client.get(PATHS[endpoint], params=params, headers=headers)

    def _payload(self, endpoint: str, response: httpx.Response) -> Any:
        body = check_http(response)
        if not isinstance(body, dict) or "Status" not in body:
            raise BadResponse("企查查返回的内容格式不符")
        try:
            code = int(body["Status"])
        except (TypeError, ValueError):
            raise BadResponse("企查查返回的状态码无法识别") from None
        message = str(body.get("Message") or "")[:80]
        if code == 200:
            return {"Result": body.get("Result"), "Paging": body.get("Paging")}
        if code == 201:
            raise NotFound("企查查：查询无结果", code=code)
        if code in THROTTLE:
            raise Throttled(f"企查查：并发或频率超限（{code}）", code=code)
        if code in QUOTA:
            raise QuotaExhausted(f"企查查账户余额不足或调用次数已用完（{code} {message}）", code=code)
        if code in AUTH:
            raise AuthError(f"企查查密钥或签名无效（{code} {message}）", code=code)
        raise BadResponse(f"企查查返回未知状态码（{code} {message}）", code=code)

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        record = empty_record(subject.uscc, subject.name)
        base = (payloads.get("basic") or {}).get("Result")
        if isinstance(base, dict):
            uscc = text(base.get("CreditCode"))
            area = _area(base)
            address = text(base.get("Address"))
            record["basic"] = {
                "uscc": uscc,
                "name": text(base.get("Name")) or subject.name,
                "legal_rep": text(base.get("OperName")),
                "status": text(base.get("Status")),
                "registered_capital": text(base.get("RegistCapi")),
                "established_on": to_date(base.get("StartDate")),
                "address": address,
                "province": province_of(uscc, area.get("Province"), address),
                "city": text(area.get("City")),
                "district": text(area.get("County")),
                "scope": text(base.get("Scope")),
                "entity_type": text(base.get("EconKind")),
            }
        items = {key: _items(payloads.get(key)) for key in PATHS if key != "basic"}
        record["abnormal_total"] = _total(payloads.get("abnormal"))
        record["lawsuit_total"] = _total(payloads.get("lawsuits"))
        record["abnormal"] = [
            {
                "listed_on": to_date(i.get("AddDate")),
                "listed_reason": text(i.get("AddReason")),
                "listed_by": text(i.get("DecisionOffice")),
                "removed_on": to_date(i.get("RemoveDate")),
                "removed_reason": text(i.get("RomoveReason") or i.get("RemoveReason")),
                "removed_by": text(i.get("RemoveDecisionOffice")),
            }
            for i in items["abnormal"]
        ]
        record["lawsuits"] = [
            {
                "case_no": text(i.get("CaseNo")),
                "title": text(i.get("CaseName")),
                "case_reason": text(i.get("CaseReason")),
                "court": text(i.get("Court")),
                "judged_on": to_date(i.get("JudgeDate") or i.get("SubmitDate")),
                "doc_type": text(i.get("DocType") or i.get("CaseType")),
            }
            for i in items["lawsuits"]
        ]
        record["branches"] = [
            {
                "name": text(i.get("Name")),
                "uscc": text(i.get("CreditCode")),
                "legal_rep": text(i.get("OperName")),
                "status": text(i.get("Status")),
                "province": province_of(text(i.get("CreditCode")), _area(i).get("Province"), i.get("Name")),
                "city": text(_area(i).get("City")),
            }
            for i in items["branches"]
        ]
        record["changes"] = [
            {
                "changed_on": to_date(i.get("ChangeDate")),
                "item": text(i.get("ProjectName")),
                "before": text(i.get("BeforeContent")),
                "after": text(i.get("AfterContent")),
            }
            for i in items["changes"]
        ]
        return record


def _area(item: dict[str, Any]) -> dict[str, Any]:
    area = item.get("Area")
    return area if isinstance(area, dict) else {}


def _items(payload: Any) -> list[dict[str, Any]]:
    result = payload.get("Result") if isinstance(payload, dict) else None
    return [i for i in result if isinstance(i, dict)] if isinstance(result, list) else []


def _total(payload: Any) -> int | None:
    paging = payload.get("Paging") if isinstance(payload, dict) else None
    if isinstance(paging, dict) and isinstance(paging.get("TotalRecords"), int):
        return int(paging["TotalRecords"])
    return None
