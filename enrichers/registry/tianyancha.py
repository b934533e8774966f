"""天眼查 open API: raw token in the Authorization header, GET under /services/open/.

Envelope ``{"error_code": int, "reason": str, "result": ...}``; list endpoints give
``result = {"total": int, "items": [...]}``. Codes: 0 ok; 300000 no result (not an error);
300004 too fast (back off, retry); 300002/300003/300006/300007 account expired or quota used up
(abort the run); 300005/300009/300011 no permission or wrong token (abort); 300001/300012 transient.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import httpx

from enrichers.registry.answers import check_http
from enrichers.registry.base import RegistryProvider, Subject, VendorCodes, raise_for_code
from enrichers.registry.client import make_client
from enrichers.registry.config import RegistryConfig
from enrichers.registry.errors import (
    AuthError,
    BadResponse,
    NotFound,
    QuotaExhausted,
    Throttled,
    TransientError,
)
from enrichers.registry.mapping import Ref, Spec, VendorMapping, date_of, derived, raw, text_of
from enrichers.registry.model import province_of

PATHS = {
    "basic": "/services/open/ic/baseinfo/normal",
    "abnormal": "/services/open/mr/abnormal/2.0",
    "lawsuits": "/services/open/jr/lawSuit/2.0",
    "branches": "/services/open/ic/branch/2.0",
    "investments": "/services/open/ic/inverst/2.0",  # the vendor's spelling
    "changes": "/services/open/ic/changeinfo/2.0",
}
# The vendor's documented error codes (the module docstring) and what each means for the run.
CODES = VendorCodes(
    ok=0,
    errors={
        300000: (NotFound, "天眼查：无数据"),
        300004: (Throttled, "天眼查：访问频率过快（{code}）"),
        **dict.fromkeys(
            (300002, 300003, 300006, 300007),
            (QuotaExhausted, "天眼查账号不可用或查询次数已用完（{code} {reason}）"),
        ),
        **dict.fromkeys(
            (300005, 300009, 300011), (AuthError, "天眼查令牌无效或无权访问该接口（{code} {reason}）")
        ),
        **dict.fromkeys((300001, 300012), (TransientError, "天眼查：请求失败（{code}）")),
    },
    unknown="天眼查返回未知错误码（{code} {reason}）",
)
PAGE_SIZE = 20


class Tianyancha(RegistryProvider):
    name: ClassVar[str] = "tianyancha"

    def __init__(self, client: httpx.AsyncClient | None, token: str, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._token = token
        self.secrets = (token,)

    @classmethod
    def from_config(cls, config: RegistryConfig, **policy: Any) -> Self:
        token = config.vendor.get("token") or ""
        provider = cls(make_client(config, config.vendor.get("url") or ""), token, **policy)
        if not token:
            provider.stopped = "未配置天眼查令牌（FUNDRISK_TIANYANCHA_TOKEN），未查询工商信息"
        return provider

    @classmethod
    def configured(cls, config: RegistryConfig) -> bool:
        return bool(config.vendor.get("token"))

    async def _send(self, endpoint: str, subject: Subject) -> httpx.Response:
        assert self.client is not None
        params: dict[str, str | int] = {"keyword": subject.key}
        if endpoint != "basic":
            params |= {"pageNum": 1, "pageSize": PAGE_SIZE}
        return await self._get(PATHS[endpoint], params, {"Authorization": self._token})

    def _payload(self, endpoint: str, response: httpx.Response) -> Any:
        body = check_http(response, self.body)
        if not isinstance(body, dict) or "error_code" not in body:
            raise BadResponse("天眼查返回的内容格式不符")
        try:
            code = int(body["error_code"])
        except (TypeError, ValueError):
            raise BadResponse("天眼查返回的错误码无法识别") from None
        raise_for_code(CODES, code, self.vendor_text(body.get("reason")))  # reason masked, then cut
        return body.get("result")

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        return MAPPING.normalise(subject, payloads)


def _items(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):
        items = result.get("items") or []
        return [i for i in items if isinstance(i, dict)]
    return []


def _total(result: Any) -> int | None:
    if isinstance(result, dict) and isinstance(result.get("total"), int):
        return int(result["total"])
    return None


# Vendor field names per section of the normalised record (model.py); the province comes from the
# record's credit code, else the vendor's ``base`` code, else the address (basic) or the company name.
COMPANY: Spec = {
    "name": text_of("name"),
    "uscc": text_of("creditCode"),
    "legal_rep": text_of("legalPersonName"),
    "status": text_of("regStatus"),
    "province": derived(province_of, Ref("uscc"), raw("base"), raw("name")),
}
MAPPING = VendorMapping(
    basic={
        "uscc": text_of("creditCode"),
        "name": text_of("name"),
        "legal_rep": text_of("legalPersonName"),
        "status": text_of("regStatus"),
        "registered_capital": text_of("regCapital"),
        "established_on": date_of("estiblishTime"),
        "address": text_of("regLocation"),
        "province": derived(province_of, Ref("uscc"), raw("base"), Ref("address")),
        "city": text_of("city"),
        "district": text_of("district"),
        "scope": text_of("businessScope"),
        "entity_type": text_of("companyOrgType"),
    },
    sections={
        "abnormal": {
            "listed_on": date_of("putDate"),
            "listed_reason": text_of("putReason"),
            "listed_by": text_of("putDepartment"),
            "removed_on": date_of("removeDate"),
            "removed_reason": text_of("removeReason"),
            "removed_by": text_of("removeDepartment"),
        },
        "lawsuits": {
            "case_no": text_of("caseno"),
            "title": text_of("title"),
            "case_reason": text_of("casereason"),
            "court": text_of("court"),
            "judged_on": date_of("submittime", "judgetime"),
            "doc_type": text_of("doctype"),
        },
        "branches": {**COMPANY, "city": text_of("city")},
        "investments": {**COMPANY, "share": text_of("percent"), "amount": text_of("amount")},
        "changes": {
            "changed_on": date_of("changeTime"),
            "item": text_of("changeItem"),
            "before": text_of("contentBefore"),
            "after": text_of("contentAfter"),
        },
    },
    basic_of=lambda payload: payload,
    items_of=_items,
    total_of=_total,
)
