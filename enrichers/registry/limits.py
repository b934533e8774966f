"""Small frozen value objects for the client's limits, plus the async rate limiter they configure.

Built from plain values (``RegistryConfig`` in config.py makes them from the run's configuration).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    """Per-request timeouts in seconds (httpx semantics)."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 10.0


@dataclass(frozen=True)
class RateLimit:
    """At most ``per_second`` requests started per second and ``concurrency`` in flight at once.

    ``headroom`` spaces requests slightly wider than 1/per_second so that network jitter never lets
    the vendor see more than ``per_second`` requests in any one-second window.
    """

    per_second: float = 5.0
    concurrency: int = 4
    headroom: float = 0.02

    @property
    def interval(self) -> float:
        return (1.0 + self.headroom) / self.per_second if self.per_second > 0 else 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server's Retry-After is honoured up to ``max_delay``."""

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto


@dataclass(frozen=True)
class BodyLimits:
    """How much of a vendor's answer is ever read: a body over ``max_bytes`` (after decompression) or
    JSON nested deeper than ``max_depth`` is a degraded look-up, never an exception that ends the stage.
    Vendor text (reason/Message) is masked, then cut to ``reason_chars`` for messages and logs."""

    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 32
    reason_chars: int = 80


@dataclass(frozen=True)
class CircuitBreaker:
    """Open (stop calling) after ``failures`` consecutive failed look-ups."""

    failures: int = 8


class RateLimiter:
    """Consecutive starts at least ``interval`` apart, measured after each wait (so a late wake-up
    never lets the next requests bunch up)."""

    def __init__(self, limit: RateLimit) -> None:
        self._interval = limit.interval
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self._interval <= 0:
            return
        async with self._lock:
            wait = self._next - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next = time.monotonic() + self._interval
