"""What a vendor's HTTP answer means before its envelope is read: status → exception, body depth capped.

Shared by the vendor modules (``check_http`` first, then their envelope and ``base.raise_for_code``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from enrichers.registry.errors import AuthError, BadResponse, Throttled, TransientError
from enrichers.registry.limits import BodyLimits


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header given in seconds (HTTP dates are treated as absent)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def nested_within(value: Any, max_depth: int) -> bool:
    """True when no list or object in ``value`` sits deeper than ``max_depth`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def check_http(response: httpx.Response, limits: BodyLimits | None = None) -> Any:
    """HTTP-level failures to the exception tree; otherwise the decoded JSON body (depth-capped)."""
    limits = limits or BodyLimits()
    code = response.status_code
    if code == 429:
        raise Throttled("查询过于频繁（HTTP 429）", code=code, retry_after=retry_after(response))
    if code >= 500:
        raise TransientError(f"查询服务暂时不可用（HTTP {code}）", code=code)
    if code in (401, 403):
        raise AuthError(f"查询凭证被拒绝（HTTP {code}），请检查令牌或密钥配置", code=code)
    if code != 200:
        raise BadResponse(f"查询服务返回异常状态（HTTP {code}）", code=code)
    too_deep = f"查询服务返回的内容嵌套过深（超过 {limits.max_depth} 层），已跳过该主体"
    try:
        body = json.loads(response.content)
    except RecursionError:
        raise BadResponse(too_deep) from None
    except (ValueError, UnicodeDecodeError):
        raise BadResponse("查询服务返回的内容无法解析（非 JSON）") from None
    if not nested_within(body, limits.max_depth):
        raise BadResponse(too_deep)
    return body
