"""Real registrations: every one of the 8,376 Beijing 2023 codes passes the GB 32100-2015 check."""

from __future__ import annotations

import polars as pl
import pytest

from fundrisk.ingest import ingest_file
from fundrisk.sources.parse import uscc_is_valid
from tests.conftest import realdata


def test_all_real_codes_validate():
    path = realdata("company_names/beijing_new_registrations_2023.csv")
    codes = pl.read_csv(path, infer_schema=False)["统一社会信用代码"]
    assert codes.len() == 8376
    assert uscc_is_valid(codes).all()


@pytest.mark.slow
def test_real_registration_export_ingests_without_loss(con):
    path = realdata("company_names/beijing_new_registrations_2023.csv")
    report = ingest_file(con, "registrations", path)
    assert report.rows_read == 8376
    assert report.rows_loaded + report.rows_quarantined == report.rows_read
    assert report.rows_quarantined == 0
    assert con.execute("SELECT count(DISTINCT uscc) FROM registrations").fetchall()[0][0] == 8376
