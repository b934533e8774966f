"""The registry exception tree: what one failed vendor call means for the rest of the run.

    RegistryError                 base; ``abort_run`` and ``retryable`` say how the caller reacts
    ├── Throttled                 vendor throttle code (天眼查 300004, 企查查 122) or HTTP 429: back off, retry
    ├── TransientError            timeout, connection error, HTTP 5xx: back off, retry
    ├── BadResponse               malformed JSON or an unknown envelope/code: skip this entity
    ├── NotFound                  the vendor has no such company (天眼查 300000, 企查查 201): not an error
    ├── QuotaExhausted            account or quota used up: stop every look-up for this run (abort_run)
    ├── AuthError                 wrong token, key or signature: stop every look-up for this run (abort_run)
    └── ConfigError               the configuration names no known provider: nothing can be looked up

The tree is the registry's own (httpx style: one base the caller can catch, subclasses that say what
happened), so the logic depends on nothing in fundrisk; fundrisk's stage translates what it must show
an analyst (ConfigError becomes fundrisk's BadInput, exit 2). The vendor-code → exception tables live
beside each vendor (``CODES`` in tianyancha.py and qichacha.py) and are applied by ``base.raise_for_code``.

Messages are Chinese (an analyst reads them) and never carry the token, key or secret: providers build
them from the vendor's code and reason only, never from a URL or header.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every registry failure."""

    abort_run: bool = False
    retryable: bool = False

    def __init__(self, message: str, *, code: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Throttled(RegistryError):
    """The vendor asked us to slow down; ``retry_after`` (seconds) when it said how long."""

    retryable = True

    def __init__(self, message: str, *, code: str | int | None = None, retry_after: float | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class TransientError(RegistryError):
    """A timeout, dropped connection or server error that may pass."""

    retryable = True


class BadResponse(RegistryError):
    """The answer could not be understood (malformed JSON, unknown code); this entity is skipped."""


class NotFound(RegistryError):
    """The vendor has no record for the subject."""


class QuotaExhausted(RegistryError):
    """The account's balance or quota is used up: no further look-ups this run."""

    abort_run = True


class AuthError(RegistryError):
    """The credentials were refused: no further look-ups this run."""

    abort_run = True


class ConfigError(RegistryError):
    """The configuration asks for a provider that does not exist (the caller's input is wrong)."""

    abort_run = True
