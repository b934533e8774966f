"""天眼查 open API: raw token in the Authorization header, GET under /services/open/.

Envelope ``{"error_code": int, "reason": str, "result": ...}``; list endpoints give
``result = {"total": int, "items": [...]}``. Codes: 0 ok; 300000 no result (not an error);
300004 too fast (back off, retry); 300002/300003/300006/300007 account expired or quota used up
(abort the run); 300005/300009/300011 no permission or wrong token (abort); 300001/300012 transient.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from enrichers.registry.base import RegistryProvider, Subject, check_http
from enrichers.registry.errors import (
    AuthError,
    BadResponse,
    NotFound,
    QuotaExhausted,
    Throttled,
    TransientError,
)
from enrichers.registry.model import empty_record, province_of, text, to_date

PATHS = {
    "basic": "/services/open/ic/baseinfo/normal",
    "abnormal": "/services/open/mr/abnormal/2.0",
    "lawsuits": "/services/open/jr/lawSuit/2.0",
    "branches": "/services/open/ic/branch/2.0",
    "investments": "/services/open/ic/inverst/2.0",  # the vendor's spelling
    "changes": "/services/open/ic/changeinfo/2.0",
}
QUOTA = {300002, 300003, 300006, 300007}
AUTH = {300005, 300009, 300011}
TRANSIENT = {300001, 300012}
PAGE_SIZE = 20


class Tianyancha(RegistryProvider):
    name: ClassVar[str] = "tianyancha"

    def __init__(self, client: httpx.AsyncClient | None, token: str, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._token = token
        self.secrets = (token,)

    async def _send(self, endpoint: str, subject: Subject) -> httpx.Response:
        assert self.client is not None
        params: dict[str, str | int] = {"keyword": subject.key}
        if endpoint != "basic":
            params |= {"pageNum": 1, "pageSize": PAGE_SIZE}
        return await self.client.get(PATHS[endpoint], params=params, headers={"Authorization": self._token})

    def _payload(self, endpoint: str, response: httpx.Response) -> Any:
        body = check_http(response)
        if not isinstance(body, dict) or "error_code" not in body:
            raise BadResponse("天眼查返回的内容格式不符")
        try:
            code = int(body["error_code"])
        except (TypeError, ValueError):
            raise BadResponse("天眼查返回的错误码无法识别") from None
        reason = str(body.get("reason") or "")[:80]
        if code == 0:
            return body.get("result")
        if code == 300000:
            raise NotFound("天眼查：无数据", code=code)
        if code == 300004:
            raise Throttled(f"天眼查：访问频率过快（{code}）", code=code)
        if code in QUOTA:
            raise QuotaExhausted(f"天眼查账号不可用或查询次数已用完（{code} {reason}）", code=code)
        if code in AUTH:
            raise AuthError(f"天眼查令牌无效或无权访问该接口（{code} {reason}）", code=code)
        if code in TRANSIENT:
            raise TransientError(f"天眼查：请求失败（{code}）", code=code)
        raise BadResponse(f"天眼查返回未知错误码（{code} {reason}）", code=code)

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        record = empty_record(subject.uscc, subject.name)
        base = payloads.get("basic")
        if isinstance(base, dict):
            uscc = text(base.get("creditCode"))
            address = text(base.get("regLocation"))
            record["basic"] = {
                "uscc": uscc,
                "name": text(base.get("name")) or subject.name,
                "legal_rep": text(base.get("legalPersonName")),
                "status": text(base.get("regStatus")),
                "registered_capital": text(base.get("regCapital")),
                "established_on": to_date(base.get("estiblishTime")),
                "address": address,
                "province": province_of(uscc, base.get("base"), address),
                "city": text(base.get("city")),
                "district": text(base.get("district")),
                "scope": text(base.get("businessScope")),
                "entity_type": text(base.get("companyOrgType")),
            }
        items = {key: _items(payloads.get(key)) for key in PATHS if key != "basic"}
        record["abnormal_total"] = _total(payloads.get("abnormal"))
        record["lawsuit_total"] = _total(payloads.get("lawsuits"))
        record["abnormal"] = [
            {
                "listed_on": to_date(i.get("putDate")),
                "listed_reason": text(i.get("putReason")),
                "listed_by": text(i.get("putDepartment")),
                "removed_on": to_date(i.get("removeDate")),
                "removed_reason": text(i.get("removeReason")),
                "removed_by": text(i.get("removeDepartment")),
            }
            for i in items["abnormal"]
        ]
        record["lawsuits"] = [
            {
                "case_no": text(i.get("caseno")),
                "title": text(i.get("title")),
                "case_reason": text(i.get("casereason")),
                "court": text(i.get("court")),
                "judged_on": to_date(i.get("submittime") or i.get("judgetime")),
                "doc_type": text(i.get("doctype")),
            }
            for i in items["lawsuits"]
        ]
        record["branches"] = [
            {
                "name": text(i.get("name")),
                "uscc": text(i.get("creditCode")),
                "legal_rep": text(i.get("legalPersonName")),
                "status": text(i.get("regStatus")),
                "province": province_of(text(i.get("creditCode")), i.get("base"), i.get("name")),
                "city": text(i.get("city")),
            }
            for i in items["branches"]
        ]
        record["investments"] = [
            {
                "name": text(i.get("name")),
                "uscc": text(i.get("creditCode")),
                "legal_rep": text(i.get("legalPersonName")),
                "status": text(i.get("regStatus")),
                "province": province_of(text(i.get("creditCode")), i.get("base"), i.get("name")),
                "share": text(i.get("percent")),
                "amount": text(i.get("amount")),
            }
            for i in items["investments"]
        ]
        record["changes"] = [
            {
                "changed_on": to_date(i.get("changeTime")),
                "item": text(i.get("changeItem")),
                "before": text(i.get("contentBefore")),
                "after": text(i.get("contentAfter")),
            }
            for i in items["changes"]
        ]
        return record


def _items(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):
        items = result.get("items") or []
        return [i for i in items if isinstance(i, dict)]
    return []


def _total(result: Any) -> int | None:
    if isinstance(result, dict) and isinstance(result.get("total"), int):
        return int(result["total"])
    return None
