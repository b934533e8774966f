"""The analyst's notebook runs top to bottom against a scored district (real kernel, real DuckDB)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fundrisk.publish import update_ledger
from fundrisk.warehouse import connect
from tests.conftest import scored_district

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analyst.ipynb"


@pytest.mark.slow
def test_analyst_notebook_executes(tmp_path, monkeypatch):
    db = scored_district(tmp_path, entities=1500, seed=11, run_id="R-nb")
    con = connect(db)
    update_ledger(con, "R-nb")
    con.close()
    monkeypatch.setenv("FUNDRISK_DB", str(db))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute(env={**os.environ, "FUNDRISK_DB": str(db)})
    text = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "高风险" in text and "统一社会信用代码" in text and "R-nb" in text
    # Codes and explain's keys are shown in Chinese (issue 14): 登记主体, not registration; no English keys.
    assert "登记主体" in text and "风险因素" in text
    assert not re.search(r"\b(registration|lead|uscc|reasons|scored_at|days_overdue)\b", text)
