"""Loopback fakes of the 天眼查 and 企查查 open APIs, speaking their documented shapes, with fault switches.

with FakeVendor("tianyancha", token="t0k") as fake:
    fake.script = ["throttle", "429", "500", "slow", "malformed"]   # faults for the next requests
    fake.always = "500"                                             # a fault on every request
    fake.quota_after = 3                                            # quota code after 3 good answers
    fake.latency = 0.05                                             # seconds per answer
    fake.faults_by_key = {"91…": "deep"}                            # a fault for every request about a key
    fake.echo = True                                                # error reasons repeat the credential
Hostile faults: "deep" (JSON nested 100,000 levels), "huge" (20 MB body with its Content-Length),
"huge_stream" (20 MB, no length, ended by closing), "echo" (unknown code, the token inside the reason).
    ... fake.url, fake.count, fake.times ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BEIJING = dt.timezone(dt.timedelta(hours=8))

RISKY: dict[str, Any] = {
    "uscc": "91370303MA3C7Q2X1K",
    "name": "淄博鑫源财富投资咨询有限公司",
    "legal_rep": "王建国",
    "status": "存续",
    "capital": "1000万人民币",
    "established": "2019-03-01",
    "base": "sd",
    "address": "山东省淄博市张店区人民西路88号",
    "city": "淄博市",
    "district": "张店区",
    "scope": "投资咨询；企业管理咨询；财务咨询",
    "abnormal": [
        (
            "2022-03-01",
            "通过登记的住所或者经营场所无法联系",
            "淄博市市场监督管理局",
            "2022-09-01",
            "已更正住所",
        ),
        ("2023-05-10", "未依照规定报送年度报告", "淄博市市场监督管理局", None, None),
    ],
    "lawsuits": [
        ("(2023)鲁0303刑初123号", "王建国非法吸收公众存款一审刑事判决书", "非法吸收公众存款", "2023-08-01"),
        (
            "(2022)鲁0303民初456号",
            "张某与淄博鑫源财富投资咨询有限公司民间借贷纠纷一审民事判决书",
            "民间借贷纠纷",
            "2022-11-02",
        ),
        (
            "(2022)鲁0303民初789号",
            "李某与淄博鑫源财富投资咨询有限公司民间借贷纠纷一审民事判决书",
            "民间借贷纠纷",
            "2022-12-15",
        ),
    ],
    "branches": [
        ("淄博鑫源财富投资咨询有限公司南京分公司", "js", "江苏省", "91320100MA1X00001A"),
        ("淄博鑫源财富投资咨询有限公司济南分公司", "sd", "山东省", None),
    ],
    "investments": [("深圳鑫源供应链管理有限公司", "gd", "91440300MA5F00001B", "60%", "600万人民币")],
    "changes": [
        ("2021-04-01", "住所变更", "淄博市周村区正阳路1号", "山东省淄博市张店区人民西路88号"),
        ("2023-01-05", "法定代表人变更", "李四", "王建国"),
        ("2023-06-01", "法定代表人变更", "王建国", "赵六"),
        ("2023-11-20", "法定代表人变更", "赵六", "王建国"),
    ],
}
CLEAN: dict[str, Any] = {
    "uscc": "91370303MA3D1K5P2M",
    "name": "淄博文昌湖清源餐饮有限公司",
    "legal_rep": "刘芳",
    "status": "存续",
    "capital": "50万人民币",
    "established": "2020-07-15",
    "base": "sd",
    "address": "山东省淄博市文昌湖区萌水镇1号",
    "city": "淄博市",
    "district": "文昌湖区",
    "scope": "餐饮服务",
    "abnormal": [],
    "lawsuits": [],
    "branches": [],
    "investments": [],
    "changes": [],
}
MISSING_NAME = "查无此企业有限公司"


def company(keyword: str) -> dict[str, Any] | None:
    """The fake registry: two fixed companies, any other 18-character code a plain one, else nothing."""
    for known in (RISKY, CLEAN):
        if keyword in (known["uscc"], known["name"]):
            return known
    if len(keyword) == 18 and keyword.startswith("91"):
        return {**CLEAN, "uscc": keyword, "name": f"测试企业{keyword[-6:]}有限公司"}
    return None


def _ms(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=BEIJING).timestamp() * 1000)


def tianyancha_result(endpoint: str, c: dict[str, Any]) -> Any:
    if endpoint == "ic/baseinfo/normal":
        return {
            "name": c["name"],
            "creditCode": c["uscc"],
            "legalPersonName": c["legal_rep"],
            "regStatus": c["status"],
            "regCapital": c["capital"],
            "estiblishTime": _ms(c["established"]),
            "regLocation": c["address"],
            "base": c["base"],
            "city": c["city"],
            "district": c["district"],
            "businessScope": c["scope"],
            "companyOrgType": "有限责任公司(自然人投资或控股)",
        }
    items: list[dict[str, Any]] = {
        "mr/abnormal/2.0": [
            {
                "putDate": a[0],
                "putReason": a[1],
                "putDepartment": a[2],
                "removeDate": a[3],
                "removeReason": a[4],
                "removeDepartment": a[2] if a[3] else None,
            }
            for a in c["abnormal"]
        ],
        "jr/lawSuit/2.0": [
            {
                "caseno": x[0],
                "title": x[1],
                "casereason": x[2],
                "submittime": _ms(x[3]),
                "doctype": "判决书",
                "court": "淄博市张店区人民法院",
            }
            for x in c["lawsuits"]
        ],
        "ic/branch/2.0": [
            {"name": b[0], "base": b[1], "regStatus": "存续", "legalPersonName": "王建国"}
            for b in c["branches"]
        ],
        "ic/inverst/2.0": [
            {
                "name": i[0],
                "base": i[1],
                "creditCode": i[2],
                "percent": i[3],
                "amount": i[4],
                "regStatus": "存续",
                "legalPersonName": "王建国",
            }
            for i in c["investments"]
        ],
        "ic/changeinfo/2.0": [
            {"changeTime": x[0], "changeItem": x[1], "contentBefore": x[2], "contentAfter": x[3]}
            for x in c["changes"]
        ],
    }[endpoint]
    return {"total": len(items), "items": items} if items else None


def qichacha_result(endpoint: str, c: dict[str, Any]) -> Any:
    if endpoint == "ECIV4/GetBasicDetailsByName":
        return {
            "KeyNo": "k" + c["uscc"][-8:],
            "Name": c["name"],
            "CreditCode": c["uscc"],
            "OperName": c["legal_rep"],
            "Status": c["status"],
            "StartDate": c["established"] + " 00:00:00",
            "RegistCapi": c["capital"],
            "Address": c["address"],
            "Scope": c["scope"],
            "EconKind": "有限责任公司",
            "Area": {"Province": "山东省", "City": c["city"], "County": c["district"]},
        }
    return {
        "ExceptionCheck/GetList": [
            {
                "AddDate": a[0],
                "AddReason": a[1],
                "DecisionOffice": a[2],
                "RemoveDate": a[3],
                "RomoveReason": a[4],
                "RemoveDecisionOffice": a[2] if a[3] else None,
            }
            for a in c["abnormal"]
        ],
        "JudgmentDocCheck/GetList": [
            {
                "Id": x[0],
                "CaseNo": x[0],
                "CaseName": x[1],
                "CaseReason": x[2],
                "JudgeDate": x[3] + " 00:00:00",
                "Court": "淄博市张店区人民法院",
            }
            for x in c["lawsuits"]
        ],
        "ECIBranch/GetList": [
            {
                "Name": b[0],
                "CreditCode": b[3],
                "OperName": "王建国",
                "Status": "存续",
                "Area": {"Province": b[2]},
            }
            for b in c["branches"]
        ],
        "ECIChange/GetList": [
            {"ChangeDate": x[0], "ProjectName": x[1], "BeforeContent": x[2], "AfterContent": x[3]}
            for x in c["changes"]
        ],
    }[endpoint] or None


class FakeVendor:
    """A ThreadingHTTPServer on 127.0.0.1 that answers like one vendor; counts and timestamps requests."""

    def __init__(
        self,
        vendor: str,
        token: str = "tyc-secret-token",
        key: str = "qcc-key-123",
        secret: str = "qcc-secret-456",
    ) -> None:
        self.vendor, self.token, self.key, self.secret = vendor, token, key, secret
        self.script: list[str] = []
        self.always: str | None = None
        self.quota_after: int | None = None
        self.latency = 0.0
        self.slow_seconds = 1.0
        self.retry_after = "1"
        self.malformed_keys: set[str] = set()
        self.faults_by_key: dict[str, str] = {}
        self.echo = False
        self.huge_bytes = 20 * 1024 * 1024
        self.requests: list[dict[str, Any]] = []
        self.good = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def count(self) -> int:
        return len(self.requests)

    @property
    def times(self) -> list[float]:
        return sorted(r["t"] for r in self.requests)

    def __enter__(self) -> FakeVendor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- request handling ------------------------------------------------------------------------
    def answer(
        self, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append({"t": time.monotonic(), "path": path, "query": query, "headers": headers})
            fault = self.script.pop(0) if self.script else self.always
            keyed = self.faults_by_key.get(query.get("keyword", query.get("searchKey", "")))
            fault = keyed or fault
        if self.latency:
            time.sleep(self.latency)
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "429":
            return 429, {"Retry-After": self.retry_after}, b"Too Many Requests"
        if fault == "500":
            return 503, {}, b"<html>Service Unavailable</html>"
        if fault == "malformed" or query.get("keyword", query.get("searchKey")) in self.malformed_keys:
            return 200, {}, b'{"error_code": 0, "result": {"name": '
        if fault == "deep":
            return (
                200,
                {},
                b'{"error_code": 0, "Status": "200", "result": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            )
        if fault in ("huge", "huge_stream"):  # written as one 64 KB block repeated: the fake holds 64 KB
            repeat = {"X-Repeat": str(self.huge_bytes >> 16)}
            return 200, repeat | ({"X-Stream": "1"} if fault == "huge_stream" else {}), b" " * (1 << 16)
        if self.vendor == "tianyancha":
            body = self._tianyancha(path, query, headers, fault)
        else:
            body = self._qichacha(path, query, headers, fault)
        return 200, {}, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _quota_hit(self) -> bool:
        with self._lock:
            if self.quota_after is not None and self.good >= self.quota_after:
                return True
            self.good += 1
            return False

    def _reason(self, text: str) -> str:
        """The vendor's reason; with ``echo`` it repeats the credentials after 60 characters of text."""
        if not self.echo:
            return text
        secret = self.token if self.vendor == "tianyancha" else f"{self.key} {self.secret}"
        return f"{text}，请求参数有误，" + "请核对账号信息" * 7 + f"，凭证：{secret}"

    def _tianyancha(
        self, path: str, query: dict[str, str], headers: dict[str, str], fault: str | None
    ) -> Any:
        if fault == "echo":
            return {"error_code": 300099, "reason": self._reason("未知错误"), "result": None}
        if headers.get("authorization") != self.token:
            return {"error_code": 300009, "reason": "账号信息有误", "result": None}
        if fault == "throttle":
            return {"error_code": 300004, "reason": "访问频率过快", "result": None}
        if fault == "quota" or self._quota_hit():
            return {"error_code": 300007, "reason": self._reason("剩余次数不足"), "result": None}
        endpoint = path.removeprefix("/services/open/")
        found = company(query.get("keyword", ""))
        try:
            result = tianyancha_result(endpoint, found) if found else None
        except KeyError:
            return {"error_code": 300010, "reason": "URL不存在", "result": None}
        if result is None:
            return {"error_code": 300000, "reason": "经查无结果", "result": None}
        return {"error_code": 0, "reason": "ok", "result": result}

    def _qichacha(self, path: str, query: dict[str, str], headers: dict[str, str], fault: str | None) -> Any:
        timespan = headers.get("timespan", "")
        expected = hashlib.md5(
            (self.key + timespan + self.secret).encode(), usedforsecurity=False
        ).hexdigest()
        if fault == "echo":
            return {"Status": "199", "Message": self._reason("未知错误"), "Result": None}
        if query.get("key") != self.key:
            return {"Status": "101", "Message": "无效的KEY", "Result": None}
        if headers.get("token") != expected.upper() or abs(time.time() - float(timespan or 0)) > 300:
            return {"Status": "113", "Message": "Token验证失败", "Result": None}
        if fault == "throttle":
            return {"Status": "122", "Message": "并发超限", "Result": None}
        if fault == "quota" or self._quota_hit():
            return {"Status": "112", "Message": self._reason("调用次数已达上限"), "Result": None}
        endpoint = path.strip("/")
        found = company(query.get("keyword") or query.get("searchKey") or "")
        try:
            result = qichacha_result(endpoint, found) if found else None
        except KeyError:
            return {"Status": "404", "Message": "接口不存在", "Result": None}
        if result is None:
            return {"Status": "201", "Message": "查询无结果", "Result": None}
        paging = (
            {"PageSize": 20, "PageIndex": 1, "TotalRecords": len(result)}
            if isinstance(result, list)
            else None
        )
        return {"Status": "200", "Message": "查询成功", "Result": result, "Paging": paging}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small answer must not wait for a delayed ACK

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, body = fake.answer(parts.path, query, headers)
                stream = extra.pop("X-Stream", None) is not None  # no length: the body ends at close
                repeat = int(extra.pop("X-Repeat", "1"))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                    if stream:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    else:
                        self.send_header("Content-Length", str(len(body) * repeat))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    for _ in range(repeat):
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

        return Handler
