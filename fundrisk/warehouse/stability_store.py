"""Reads behind the stability list (涉稳群体/重点人员名单): the facts that signal unrest, per subject of a run.

Per subject: the run's 涉稳隐患 factor (risk_scores.factors), the highest elderly and out-of-region payer
shares of its linked alerts, how many distinct people reported it, the stability signals found in its
clues (clue_signals) and what grid workers wrote under 发现情况 (surveys, when that table exists).
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read

_SOURCES = """
sources AS (
    SELECT DISTINCT 'registration' AS subject_kind, uscc AS subject_id, source_kind, source_id FROM entity_links
    UNION
    SELECT 'lead', lead_id, source_kind, source_id FROM lead_members
)"""

_FACTS = f"""
WITH {_SOURCES}, factor AS (
    SELECT subject_kind, subject_id,
        arg_max(TRY_CAST(json_extract_string(factors, '$.stability') AS DOUBLE), scored_at) AS stability
    FROM risk_scores WHERE run_id = $run GROUP BY ALL
), alerts_of AS (
    SELECT s.subject_kind, s.subject_id, max(a.elderly_payer_share) AS elderly_share,
        max(a.out_of_region_payer_share) AS out_of_region_share
    FROM sources s JOIN alerts a ON s.source_kind = 'alert' AND a.alert_id = s.source_id
    GROUP BY ALL
), clues_of AS (
    SELECT s.subject_kind, s.subject_id,
        count(DISTINCT nullif(trim(c.reporter_name), '')) AS reporters,
        string_agg(DISTINCT nullif(g.stability_terms, ''), '、' ORDER BY nullif(g.stability_terms, '')) AS clue_terms
    FROM sources s JOIN clues c ON s.source_kind = 'clue' AND c.clue_id = s.source_id
    LEFT JOIN clue_signals g ON g.clue_id = c.clue_id
    GROUP BY ALL
), surveys_of AS ({{surveys}})
SELECT f.subject_kind, f.subject_id, f.stability, a.elderly_share, a.out_of_region_share,
    coalesce(c.reporters, 0) AS reporters, c.clue_terms, v.survey_found
FROM factor f
LEFT JOIN alerts_of a USING (subject_kind, subject_id)
LEFT JOIN clues_of c USING (subject_kind, subject_id)
LEFT JOIN surveys_of v USING (subject_kind, subject_id)
"""  # noqa: S608 — constant text; the surveys part is one of two constants below, values are parameters

_WITH_SURVEYS = """
    SELECT subject_kind, subject_id, string_agg(DISTINCT found, '；' ORDER BY found) AS survey_found FROM (
        SELECT s.subject_kind, s.subject_id, v.found
        FROM sources s JOIN surveys v ON s.source_kind = 'survey' AND v.survey_id = s.source_id
        UNION
        SELECT 'registration', uscc, found FROM surveys WHERE uscc IS NOT NULL
    ) WHERE nullif(trim(found), '') IS NOT NULL GROUP BY ALL"""
_WITHOUT_SURVEYS = (
    "SELECT NULL::VARCHAR AS subject_kind, NULL::VARCHAR AS subject_id, NULL::VARCHAR AS survey_found"
)


def stability_facts(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """subject_kind, subject_id, stability, elderly_share, out_of_region_share, reporters, clue_terms,
    survey_found — one row per subject scored in the run."""
    has_surveys = bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'surveys'").fetchall()[
            0
        ][0]
    )
    sql = _FACTS.replace("{surveys}", _WITH_SURVEYS if has_surveys else _WITHOUT_SURVEYS)
    return read(con, sql, {"run": run_id})
