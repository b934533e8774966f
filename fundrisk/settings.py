"""All configuration in one place, read from the environment (prefix FUNDRISK_)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fundrisk.errors import BadInput

# A source checkout keeps data/ beside the code; an installed wheel (site-packages) uses the working folder.
_CHECKOUT = Path(__file__).resolve().parent.parent
PROJECT_ROOT = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd()
DEFAULT_MEMORY_SHARE = 0.6  # of the machine's RAM when FUNDRISK_MEMORY_LIMIT is not set
PROVIDERS = ("snapshot", "tianyancha", "qichacha")
OVERLAP_MODES = ("auto", "on", "off")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|[KMGT]?I?B?)\s*$", re.IGNORECASE)


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
    registry_budget: Annotated[int, Field(ge=0)] = 500
    registry_rate_per_second: Annotated[float, Field(gt=0)] = 5.0
    registry_concurrency: Annotated[int, Field(ge=1)] = 4
    registry_cache_days: Annotated[int, Field(ge=0)] = 30
    registry_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    registry_max_retries: Annotated[int, Field(ge=0)] = 4
    registry_breaker_failures: Annotated[int, Field(ge=1)] = 8
    # Resources (issue 11): DuckDB's memory budget and spill folder, and the optional Dask cluster.
    memory_limit: str | None = None  # "4GB", "512MiB" or "50%"; default 60% of the machine's RAM
    temp_dir: Path | None = None  # DuckDB spill folder; default <database>.tmp beside the file
    dask_address: str | None = None  # tcp://host:8786 of a running `dask scheduler`
    dask_shared_dir: Path | None = None  # folder every worker sees at the same path; default temp dir
    dask_partitions: Annotated[int, Field(ge=0)] = 0  # 0: two per local worker, 16 on an external cluster
    stage_overlap: str = "auto"  # auto: stages side by side when large and within budget; on; off
    campaign: Path | None = None  # a campaign.toml replacing the packaged 百日清零 default (issue 13)
    as_of: dt.date | None = None  # scoring's "as of" date when replaying history; default the run date

    @field_validator("registry_provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        """An unknown vendor fails when the settings are read, before a run starts, not mid-run."""
        return _one_of(value, PROVIDERS, f"未知的工商信息来源「{value}」，可选 {'、'.join(PROVIDERS)}")

    @field_validator("stage_overlap")
    @classmethod
    def _overlap_mode(cls, value: str) -> str:
        modes = "、".join(OVERLAP_MODES)
        return _one_of(value, OVERLAP_MODES, f"FUNDRISK_STAGE_OVERLAP 只能是 {modes}，而不是「{value}」")

    def memory_limit_bytes(self) -> int:
        """The memory budget in bytes (FUNDRISK_MEMORY_LIMIT, or a share of the machine)."""
        if not self.memory_limit:
            return int(machine_memory() * DEFAULT_MEMORY_SHARE)
        return parse_size(self.memory_limit)

    def spill_dir(self, db: Path | str) -> Path:
        """Where DuckDB spills what does not fit the budget: FUNDRISK_TEMP_DIR, else beside the database."""
        if self.temp_dir is not None:
            return Path(self.temp_dir)
        if str(db) == ":memory:":
            return Path(tempfile.gettempdir()) / "fundrisk-spill"
        return Path(f"{db}.tmp")

    def partition_root(self, db: Path | str) -> Path:
        """Where the flow and the Dask workers exchange Parquet partitions (shared by every machine)."""
        return Path(self.dask_shared_dir) if self.dask_shared_dir else self.spill_dir(db)


def _one_of(value: str, choices: tuple[str, ...], unknown: str) -> str:
    """The choice `value` names (case and surrounding spaces ignored); ValueError(unknown) otherwise."""
    choice = value.strip().lower()
    if choice not in choices:
        raise ValueError(unknown)
    return choice


def parse_size(text: str) -> int:
    """Bytes from "4GB", "4 GiB", "512MB", "1.5T" or "60%" (of the machine); BadInput otherwise."""
    match = _SIZE.match(text)
    if not match:
        raise BadInput(
            f"无法识别的内存上限「{text}」，请写成 4GB、512MB 或 60% 这样的形式（FUNDRISK_MEMORY_LIMIT）"
        )
    number, unit = float(match.group(1)), match.group(2).upper()
    if unit == "%":
        if not 0 < number <= 100:
            raise BadInput(f"内存上限「{text}」应在 1% 到 100% 之间（FUNDRISK_MEMORY_LIMIT）")
        return int(machine_memory() * number / 100)
    base = 1024 if "I" in unit else 1000
    power = "BKMGT".find(unit[:1]) if unit[:1] in "KMGT" else 0
    size = int(number * base**power)
    if size < 64 * 1024**2:
        raise BadInput(f"内存上限「{text}」太小，至少需要 64MB（FUNDRISK_MEMORY_LIMIT）")
    return size


def machine_memory() -> int:
    """Physical RAM, or the container's cgroup limit when that is smaller."""
    try:
        import psutil

        total = int(psutil.virtual_memory().total)
    except ImportError:  # pragma: no cover - psutil is a dependency; POSIX fallback
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cgroup = Path("/sys/fs/cgroup/memory.max")
    try:
        limit = cgroup.read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def get_settings() -> Settings:
    """Fresh settings from the current environment (cheap; not cached so tests can change env).

    A value that does not parse is one Chinese line naming the variable (BadInput, exit 2).
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise BadInput(settings_message(exc)) from None


_EXPECTED = {
    "int_parsing": "应为整数",
    "date_parsing": "应为日期，如 2026-06-30",
    "date_from_datetime_parsing": "应为日期，如 2026-06-30",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
}


def settings_message(exc: ValidationError) -> str:
    """The first invalid setting as `环境变量 FUNDRISK_X 的值「v」无效：why`, with the default as an example."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    name = f"FUNDRISK_{field.upper()}"
    template = _EXPECTED.get(error["type"])
    why = template.format(**error.get("ctx", {})) if template else _reason(error)
    default = Settings.model_fields[field].default if field in Settings.model_fields else None
    example = f"。示例：{name}={default}" if default not in (None, "") else ""
    return f"环境变量 {name} 的值「{error.get('input')}」无效：{why}{example}"


def _reason(error: object) -> str:
    """A validator's own (Chinese) message, without pydantic's English prefix."""
    text = str(error.get("msg", "")) if isinstance(error, dict) else ""
    return text.removeprefix("Value error, ")
