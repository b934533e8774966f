"""Random bytes and malformed CSV never crash ingestion and never lose a row."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundrisk.errors import BadInput
from fundrisk.ingest import ingest_file
from fundrisk.warehouse import connect
from tests.samples import U1

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ingest_bytes(data: bytes, suffix: str, kind: str = "registrations") -> None:
    con = connect(":memory:")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            report = ingest_file(con, kind, path)
        except BadInput as exc:
            assert str(exc).strip() and "\n" not in str(exc)  # one line that says what to fix
            return
    stored = con.execute("SELECT count(*) FROM registrations").fetchall()[0][0]
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
    assert report.rows_loaded + report.rows_quarantined == report.rows_read
    assert (stored, quarantined) == (report.rows_loaded, report.rows_quarantined)
    con.close()


@pytest.mark.slow
@FUZZ
@given(st.binary(max_size=400), st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_random_bytes(data, suffix):
    ingest_bytes(data, suffix)


CELL = st.one_of(st.just(U1), st.text(alphabet=st.sampled_from(list('ab,"\n\r 甲乙\t;9X')), max_size=30))


@pytest.mark.slow
@FUZZ
@given(st.lists(st.lists(CELL, min_size=0, max_size=4), max_size=12), st.sampled_from(["utf-8", "gb18030"]))
def test_malformed_csv_under_a_valid_header(rows, encoding):
    body = "\n".join(",".join(cells) for cells in rows)
    ingest_bytes(f"统一社会信用代码,企业名称\n{body}".encode(encoding), ".csv")
