"""Every enrichment and scoring stage in flow order, without Prefect (evaluations, notebooks, tests).

The Prefect flow (flows/pipeline.py) runs the same functions as separate tasks.
"""

from __future__ import annotations

from typing import Any

import duckdb

from fundrisk.campaign.survey_stage import run_survey_screen
from fundrisk.settings import Settings
from fundrisk.stages.keywords import run_keywords
from fundrisk.stages.registry import run_registry
from fundrisk.stages.resolve import run_resolution
from fundrisk.stages.scoring import run_scoring
from fundrisk.stages.sentiment import run_sentiment


def run_stages(con: duckdb.DuckDBPyConnection, run_id: str, settings: Settings) -> dict[str, Any]:
    return {
        "keywords": run_keywords(con, run_id),
        "sentiment": run_sentiment(con, run_id),
        "surveys": run_survey_screen(con, run_id),
        "resolution": run_resolution(con, run_id),
        "registry": run_registry(con, settings),
        "scoring": run_scoring(con, run_id),
    }
