"""Scoring in hash partitions grades every subject exactly as scoring the whole district at once.

The calibration is learnt once from the inspected subjects; each partition only applies it.
"""

from __future__ import annotations

import duckdb
import pytest

from fundrisk.stages.scoring import run_scoring
from fundrisk.warehouse.features_store import STAGED, stage_features
from tests.conftest import scored_district

pytestmark = pytest.mark.slow

COMPARED = """
SELECT subject_kind, subject_id, name, score, tier, disposal, department, reasons, factors, rule_score,
    model_prob, expected_yield
FROM risk_scores WHERE run_id = ? ORDER BY subject_kind, subject_id
"""
FEATURES = "SELECT * EXCLUDE (run_id) FROM run_features WHERE run_id = ? ORDER BY subject_kind, subject_id"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory):
    return scored_district(tmp_path_factory.mktemp("parts"), entities=1500, seed=12, run_id="R0")


def test_partitions_equal_one_pass(district):
    con = duckdb.connect(str(district))
    try:
        whole = run_scoring(con, "WHOLE", part_rows=10**9)
        split = run_scoring(con, "SPLIT", part_rows=97)
        assert split["subjects"] == whole["subjects"] > 15 * 97  # many partitions
        assert split["tiers"] == whole["tiers"]
        assert split["calibration"] == whole["calibration"]
        assert con.execute(COMPARED, ["SPLIT"]).fetchall() == con.execute(COMPARED, ["WHOLE"]).fetchall()
        assert con.execute(FEATURES, ["SPLIT"]).fetchall() == con.execute(FEATURES, ["WHOLE"]).fetchall()
        assert sum(whole["tiers"].values()) == whole["subjects"]
        # the temporary features table is gone; a re-run of the same run id replaces, never duplicates
        again = run_scoring(con, "SPLIT", part_rows=500)
        assert again["tiers"] == whole["tiers"]
        rows = con.execute("SELECT count(*) FROM risk_scores WHERE run_id = 'SPLIT'").fetchall()[0][0]
        assert rows == whole["subjects"]
    finally:
        con.close()


def test_features_assembled_in_partitions_equal_one_statement(district):
    """Each CTE narrows its own table to the partition; together the partitions are the whole frame."""
    con = duckdb.connect(str(district))
    staged = f"SELECT * FROM {STAGED} ORDER BY subject_kind, subject_id"
    try:
        whole_n = stage_features(con, stage_rows=10**9)
        whole = con.execute(staged).fetchall()
        split_n = stage_features(con, stage_rows=97)
        split = con.execute(staged).fetchall()
        assert split_n == whole_n == len(whole) > 15 * 97
        assert split == whole
        evidence = f"""SELECT count(*) FILTER (WHERE subject_kind = 'lead'), sum(alert_count), sum(clue_count),
            sum(survey_count), sum(relation_count), sum(lexicon_hits) FROM {STAGED}"""
        assert all(n > 0 for n in con.execute(evidence).fetchall()[0])  # every source reached the partitions
    finally:
        con.close()
