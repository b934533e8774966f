from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from fundrisk.warehouse import connect

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def realdata(relative: str) -> Path:
    """A file of ../shared/realdata, or skip: a user's own clone does not carry it (CI does)."""
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"real data not present at {path} (only CI and the project workspace have ../shared/realdata)")
    return path


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(":memory:")
    yield connection
    connection.close()
