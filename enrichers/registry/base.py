"""RegistryProvider: the shared client, retry/error policy, circuit breaker and cache hooks.

A provider subclass only knows its vendor: how to send one request (``_send``), how to read the
vendor's envelope (``_payload``) and how to turn raw payloads into the normalised record (``normalise``).
Everything that decides what a failure means for the run lives here:
- Throttled / TransientError are retried with backoff (Retry-After honoured) up to RetryPolicy.max_retries;
- NotFound is an answer, cached like any other;
- BadResponse, or retries exhausted, skips this entity and counts towards the circuit breaker;
- QuotaExhausted / AuthError stop every further call of the run (``stopped`` holds the Chinese reason).
Every answer is read with a cap (BodyLimits: body size while streaming, JSON depth), and every text that
came from a vendor is masked (credentials, personal numbers) before it is cut, stored or logged.
A vendor's status codes are data (``VendorCodes``, one table per vendor module) applied by ``raise_for_code``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

import httpx

from enrichers.privacy import mask_secrets, redact
from enrichers.registry.config import RegistryConfig
from enrichers.registry.errors import (
    BadResponse,
    NotFound,
    RegistryError,
    TransientError,
)
from enrichers.registry.limits import BodyLimits, CircuitBreaker, RateLimit, RateLimiter, RetryPolicy

log = logging.getLogger(__name__)

ENDPOINTS = ("basic", "abnormal", "lawsuits", "branches", "investments", "changes")
CACHED, FETCHED, NOT_FOUND, FAILED = "cached", "fetched", "not_found", "failed"
NOT_QUERIED, SKIPPED_BUDGET = "not_queried", "skipped_budget"
STATUS_LABELS = {
    CACHED: "缓存命中",
    FETCHED: "已查询",
    NOT_FOUND: "查无此企业",
    FAILED: "查询失败",
    NOT_QUERIED: "未查询",
    SKIPPED_BUDGET: "超出查询预算",
}


@dataclass(frozen=True)
class Subject:
    """One company to look up: by its credit code when known, else by its name."""

    uscc: str | None
    name: str

    @property
    def key(self) -> str:
        """The cache key and the vendor keyword; never contains a credential."""
        return self.uscc or self.name


@dataclass
class LookupResult:
    subject: Subject
    status: str
    record: dict[str, Any] | None = None
    detail: str = ""


class CacheHooks(Protocol):
    def get(self, provider: str, endpoint: str, key: str) -> tuple[str, Any] | None: ...

    async def put(self, provider: str, endpoint: str, key: str, status: str, body: Any) -> None: ...


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    failures_in_row: int = 0
    timestamps: list[float] = field(default_factory=list)


class Stopped(RegistryError):
    """Raised inside a retry loop once the run has been stopped by another look-up."""


@dataclass(frozen=True)
class VendorCodes:
    """A vendor's status codes as data: ``ok`` is success, ``errors`` maps a code to the exception it
    means and its Chinese message (``{code}`` and ``{reason}`` filled in), any other code is BadResponse
    with ``unknown``. ``reason`` is the vendor's own text, already masked and cut (``vendor_text``)."""

    ok: int
    errors: Mapping[int, tuple[type[RegistryError], str]]
    unknown: str


def raise_for_code(codes: VendorCodes, code: int, reason: str = "") -> None:
    """Return on the vendor's success code; raise what its table says the code means otherwise."""
    if code == codes.ok:
        return
    error, template = codes.errors.get(code, (BadResponse, codes.unknown))
    raise error(template.format(code=code, reason=reason), code=code)


DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class RegistryProvider:
    """Base of the three providers; one instance per run (it holds the breaker's state)."""

    name: ClassVar[str] = "base"
    paid: ClassVar[bool] = True

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        *,
        rate: RateLimit | None = None,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        body: BodyLimits | None = None,
        endpoints: tuple[str, ...] = ENDPOINTS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.rate = rate or RateLimit()
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.body = body or BodyLimits()
        self.endpoints = endpoints
        self.stats = CallStats()
        self.stopped: str | None = None
        self.secrets: tuple[str, ...] = ()
        self._sleep = sleep
        self._limiter = RateLimiter(self.rate)
        self._in_flight = asyncio.Semaphore(max(1, self.rate.concurrency))

    # -- vendor specifics ------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: RegistryConfig, **policy: Any) -> Self:
        """The provider built from the run's configuration (its client, credentials); ``stopped`` is
        set, with the reason in Chinese, when a credential it needs is missing."""
        raise NotImplementedError

    @classmethod
    def configured(cls, config: RegistryConfig) -> bool:
        """Whether the run was given what this provider needs (a snapshot path, the credentials)."""
        return True

    def prepare(self, subjects: list[Subject] | None) -> None:
        """Called once with every subject a run will look up, before the first look-up (offline sources index)."""

    async def _send(self, endpoint: str, subject: Subject) -> httpx.Response:
        raise NotImplementedError

    def _payload(self, endpoint: str, response: httpx.Response) -> Any:
        """The useful part of a successful answer; raises from the exception tree otherwise."""
        raise NotImplementedError

    async def _get(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        """One GET whose body is streamed and abandoned past ``body.max_bytes`` (a 20 MB answer is never
        held whole); returns a response with the bytes read (decompressed, so a gzip bomb is capped too)."""
        assert self.client is not None
        cap = self.body.max_bytes
        too_big = f"查询服务返回的内容过大（超过 {cap // 1024} KB），已跳过该主体"
        request = self.client.build_request("GET", path, params=params, headers=headers)
        response = await self.client.send(request, stream=True)
        chunks: list[bytes] = []
        try:
            declared = response.headers.get("Content-Length", "").strip()
            if declared.isdigit() and int(declared) > cap:
                raise BadResponse(too_big)
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise BadResponse(too_big)
                chunks.append(chunk)
        except httpx.DecodingError:
            raise BadResponse("查询服务返回的内容无法解码") from None
        finally:
            await response.aclose()
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in DROPPED_HEADERS]
        return httpx.Response(response.status_code, headers=kept, content=b"".join(chunks), request=request)

    def vendor_text(self, value: Any) -> str:
        """A vendor's reason or message as it may appear in ours: masked first, then cut."""
        return redact(value if value is not None else "", self.secrets, self.body.reason_chars)

    def _clean(self, payload: Any) -> Any:
        """A payload with any credential the vendor echoed removed (it is cached and mapped next)."""
        if payload is None or not any(self.secrets):
            return payload
        text = json.dumps(payload, ensure_ascii=False)
        cleaned = mask_secrets(text, self.secrets)
        if cleaned == text:
            return payload
        try:
            return json.loads(cleaned)
        except ValueError:
            raise BadResponse("查询结果中含有凭证信息，已丢弃该结果") from None

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # -- shared policy ---------------------------------------------------------------------------
    async def fetch(self, endpoint: str, subject: Subject) -> Any:
        """One logical call: rate limit, concurrency cap and retries with backoff."""
        attempt = 0
        while True:
            if self.stopped:
                raise Stopped(self.stopped)
            await self._limiter.acquire()
            async with self._in_flight:
                self.stats.requests += 1
                try:
                    response = await self._send(endpoint, subject)
                except httpx.TimeoutException:
                    error: RegistryError = TransientError("查询超时")
                except httpx.TransportError:
                    error = TransientError("无法连接查询服务")
                except httpx.HTTPError:
                    error = TransientError("与查询服务通信异常")
                else:
                    try:
                        return self._clean(self._payload(endpoint, response))
                    except RegistryError as exc:
                        if not exc.retryable:
                            raise
                        error = exc
            if attempt >= self.retry.max_retries:
                raise error
            delay = self.retry.delay(attempt, getattr(error, "retry_after", None))
            log.info(
                "%s %s 重试第 %d 次，等待 %.2f 秒：%s",
                self.name,
                endpoint,
                attempt + 1,
                delay,
                self.scrub(str(error)),
            )
            self.stats.retries += 1
            attempt += 1
            await self._sleep(delay)

    def scrub(self, message: str) -> str:
        """A message with every credential (and any piece of one) and every personal number masked."""
        return redact(message, self.secrets)

    def _note_failure(self, exc: RegistryError) -> None:
        if exc.abort_run:
            if not self.stopped:
                self.stopped = self.scrub(f"{exc}；本次运行已停止全部工商查询，已获取的结果均已保存")
                log.warning("%s: %s", self.name, self.stopped)
            return
        self.stats.failures_in_row += 1
        if self.stats.failures_in_row >= self.breaker.failures and not self.stopped:
            self.stopped = (
                f"连续 {self.stats.failures_in_row} 次查询失败（最近一次：{self.scrub(str(exc))}），"
                "已暂停工商查询，其余主体标记为未查询"
            )
            log.warning("%s: %s", self.name, self.stopped)

    async def lookup(self, subject: Subject, cache: CacheHooks | None) -> LookupResult:
        """Every endpoint for one subject, cache first; each paid answer is cached the moment it arrives."""
        payloads: dict[str, Any] = {}
        fetched = False
        for endpoint in self.endpoints:
            hit = cache.get(self.name, endpoint, subject.key) if cache else None
            if hit is None:
                if self.stopped:
                    return LookupResult(subject, NOT_QUERIED, detail=self.stopped)
                try:
                    hit = ("ok", await self.fetch(endpoint, subject))
                except NotFound:
                    hit = ("not_found", None)
                except Stopped:
                    return LookupResult(subject, NOT_QUERIED, detail=self.stopped or "")
                except RegistryError as exc:
                    self._note_failure(exc)
                    status = NOT_QUERIED if exc.abort_run else FAILED
                    return LookupResult(subject, status, detail=self.scrub(str(exc)))
                self.stats.failures_in_row = 0
                fetched = True
                if cache:
                    await cache.put(self.name, endpoint, subject.key, *hit)
            if hit[0] == "not_found" and endpoint == "basic":
                return LookupResult(subject, NOT_FOUND, detail="查无此企业")
            payloads[endpoint] = hit[1]
        try:
            record = self.normalise(subject, payloads)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            return LookupResult(subject, FAILED, detail="查询结果结构异常，无法解析")
        return LookupResult(subject, FETCHED if fetched else CACHED, record)

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
