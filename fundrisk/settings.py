"""All configuration in one place, read from the environment (prefix FUNDRISK_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime settings; every field can be set as FUNDRISK_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="FUNDRISK_", extra="ignore")

    db: Path = PROJECT_ROOT / "data" / "fundrisk.duckdb"
    demo_dir: Path = PROJECT_ROOT / "data" / "demo"
    inbox: Path = PROJECT_ROOT / "data" / "inbox"
    exports_dir: Path = PROJECT_ROOT / "data" / "exports"
    push_unit: str = "文昌湖区防范和处置非法集资工作领导小组办公室"
    registry_provider: str = "snapshot"
    registry_snapshot: Path | None = None
    tianyancha_url: str = "http://open.api.tianyancha.com"
    tianyancha_token: str | None = None
    qichacha_url: str = "https://api.qichacha.com"
    qichacha_key: str | None = None
    qichacha_secret: str | None = None
    registry_budget: int = 500
    registry_rate_per_second: float = 5.0
    registry_concurrency: int = 4
    registry_cache_days: int = 30
    registry_timeout_seconds: float = 10.0
    registry_max_retries: int = 4
    registry_breaker_failures: int = 8


def get_settings() -> Settings:
    """Fresh settings from the current environment (cheap; not cached so tests can change env)."""
    return Settings()
