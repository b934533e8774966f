"""DDL for every table; input tables are derived from the kinds spec so the two cannot drift."""

from __future__ import annotations

import re

from fundrisk.sources.spec import KINDS, KindSpec

DUCK_TYPES = {
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "uscc": "VARCHAR",
    "date": "DATE",
    "amount": "DOUBLE",
    "amount_wan": "DOUBLE",
    "count": "BIGINT",
    "share": "DOUBLE",
}
BOOKKEEPING = (
    "extra VARCHAR, source_file VARCHAR, line BIGINT, record_key VARCHAR NOT NULL, "
    "ingest_id VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL"
)

FIXED_TABLES = """
CREATE TABLE IF NOT EXISTS ingested_files (
    sha256 VARCHAR NOT NULL, kind VARCHAR NOT NULL, source_file VARCHAR NOT NULL, path VARCHAR,
    encoding VARCHAR, rows_read BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL, rows_updated BIGINT NOT NULL, ingest_id VARCHAR NOT NULL,
    run_id VARCHAR, ingested_at TIMESTAMP NOT NULL, PRIMARY KEY (sha256, kind)
);
CREATE TABLE IF NOT EXISTS quarantine (
    kind VARCHAR NOT NULL, source_file VARCHAR NOT NULL, line BIGINT, reason VARCHAR NOT NULL,
    raw VARCHAR, ingest_id VARCHAR NOT NULL, quarantined_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS keyword_hits (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, field VARCHAR, term VARCHAR, category VARCHAR,
    weight DOUBLE, position BIGINT, citation VARCHAR, lexicon_version VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS keyword_scores (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, keyword_score BIGINT, model_prob DOUBLE,
    hit_terms BIGINT, top_terms VARCHAR, reason VARCHAR, lexicon_version VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
    status VARCHAR NOT NULL, flow_run_id VARCHAR, inbox VARCHAR, input_hashes VARCHAR,
    versions VARCHAR, summary VARCHAR
);
"""


def kind_columns(spec: KindSpec) -> str:
    return ", ".join(f"{c.name} {DUCK_TYPES[c.type]}" for c in spec.columns)


def kind_ddl(spec: KindSpec) -> str:
    """Current table (one row per record_key) and an append-only history of every version."""
    cols = f"{kind_columns(spec)}, {BOOKKEEPING}"
    return (
        f"CREATE TABLE IF NOT EXISTS {spec.table} ({cols});\n"
        f"CREATE TABLE IF NOT EXISTS {spec.table}_history ({cols});\n"
    )


def all_ddl() -> str:
    return FIXED_TABLES + "".join(kind_ddl(spec) for spec in KINDS.values())


def known_tables() -> frozenset[str]:
    """Every table name the DDL creates (the whitelist for identifiers spliced into SQL)."""
    return frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", all_ddl()))
