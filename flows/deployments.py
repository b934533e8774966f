"""Scheduled deployments: the daily pipeline (which records the 百日清零 progress) and the weekly
provincial push with the weekly brief 工作简报 (Asia/Shanghai).

Each deployment allows one running flow at a time (later runs queue), because the DuckDB file has a
single writer; a run that still meets a busy file retries its database tasks (flows/pipeline.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from flows.pipeline import pipeline
from flows.push import weekly_push

TIMEZONE = "Asia/Shanghai"
PIPELINE_CRON = "30 6 * * *"  # every morning, before the working day
PUSH_CRON = "0 8 * * 1"  # Monday morning, ahead of the weekly report to the province
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


@dataclass(frozen=True)
class ServeConfig:
    inbox: Path
    db: Path
    out_dir: Path
    unit: str


def build_deployments(config: ServeConfig) -> list[Any]:
    """RunnerDeployments for `fundrisk serve` (and for tests against a real Prefect server)."""
    daily = pipeline.to_deployment(
        name="fundrisk-daily",
        description="每日流水线：导入收件箱新文件、增强、评分、发布",
        schedules=[Cron(PIPELINE_CRON, timezone=TIMEZONE)],
        concurrency_limit=ONE_AT_A_TIME,
        parameters={"inbox": str(config.inbox), "db": str(config.db), "out_dir": str(config.out_dir)},
        tags=["fundrisk"],
    )
    push = weekly_push.to_deployment(
        name="fundrisk-weekly-push",
        description="每周向省金融监测运行中心推送未在金安工程清单内的风险主体，并生成上周工作简报（Word）",
        schedules=[Cron(PUSH_CRON, timezone=TIMEZONE)],
        concurrency_limit=ONE_AT_A_TIME,
        parameters={"db": str(config.db), "out_dir": str(config.out_dir), "unit": config.unit},
        tags=["fundrisk"],
    )
    return [daily, push]
