"""Stage: look up in the corporate registry only the subjects whose signals make it worth paying for."""

from __future__ import annotations

import logging

import duckdb
import polars as pl

from enrichers.registry.enrich import enrich_registry, prescreen
from fundrisk.errors import BadInput
from fundrisk.settings import Settings
from fundrisk.warehouse.frames import read

log = logging.getLogger(__name__)
MIN_PRIORITY = 1.0  # at least one linked alert or clue, or a strong keyword score, before paying

SIGNALS_SQL = """
SELECT r.uscc, r.name,
       coalesce(k.keyword_score, 0) AS keyword_score,
       coalesce(a.n, 0) AS alert_count,
       coalesce(c.n, 0) AS clue_count,
       coalesce(x.n, 0) AS relation_count
FROM registrations r
LEFT JOIN keyword_scores k ON k.subject_kind = 'registration' AND k.subject_id = r.uscc
LEFT JOIN (SELECT uscc, count(*) AS n FROM entity_links WHERE source_kind = 'alert' GROUP BY uscc) a
       ON a.uscc = r.uscc
LEFT JOIN (SELECT uscc, count(*) AS n FROM entity_links WHERE source_kind = 'clue' GROUP BY uscc) c
       ON c.uscc = r.uscc
LEFT JOIN (  -- strong ties only: a weak tie alone is not worth a paid look-up
    SELECT uscc, count(*) AS n FROM entity_relations WHERE coalesce(strength, 'strong') = 'strong' GROUP BY uscc
) x ON x.uscc = r.uscc
"""


def run_registry(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, object]:
    """Pre-screen, then look up within the budget; cached answers cost nothing. Counts only.

    Registry facts are an enrichment: a failure that is not the database's or the disk's makes the
    enrichment partial (``partial``, shown in the run summary and its status), never the run failed.
    """
    subjects = prescreen(read(con, SIGNALS_SQL)).filter(pl.col("priority") >= MIN_PRIORITY)
    try:
        report = enrich_registry(con, subjects, settings)
    except (duckdb.Error, OSError, BadInput):
        raise
    except Exception as exc:  # noqa: BLE001 - any other failure leaves the run to go on without facts
        line = f"工商信息查询出错（{type(exc).__name__}），本次运行未取得工商信息，其余步骤照常进行"
        log.warning("%s", line)
        return {"candidates": subjects.height, "counts": {}, "requests": 0, "message": line,
                "summary": line, "partial": True}  # fmt: skip
    return {
        "provider": report.provider,
        "candidates": subjects.height,
        "counts": dict(report.counts),
        "requests": report.requests,
        "message": report.message or "",
        "summary": report.summary(),
        "partial": report.incomplete > 0,
    }
