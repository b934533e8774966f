"""RegistryConfig: the plain values the registry logic runs on, so it never reads fundrisk's settings.

fundrisk's registry stage builds one from ``Settings`` (``fundrisk.stages.registry.registry_config``);
tests and benchmarks can build one directly. ``vendor`` holds the chosen vendor's own settings (its URL
and credentials) under their names without the vendor prefix (``FUNDRISK_TIANYANCHA_TOKEN`` → ``token``),
so a new vendor adds settings without adding fields here. Credentials are left out of ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from enrichers.registry.limits import CircuitBreaker, RateLimit, RetryPolicy, Timeouts


@dataclass(frozen=True)
class RegistryConfig:
    """Which provider to ask, within which limits; defaults are those of ``fundrisk.settings``."""

    provider: str = "snapshot"
    snapshot: Path | None = None
    vendor: Mapping[str, str | None] = field(default_factory=dict, repr=False)
    budget: int = 500
    cache_days: float = 30
    rate_per_second: float = 5.0
    concurrency: int = 4
    timeout_seconds: float = 10.0
    max_retries: int = 4
    breaker_failures: int = 8

    @property
    def kind(self) -> str:
        """The provider's name as the registry knows it (trimmed, lower case)."""
        return self.provider.strip().lower()

    def timeouts(self) -> Timeouts:
        total = self.timeout_seconds
        return Timeouts(connect=min(5.0, total), read=total, write=total, pool=total)

    def rate(self) -> RateLimit:
        return RateLimit(per_second=self.rate_per_second, concurrency=self.concurrency)

    def retry(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.max_retries)

    def breaker(self) -> CircuitBreaker:
        return CircuitBreaker(failures=self.breaker_failures)
