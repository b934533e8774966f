"""The registry providers by name: the one table a new vendor is added to.

Each provider builds itself from a ``RegistryConfig`` (``from_config``) and says whether the run gave it
what it needs (``configured``); this module only picks the class by the configured name.
"""

from __future__ import annotations

from typing import Any

from enrichers.registry.base import RegistryProvider
from enrichers.registry.config import RegistryConfig
from enrichers.registry.errors import ConfigError
from enrichers.registry.qichacha import Qichacha
from enrichers.registry.snapshot import Snapshot
from enrichers.registry.tianyancha import Tianyancha

VENDORS: dict[str, type[RegistryProvider]] = {
    "snapshot": Snapshot,
    "tianyancha": Tianyancha,
    "qichacha": Qichacha,
}


def provider_class(config: RegistryConfig) -> type[RegistryProvider]:
    """The class of the configured provider; ConfigError (in Chinese, naming the choices) otherwise."""
    found = VENDORS.get(config.kind)
    if found is None:
        choices = "、".join(VENDORS)
        raise ConfigError(f"未知的工商信息来源「{config.provider}」，可选 {choices}")
    return found


def make_provider(config: RegistryConfig, **policy: Any) -> RegistryProvider:
    """The configured provider with its own client; ``policy`` overrides rate/retry/breaker/endpoints."""
    policy.setdefault("rate", config.rate())
    policy.setdefault("retry", config.retry())
    policy.setdefault("breaker", config.breaker())
    return provider_class(config).from_config(config, **policy)


def is_configured(config: RegistryConfig) -> bool:
    """Whether the run was given a registry source at all (a snapshot path, or the vendor's credentials)."""
    return provider_class(config).configured(config)
