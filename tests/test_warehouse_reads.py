"""Issue 15: SQL lives in fundrisk/warehouse. What moved there and is not covered elsewhere:

- an export of a run from an older file (no run_features rows) reads the features the scoring SQL
  assembles from the current tables, and lists exactly what it lists from the persisted features;
- database failures are classified by the CLI's error boundary (fundrisk/system_errors.py), which no
  longer imports the driver: fundrisk/warehouse/db.py registers its error classes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from fundrisk.errors import DiskFull, FundriskError
from fundrisk.publish.subjects import scored_subjects
from fundrisk.system_errors import translate
from fundrisk.warehouse import connect
from tests.conftest import scored_district

RUN = "R-walls"
SHOWN = ["subject_kind", "subject_id", "tier", "score", "name", "people", "amount_wan", "alert_count"]
SHOWN += ["clue_count", "on_list", "stability_terms", "latest_conclusion", "alert_types"]


@pytest.mark.slow
def test_a_run_without_persisted_features_exports_the_same_rows(tmp_path: Path) -> None:
    con = connect(scored_district(tmp_path, entities=300, seed=7, run_id=RUN))
    try:
        persisted = scored_subjects(con, RUN).select(SHOWN)
        assert persisted.height > 0 and persisted["alert_count"].sum() > 0
        assert persisted["on_list"].any()  # the provincial list is matched (by code or by name)
        con.execute("DELETE FROM run_features WHERE run_id = ?", [RUN])  # as a file from before the table
        rebuilt = scored_subjects(con, RUN).select(SHOWN)
        key = ["subject_kind", "subject_id"]
        assert rebuilt.sort(key).equals(persisted.sort(key))
        high = scored_subjects(con, RUN, "高风险")
        assert 0 < high.height < rebuilt.height  # the tier filter applies on this path too
    finally:
        con.close()


def _io_error() -> duckdb.Error:
    """A real driver error: opening a database inside a folder that does not exist."""
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect("/nonexistent-fundrisk-folder/x.duckdb")
    return caught.value


def test_database_failures_are_one_line() -> None:
    """The classes fundrisk/warehouse/db.py registers (pyproject.toml keeps duckdb out of the boundary)."""
    failed = translate(_io_error())
    assert isinstance(failed, FundriskError) and str(failed).startswith("数据库读写失败")
    assert isinstance(translate(duckdb.IOException("IO Error: No space left on device")), DiskFull)
    assert translate(duckdb.CatalogException("Table with name x does not exist")) is None  # a bug's traceback
    assert translate(ValueError("x")) is None
