from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Prefect keeps its home (settings, local database, results) in a throw-away folder for the suite.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="fundrisk-prefect-home-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Generated districts end on a fixed day (fundrisk/synth/events.py GENERATED_AS_OF); grading them as of
# that day keeps every expected tier independent of the date the suite runs on.
os.environ.setdefault("FUNDRISK_AS_OF", "2026-11-28")

import duckdb
import pytest

from fundrisk.warehouse import connect

atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def realdata(relative: str) -> Path:
    """A file of ../shared/realdata, or skip: a user's own clone does not carry it (CI does)."""
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(
            f"real data not present at {path} (only CI and the project workspace have ../shared/realdata)"
        )
    return path


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One ephemeral Prefect API for the whole session; its first start can take over a minute."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def scored_district(root: Path, entities: int, seed: int, run_id: str) -> Path:
    """A generated district ingested and run through every stage (no Prefect); returns the DuckDB path."""
    from fundrisk.inbox import discover
    from fundrisk.ingest import ingest_file
    from fundrisk.settings import Settings
    from fundrisk.stages.sequence import run_stages
    from fundrisk.synth import generate

    summary = generate(root / "inbox", entities=entities, seed=seed)
    db = root / "f.duckdb"
    connection = connect(db)
    for f in discover(root / "inbox"):
        ingest_file(connection, f.kind, f.path)
    run_stages(connection, run_id, Settings(registry_snapshot=summary.paths["registry_snapshot"]))
    connection.close()
    return db
