"""Inspection outcomes through the whole stage sequence on a generated district (real DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fundrisk.warehouse import connect
from fundrisk.warehouse.frames import read
from tests.conftest import scored_district


@pytest.mark.slow
def test_outcomes_decide_grades_in_a_generated_district(tmp_path: Path) -> None:
    db = scored_district(tmp_path, entities=1500, seed=6, run_id="RUN1")
    con = connect(db, read_only=True)
    graded = read(
        con,
        """
        WITH i AS (
            SELECT uscc, bool_or(conclusion = '确认非法集资') AS ever_confirmed,
                arg_max(conclusion, inspected_on) AS latest, max(inspected_on) AS inspected_on
            FROM inspections GROUP BY uscc
        ), evidence AS (
            SELECT l.uscc, max(coalesce(a.alert_date, c.received_on)) AS last_on
            FROM entity_links l
            LEFT JOIN alerts a ON l.source_kind = 'alert' AND a.alert_id = l.source_id
            LEFT JOIN clues c ON l.source_kind = 'clue' AND c.clue_id = l.source_id
            GROUP BY l.uscc
        )
        SELECT i.*, e.last_on, s.tier, s.reasons
        FROM i JOIN risk_scores s ON s.subject_id = i.uscc AND s.run_id = 'RUN1'
        LEFT JOIN evidence e ON e.uscc = i.uscc
        """,
    )
    con.close()
    confirmed = graded.filter("ever_confirmed")
    assert confirmed.height >= 5
    assert set(confirmed["tier"]) == {"高风险"}
    assert all(r.startswith("现场核查结论：") for r in confirmed["reasons"])
    cleared = graded.filter(
        ~graded["ever_confirmed"]
        & (graded["latest"] == "未发现问题")
        & (graded["last_on"].is_null() | (graded["last_on"] <= graded["inspected_on"]))
    )
    assert cleared.height >= 5
    assert "高风险" not in set(cleared["tier"])
