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
from typing import Any, ClassVar, Self

import httpx

from enrichers.registry.answers import check_http
from enrichers.registry.base import (
    ENDPOINTS,
    RegistryProvider,
    Subject,
    VendorCodes,
    raise_for_code,
)
from enrichers.registry.client import make_client
from enrichers.registry.config import RegistryConfig
from enrichers.registry.errors import AuthError, BadResponse, NotFound, QuotaExhausted, Throttled
from enrichers.registry.mapping import Ref, VendorMapping, date_of, derived, raw, text_of
from enrichers.registry.model import province_of

PATHS = {
    "basic": "/ECIV4/GetBasicDetailsByName",
    "abnormal": "/ExceptionCheck/GetList",
    "lawsuits": "/JudgmentDocCheck/GetList",
    "branches": "/ECIBranch/GetList",
    "changes": "/ECIChange/GetList",
}
# The vendor's documented status codes (the module docstring) and what each means for the run.
CODES = VendorCodes(
    ok=200,
    errors={
        201: (NotFound, "企查查：查询无结果"),
        122: (Throttled, "企查查：并发或频率超限（{code}）"),
        **dict.fromkeys(
            (109, 112, 116), (QuotaExhausted, "企查查账户余额不足或调用次数已用完（{code} {reason}）")
        ),
        **dict.fromkeys(
            (101, 102, 103, 107, 113, 114, 115), (AuthError, "企查查密钥或签名无效（{code} {reason}）")
        ),
    },
    unknown="企查查返回未知状态码（{code} {reason}）",
)
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

    @classmethod
    def from_config(cls, config: RegistryConfig, **policy: Any) -> Self:
        key, secret = config.vendor.get("key") or "", config.vendor.get("secret") or ""
        provider = cls(make_client(config, config.vendor.get("url") or ""), key, secret, **policy)
        if not cls.configured(config):
            provider.stopped = (
                "未配置企查查密钥（FUNDRISK_QICHACHA_KEY / FUNDRISK_QICHACHA_SECRET），未查询工商信息"
            )
        return provider

    @classmethod
    def configured(cls, config: RegistryConfig) -> bool:
        return bool(config.vendor.get("key") and config.vendor.get("secret"))

    async def _send(self, endpoint: str, subject: Subject) -> httpx.Response:
        assert self.client is not None
        timespan = str(int(time.time()))
        params: dict[str, str | int] = {"key": self._key}
        if endpoint == "basic":
            params["keyword"] = subject.key
        else:
            params |= {"searchKey": subject.key, "pageIndex": 1, "pageSize": PAGE_SIZE}
        headers = {"Token": sign(self._key, self._secret, timespan), "Timespan": timespan}
        return await self._get(PATHS[endpoint], params, headers)

    def _payload(self, endpoint: str, response: httpx.Response) -> Any:
        body = check_http(response, self.body)
        if not isinstance(body, dict) or "Status" not in body:
            raise BadResponse("企查查返回的内容格式不符")
        try:
            code = int(body["Status"])
        except (TypeError, ValueError):
            raise BadResponse("企查查返回的状态码无法识别") from None
        raise_for_code(CODES, code, self.vendor_text(body.get("Message")))  # Message masked, then cut
        return {"Result": body.get("Result"), "Paging": body.get("Paging")}

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        return MAPPING.normalise(subject, payloads)


def _items(payload: Any) -> list[dict[str, Any]]:
    result = payload.get("Result") if isinstance(payload, dict) else None
    return [i for i in result if isinstance(i, dict)] if isinstance(result, list) else []


def _total(payload: Any) -> int | None:
    paging = payload.get("Paging") if isinstance(payload, dict) else None
    if isinstance(paging, dict) and isinstance(paging.get("TotalRecords"), int):
        return int(paging["TotalRecords"])
    return None


# Vendor field names per section of the normalised record (model.py); province, city and county sit in
# an ``Area`` sub-object. The province comes from the record's credit code, else ``Area.Province``, else
# the address (basic) or the company name. ``RomoveReason`` is the vendor's spelling.
MAPPING = VendorMapping(
    basic={
        "uscc": text_of("CreditCode"),
        "name": text_of("Name"),
        "legal_rep": text_of("OperName"),
        "status": text_of("Status"),
        "registered_capital": text_of("RegistCapi"),
        "established_on": date_of("StartDate"),
        "address": text_of("Address"),
        "province": derived(province_of, Ref("uscc"), raw("Area.Province"), Ref("address")),
        "city": text_of("Area.City"),
        "district": text_of("Area.County"),
        "scope": text_of("Scope"),
        "entity_type": text_of("EconKind"),
    },
    sections={
        "abnormal": {
            "listed_on": date_of("AddDate"),
            "listed_reason": text_of("AddReason"),
            "listed_by": text_of("DecisionOffice"),
            "removed_on": date_of("RemoveDate"),
            "removed_reason": text_of("RomoveReason", "RemoveReason"),
            "removed_by": text_of("RemoveDecisionOffice"),
        },
        "lawsuits": {
            "case_no": text_of("CaseNo"),
            "title": text_of("CaseName"),
            "case_reason": text_of("CaseReason"),
            "court": text_of("Court"),
            "judged_on": date_of("JudgeDate", "SubmitDate"),
            "doc_type": text_of("DocType", "CaseType"),
        },
        "branches": {
            "name": text_of("Name"),
            "uscc": text_of("CreditCode"),
            "legal_rep": text_of("OperName"),
            "status": text_of("Status"),
            "province": derived(province_of, Ref("uscc"), raw("Area.Province"), raw("Name")),
            "city": text_of("Area.City"),
        },
        "changes": {
            "changed_on": date_of("ChangeDate"),
            "item": text_of("ProjectName"),
            "before": text_of("BeforeContent"),
            "after": text_of("AfterContent"),
        },
    },
    basic_of=lambda payload: (payload or {}).get("Result"),
    items_of=_items,
    total_of=_total,
)
