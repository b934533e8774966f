"""The one factory for the registry's HTTP client: explicit timeouts, pool limits and User-Agent."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from enrichers.registry.config import RegistryConfig

USER_AGENT = "fundrisk/0.1 (registry enrichment; +https://github.com/fundrisk)"
SECRET_PARAMS = ("key", "token", "secret")


class RedactQuery(logging.Filter):
    """httpx logs every request URL at INFO; mask credential query parameters (企查查 sends ``key``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        return True


def _redact(arg: Any) -> Any:
    if isinstance(arg, httpx.URL):
        for name in SECRET_PARAMS:
            if name in arg.params:
                arg = arg.copy_set_param(name, "***")
    return arg


def _install_redaction() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactQuery) for f in logger.filters):
        logger.addFilter(RedactQuery())


def make_client(config: RegistryConfig, base_url: str = "") -> httpx.AsyncClient:
    """An AsyncClient sized to the configured concurrency; credentials are added per request, not here."""
    _install_redaction()
    timeouts = config.timeouts()
    limit = config.rate()
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        ),
        limits=httpx.Limits(
            max_connections=max(1, limit.concurrency),
            max_keepalive_connections=max(1, limit.concurrency),
            keepalive_expiry=30.0,
        ),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )
