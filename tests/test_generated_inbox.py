"""The demo generator's inbox follows the input contracts: every row ingests, nothing is quarantined."""

from __future__ import annotations

import pytest

from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.synth import generate

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [7, 20261129])
def test_generated_inbox_ingests_cleanly(con, tmp_path, seed):
    summary = generate(tmp_path / "inbox", entities=4000, seed=seed)
    files = discover(tmp_path / "inbox")
    assert {f.kind for f in files} == {
        "registrations",
        "alerts",
        "clues",
        "provincial-list",
        "inspections",
        "actions",
        "survey",
    }
    for f in files:
        report = ingest_file(con, f.kind, f.path)
        assert report.rows_quarantined == 0, con.execute("SELECT reason FROM quarantine LIMIT 3").fetchall()
        assert report.rows_loaded == summary.rows[f.kind]
