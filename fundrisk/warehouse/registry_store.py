"""Registry storage: the paid-response cache, per-subject look-up status and the extracted fact tables.

``RegistryStore`` is the cache the look-up logic (enrichers.registry.lookup) is handed as its hooks, and
the writer of a run's outcome; ``lookup_signals`` reads what the pre-screen ranks.

Every vendor answer is committed to ``registry_cache`` the moment it arrives (append-only: the newest
fresh row per provider/endpoint/subject wins, older paid answers are kept), so a killed run loses nothing
it paid for and a re-run serves it from the cache. ``subject_key`` is the uscc or the company name the
vendor was asked about; no credential is ever stored. Cache writes run on one writer thread with its own
cursor, so the event loop keeps other requests in flight while DuckDB commits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
from typing import Any

import duckdb
import polars as pl

from fundrisk.warehouse.db import ident, transaction
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.schema import REGISTRY_DDL

FACT_TABLES = (
    "registry_basic",
    "registry_abnormal",
    "registry_lawsuits",
    "registry_branches",
    "registry_investments",
    "registry_changes",
    "registry_related",
    "registry_flags",
)
REGISTRY_TABLES = frozenset({"registry_cache", "registry_lookups", *FACT_TABLES})
# registry_lookups rows as polars types, never inferred: a run whose first 100 look-ups all succeeded
# (detail null) and whose 101st is 查无此企业 must not fail with "could not append value".
LOOKUP_SCHEMA: dict[str, pl.DataType] = {
    "subject_key": pl.String(),
    "uscc": pl.String(),
    "name": pl.String(),
    "priority": pl.Float64(),
    "status": pl.String(),
    "status_label": pl.String(),
    "detail": pl.String(),
}


def table(name: str) -> str:
    """A registry table name safe to splice into SQL (whitelisted here, else by the schema's ident())."""
    return f'"{name}"' if name in REGISTRY_TABLES else ident(name)


# Per registration, the signals that make a look-up worth paying for (enrichers.registry.lookup.prescreen).
SIGNALS_SQL = """
SELECT r.uscc, r.name,
       coalesce(k.keyword_score, 0) AS keyword_score,
       coalesce(a.n, 0) AS alert_count,
       coalesce(c.n, 0) AS clue_count,
       coalesce(x.n, 0) AS relation_count
FROM registrations r
LEFT JOIN keyword_scores k ON k.subject_kind = 'registration' AND k.subject_id = r.uscc
LEFT JOIN (SELECT uscc, count(*) AS n FROM entity_links WHERE source_kind = 'alert' GROUP BY uscc) a
       ON a.uscc = r.uscc
LEFT JOIN (SELECT uscc, count(*) AS n FROM entity_links WHERE source_kind = 'clue' GROUP BY uscc) c
       ON c.uscc = r.uscc
LEFT JOIN (  -- strong ties only: a weak tie alone is not worth a paid look-up
    SELECT uscc, count(*) AS n FROM entity_relations WHERE coalesce(strength, 'strong') = 'strong' GROUP BY uscc
) x ON x.uscc = r.uscc
"""


SIGNAL_COLUMNS = ("keyword_score", "alert_count", "clue_count", "relation_count")


def lookup_signals(
    con: duckdb.DuckDBPyConnection, weights: dict[str, float] | None = None, floor: float | None = None
) -> pl.DataFrame:
    """uscc, name, keyword_score, alert_count, clue_count, relation_count of every registration; with
    ``weights`` and ``floor``, only of those whose weighted signals come near the floor (a pre-filter in
    SQL, a hair below it: the caller computes the priority itself and applies the floor exactly)."""
    if weights is None or floor is None:
        return read(con, SIGNALS_SQL)
    unknown = set(weights) - set(SIGNAL_COLUMNS)
    if unknown:
        raise ValueError(f"unknown signals: {sorted(unknown)}")
    # Column names come from SIGNAL_COLUMNS; the weights and the floor are bound parameters.
    terms = " + ".join(f"greatest({c}, 0) * ?" for c in weights)
    sql = f"SELECT * FROM ({SIGNALS_SQL}) s WHERE {terms} >= ?"  # noqa: S608
    return read(con, sql, [*weights.values(), floor - 1e-6 * max(1.0, abs(floor))])


def ensure_registry_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the registry tables if missing (idempotent)."""
    con.execute(REGISTRY_DDL)


def _lookup_row(row: dict[str, Any]) -> dict[str, Any]:
    """One outcome with the types of LOOKUP_SCHEMA (text as str, priority as float, missing as null)."""
    out: dict[str, Any] = {c: (None if row.get(c) is None else str(row[c])) for c in LOOKUP_SCHEMA}
    priority = row.get("priority")
    out["priority"] = float(priority) if isinstance(priority, int | float) else None
    return out


class RegistryStore:
    """Cache hooks for providers plus the writes of one enrichment run, on one connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, max_age_days: float = 30) -> None:
        self.con = con
        self.max_age = dt.timedelta(days=max_age_days)
        self._memo: dict[tuple[str, str, str], tuple[str, Any]] = {}
        self._preloaded: set[tuple[str, str]] = set()
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._cursor: duckdb.DuckDBPyConnection | None = None
        self.puts = 0

    def preload(self, provider: str, keys: list[str]) -> int:
        """Read every fresh cache entry for these subjects in one query; returns how many."""
        if not keys:
            return 0
        frame = pl.DataFrame({"subject_key": keys}, schema={"subject_key": pl.String})
        self.con.register("wanted_keys", frame)
        try:
            rows = self.con.execute(
                "SELECT endpoint, subject_key, status, body FROM registry_cache "
                "WHERE provider = ? AND fetched_at >= ? AND subject_key IN (SELECT subject_key FROM wanted_keys) "
                "QUALIFY row_number() OVER (PARTITION BY endpoint, subject_key ORDER BY fetched_at DESC) = 1",
                [provider, dt.datetime.now() - self.max_age],
            ).fetchall()
        finally:
            self.con.unregister("wanted_keys")
        self._preloaded.update((provider, key) for key in keys)
        for endpoint, key, status, body in rows:
            self._memo[(provider, endpoint, key)] = (status, json.loads(body) if body is not None else None)
        return len(rows)

    def get(self, provider: str, endpoint: str, key: str) -> tuple[str, Any] | None:
        """A fresh cached answer (status, body), or None when it must be fetched."""
        hit = self._memo.get((provider, endpoint, key))
        if hit is not None or (provider, key) in self._preloaded:
            return hit
        rows = self.con.execute(
            "SELECT status, body FROM registry_cache WHERE provider = ? AND endpoint = ? "
            "AND subject_key = ? AND fetched_at >= ? ORDER BY fetched_at DESC LIMIT 1",
            [provider, endpoint, key, dt.datetime.now() - self.max_age],
        ).fetchall()
        if not rows:
            return None
        status, body = rows[0]
        return status, json.loads(body) if body is not None else None

    async def put(self, provider: str, endpoint: str, key: str, status: str, body: Any) -> None:
        """Commit one paid answer now; returns once it is durable (the write runs on the writer thread)."""
        text = json.dumps(body, ensure_ascii=False) if body is not None else None
        self._memo[(provider, endpoint, key)] = (status, body)
        if self._writer is None:
            self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="registry-cache")
            self._cursor = self.con.cursor()
        row = [provider, endpoint, key, dt.datetime.now(), status, text]
        await asyncio.get_running_loop().run_in_executor(self._writer, self._insert, row)
        self.puts += 1

    def _insert(self, row: list[Any]) -> None:
        assert self._cursor is not None
        self._cursor.execute("INSERT INTO registry_cache VALUES (?, ?, ?, ?, ?, ?)", row)

    def close_writer(self) -> None:
        """Wait for pending cache writes and release the writer thread and its cursor."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def record_lookups(self, provider: str, rows: list[dict[str, Any]] | pl.DataFrame) -> None:
        """Upsert the per-subject outcome of this run (columns: subject_key, uscc, name, priority, status,
        status_label, detail), given as rows or as one frame."""
        if isinstance(rows, pl.DataFrame):
            typed = rows.select(pl.col(c).cast(t) for c, t in LOOKUP_SCHEMA.items())
        else:
            typed = pl.DataFrame([_lookup_row(row) for row in rows], schema=LOOKUP_SCHEMA, orient="row")
        if typed.is_empty():
            return
        frame = typed.with_columns(
            pl.lit(provider).alias("provider"), pl.lit(dt.datetime.now()).alias("looked_up_at")
        )
        self.con.register("lookup_rows", frame)
        try:
            self.con.execute("INSERT OR REPLACE INTO registry_lookups BY NAME SELECT * FROM lookup_rows")
        finally:
            self.con.unregister("lookup_rows")

    def write_facts(self, frames: dict[str, pl.DataFrame], subject_ids: list[str]) -> dict[str, int]:
        """Replace the facts of these subjects in every fact table, in one transaction; rows per table."""
        written: dict[str, int] = {}
        ids = pl.DataFrame({"uscc": subject_ids}, schema={"uscc": pl.String})
        self.con.register("fact_ids", ids)
        try:
            with transaction(self.con):
                for name in FACT_TABLES:
                    frame = frames.get(name)
                    target = table(name)
                    # Identifiers come from the whitelist above; every value is a bound frame.
                    self.con.execute(f"DELETE FROM {target} WHERE uscc IN (SELECT uscc FROM fact_ids)")  # noqa: S608
                    if frame is None or frame.is_empty():
                        written[name] = 0
                        continue
                    if name == "registry_flags":
                        frame = frame.with_columns(pl.lit(dt.datetime.now()).alias("updated_at"))
                    self.con.register("fact_rows", frame)
                    self.con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM fact_rows")  # noqa: S608
                    self.con.unregister("fact_rows")
                    written[name] = frame.height
        finally:
            self.con.unregister("fact_ids")
        return written


def registry_flags_for(con: duckdb.DuckDBPyConnection, uscc: str) -> dict[str, Any] | None:
    """The registry flags row of one subject (for `explain`), or None."""
    cursor = con.execute("SELECT * FROM registry_flags WHERE uscc = ?", [uscc])
    rows = cursor.fetchall()
    if not rows:
        return None
    names = [d[0] for d in cursor.description or []]
    return dict(zip(names, rows[0], strict=True))


def lookup_status_for(con: duckdb.DuckDBPyConnection, uscc: str) -> dict[str, Any] | None:
    """The latest look-up outcome of one subject (e.g. 未查询 with the reason), or None."""
    cursor = con.execute(
        "SELECT provider, status, status_label, detail, looked_up_at FROM registry_lookups "
        "WHERE uscc = ? OR subject_key = ? ORDER BY looked_up_at DESC LIMIT 1",
        [uscc, uscc],
    )
    rows = cursor.fetchall()
    if not rows:
        return None
    names = [d[0] for d in cursor.description or []]
    return dict(zip(names, rows[0], strict=True))
