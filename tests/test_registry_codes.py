"""Vendor status codes as data (issue 15): every documented code maps to its exception through the one
function in base.py, and the fundrisk side builds the registry's plain configuration and translates its
errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from enrichers.registry import qichacha, tianyancha
from enrichers.registry.base import RegistryProvider, raise_for_code
from enrichers.registry.errors import (
    AuthError,
    BadResponse,
    NotFound,
    QuotaExhausted,
    RegistryError,
    Throttled,
    TransientError,
)
from enrichers.registry.providers import VENDORS, is_configured
from fundrisk.errors import BadInput, FundriskError
from fundrisk.settings import PROVIDERS, Settings
from fundrisk.stages.registry import provider_for, registry_config

# The codes each vendor documents (module docstrings, from the vendors' API pages) → what they mean.
DOCUMENTED: dict[str, dict[int, type[RegistryError]]] = {
    "tianyancha": {
        300000: NotFound,
        300004: Throttled,
        **dict.fromkeys((300002, 300003, 300006, 300007), QuotaExhausted),
        **dict.fromkeys((300005, 300009, 300011), AuthError),
        **dict.fromkeys((300001, 300012), TransientError),
    },
    "qichacha": {
        201: NotFound,
        122: Throttled,
        **dict.fromkeys((109, 112, 116), QuotaExhausted),
        **dict.fromkeys((101, 102, 103, 107, 113, 114, 115), AuthError),
    },
}
CASES = [(vendor, code, error) for vendor, codes in DOCUMENTED.items() for code, error in codes.items()]
SECRET = "s3cr3t-0123456789abcdef"


def provider(vendor: str) -> RegistryProvider:
    if vendor == "tianyancha":
        return tianyancha.Tianyancha(None, SECRET)
    return qichacha.Qichacha(None, "key-0123456789", SECRET)


def envelope(vendor: str, code: int, reason: str) -> dict[str, Any]:
    if vendor == "tianyancha":
        return {"error_code": code, "reason": reason, "result": {"name": "某公司"}}
    return {"Status": str(code), "Message": reason, "Result": {"Name": "某公司"}}


@pytest.mark.parametrize("vendor", DOCUMENTED)
def test_tables_hold_exactly_the_documented_codes(vendor: str) -> None:
    module = tianyancha if vendor == "tianyancha" else qichacha
    table = {code: error for code, (error, _) in module.CODES.errors.items()}
    assert table == DOCUMENTED[vendor]
    assert module.CODES.ok not in table


@pytest.mark.parametrize(("vendor", "code", "error"), CASES)
def test_each_documented_code_raises_its_exception_with_a_clean_message(
    vendor: str, code: int, error: type[RegistryError]
) -> None:
    response = httpx.Response(200, json=envelope(vendor, code, f"原因 {SECRET}"))
    with pytest.raises(RegistryError) as caught:
        provider(vendor)._payload("basic", response)
    assert type(caught.value) is error and caught.value.code == code
    message = str(caught.value)
    assert str(code) in message or error is NotFound
    assert "{" not in message and SECRET not in message  # template filled, vendor reason masked


@pytest.mark.parametrize("vendor", DOCUMENTED)
def test_success_passes_and_an_unknown_code_is_a_bad_response(vendor: str) -> None:
    module = tianyancha if vendor == "tianyancha" else qichacha
    ok = httpx.Response(200, json=envelope(vendor, module.CODES.ok, ""))
    assert "某公司" in str(provider(vendor)._payload("basic", ok))
    raise_for_code(module.CODES, module.CODES.ok)  # returns
    with pytest.raises(BadResponse, match="未知") as caught:
        provider(vendor)._payload("basic", httpx.Response(200, json=envelope(vendor, 999999, "新错误")))
    assert caught.value.code == 999999 and "999999 新错误" in str(caught.value)


def test_registry_errors_are_the_registrys_own() -> None:
    """The logic's tree does not derive from fundrisk's: the stage translates where an analyst sees it."""
    assert not issubclass(RegistryError, FundriskError)
    bogus = Settings.model_construct(registry_provider="bogus")  # past the settings' own check
    with pytest.raises(BadInput, match="未知的工商信息来源「bogus」，可选 snapshot、tianyancha、qichacha"):
        provider_for(bogus)


def test_config_takes_the_chosen_vendors_settings_and_hides_credentials() -> None:
    settings = Settings(
        registry_provider="qichacha", qichacha_key="k-123", qichacha_secret=SECRET, tianyancha_token="t-9"
    )
    config = registry_config(settings)
    assert dict(config.vendor) == {"url": settings.qichacha_url, "key": "k-123", "secret": SECRET}
    assert SECRET not in repr(config) and is_configured(config)
    assert not is_configured(registry_config(Settings(registry_provider="qichacha", qichacha_key="k")))
    assert (config.rate().concurrency, config.retry().max_retries) == (4, 4)


def test_settings_accept_exactly_the_registered_providers() -> None:
    """settings.PROVIDERS checks the name before a run starts; providers.VENDORS builds it: they agree."""
    assert list(PROVIDERS) == list(VENDORS)
