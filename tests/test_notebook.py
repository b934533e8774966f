"""The analyst's notebook runs top to bottom against a scored district (real kernel, real DuckDB)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from fundrisk.publish import update_ledger
from fundrisk.warehouse import connect
from tests.conftest import scored_district

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analyst.ipynb"


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
    assert "高风险" in text and "uscc" in text and "R-nb" in text
