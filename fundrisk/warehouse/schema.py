"""DDL for every table; input tables are derived from the kinds spec so the two cannot drift."""

from __future__ import annotations

import re

from fundrisk.sources.spec import KINDS, KindSpec
from fundrisk.warehouse.schema_publish import PUBLISH_DDL, SCORING_DDL

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
CREATE TABLE IF NOT EXISTS evidence_files (
    subject_id VARCHAR NOT NULL, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL, media_type VARCHAR, path VARCHAR, registered_at TIMESTAMP NOT NULL,
    modified_at TIMESTAMP, note VARCHAR, run_id VARCHAR, PRIMARY KEY (subject_id, sha256)
);
CREATE TABLE IF NOT EXISTS quarantine (
    kind VARCHAR NOT NULL, source_file VARCHAR NOT NULL, line BIGINT, reason VARCHAR NOT NULL,
    raw VARCHAR, ingest_id VARCHAR NOT NULL, quarantined_at TIMESTAMP NOT NULL,
    resolution VARCHAR, resolved_by VARCHAR, resolved_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS keyword_hits (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, field VARCHAR, term VARCHAR, category VARCHAR,
    weight DOUBLE, position BIGINT, citation VARCHAR, lexicon_version VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS keyword_scores (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, keyword_score BIGINT, model_prob DOUBLE,
    hit_terms BIGINT, top_terms VARCHAR, reason VARCHAR, lexicon_version VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS entity_links (
    source_kind VARCHAR NOT NULL, source_id VARCHAR NOT NULL, uscc VARCHAR NOT NULL, method VARCHAR NOT NULL,
    score DOUBLE NOT NULL, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS link_review (
    source_kind VARCHAR NOT NULL, source_id VARCHAR NOT NULL, subject_name VARCHAR, uscc VARCHAR,
    candidate_name VARCHAR, score DOUBLE, rank INTEGER, run_id VARCHAR, method VARCHAR
);
-- A person's decision on a review queue (fundrisk review import); kept across runs. queue 'link':
-- ref_kind/ref_id = the alert, clue or survey, target_id = the candidate uscc; 'lead': ref_id and
-- target_id = two lead ids; 'quarantine': ref_kind = the input kind, ref_id = ingest_id, target_id = line.
CREATE TABLE IF NOT EXISTS review_decisions (
    queue VARCHAR NOT NULL, ref_kind VARCHAR NOT NULL, ref_id VARCHAR NOT NULL, target_id VARCHAR NOT NULL,
    decision VARCHAR NOT NULL, note VARCHAR, outcome VARCHAR, reviewer VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL, review_file VARCHAR, PRIMARY KEY (queue, ref_kind, ref_id, target_id)
);
CREATE TABLE IF NOT EXISTS leads (
    lead_id VARCHAR NOT NULL, name VARCHAR, core VARCHAR, address_key VARCHAR, town VARCHAR,
    clue_count BIGINT, alert_count BIGINT, names VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS lead_members (
    lead_id VARCHAR NOT NULL, source_kind VARCHAR NOT NULL, source_id VARCHAR NOT NULL, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS entity_relations (
    uscc VARCHAR NOT NULL, related_uscc VARCHAR NOT NULL, relation VARCHAR NOT NULL, reason VARCHAR,
    run_id VARCHAR, strength VARCHAR, weight DOUBLE
);
CREATE TABLE IF NOT EXISTS clue_signals (
    clue_id VARCHAR NOT NULL, negativity DOUBLE, money_related BOOLEAN, stability DOUBLE,
    stability_terms VARCHAR, reason VARCHAR, sentiment_version VARCHAR, run_id VARCHAR, money_prob DOUBLE
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
    status VARCHAR NOT NULL, flow_run_id VARCHAR, inbox VARCHAR, input_hashes VARCHAR,
    versions VARCHAR, summary VARCHAR, pid BIGINT, hostname VARCHAR, process_started TIMESTAMP, note VARCHAR
);
"""

# Registry look-ups (enrichers/registry): the paid-response cache and the facts extracted from it.
REGISTRY_DDL = """
CREATE TABLE IF NOT EXISTS registry_cache (
    provider VARCHAR NOT NULL, endpoint VARCHAR NOT NULL, subject_key VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL, body VARCHAR
);
CREATE TABLE IF NOT EXISTS registry_lookups (
    provider VARCHAR NOT NULL, subject_key VARCHAR NOT NULL, uscc VARCHAR, name VARCHAR,
    priority DOUBLE, status VARCHAR NOT NULL, status_label VARCHAR, detail VARCHAR,
    looked_up_at TIMESTAMP NOT NULL, PRIMARY KEY (provider, subject_key)
);
CREATE TABLE IF NOT EXISTS registry_basic (
    uscc VARCHAR, name VARCHAR, legal_rep VARCHAR, status VARCHAR, registered_capital VARCHAR,
    established_on DATE, address VARCHAR, province VARCHAR, city VARCHAR, district VARCHAR,
    scope VARCHAR, entity_type VARCHAR, provider VARCHAR
);
CREATE TABLE IF NOT EXISTS registry_abnormal (
    uscc VARCHAR, listed_on DATE, listed_reason VARCHAR, listed_by VARCHAR, removed_on DATE,
    removed_reason VARCHAR, removed_by VARCHAR, is_current BOOLEAN
);
CREATE TABLE IF NOT EXISTS registry_lawsuits (
    uscc VARCHAR, case_no VARCHAR, title VARCHAR, case_reason VARCHAR, court VARCHAR, judged_on DATE,
    doc_type VARCHAR, is_fundraising BOOLEAN, is_lending BOOLEAN
);
CREATE TABLE IF NOT EXISTS registry_branches (
    uscc VARCHAR, name VARCHAR, branch_uscc VARCHAR, legal_rep VARCHAR, status VARCHAR,
    province VARCHAR, city VARCHAR
);
CREATE TABLE IF NOT EXISTS registry_investments (
    uscc VARCHAR, name VARCHAR, investee_uscc VARCHAR, legal_rep VARCHAR, status VARCHAR,
    province VARCHAR, share VARCHAR, amount VARCHAR
);
CREATE TABLE IF NOT EXISTS registry_changes (
    uscc VARCHAR, changed_on DATE, item VARCHAR, category VARCHAR, before VARCHAR, after VARCHAR
);
CREATE TABLE IF NOT EXISTS registry_related (
    uscc VARCHAR, related_name VARCHAR, related_uscc VARCHAR, relation VARCHAR, province VARCHAR,
    status VARCHAR
);
CREATE TABLE IF NOT EXISTS registry_flags (
    uscc VARCHAR, name VARCHAR, provider VARCHAR, reg_status VARCHAR, home_province VARCHAR,
    abnormal_count BIGINT, abnormal_current BIGINT, lawsuit_count BIGINT, fundraising_lawsuits BIGINT,
    lending_lawsuits BIGINT, lawsuit_reasons VARCHAR, legal_rep_changes_365 BIGINT,
    address_changes_365 BIGINT, name_changes_365 BIGINT, scope_changes_365 BIGINT,
    frequent_changes BOOLEAN, branch_count BIGINT, investment_count BIGINT, related_count BIGINT,
    provinces VARCHAR, province_count BIGINT, out_of_province BIGINT, reasons VARCHAR,
    updated_at TIMESTAMP
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


# Columns added after a table first shipped: (table, column, type). An existing database file gains them
# on connect (ALTER TABLE … ADD COLUMN IF NOT EXISTS); a new one has them from its CREATE TABLE already.
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("alerts", "holder_id", "VARCHAR"),
    ("alerts_history", "holder_id", "VARCHAR"),
    ("entity_relations", "strength", "VARCHAR"),
    ("entity_relations", "weight", "DOUBLE"),
    ("runs", "pid", "BIGINT"),
    ("runs", "hostname", "VARCHAR"),
    ("runs", "process_started", "TIMESTAMP"),
    ("runs", "note", "VARCHAR"),
    ("clue_signals", "money_prob", "DOUBLE"),
    ("link_review", "method", "VARCHAR"),
    ("quarantine", "resolution", "VARCHAR"),
    ("quarantine", "resolved_by", "VARCHAR"),
    ("quarantine", "resolved_at", "TIMESTAMP"),
    ("ledger_events", "actor", "VARCHAR"),
]


def migration_ddl() -> str:
    return "".join(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} {ty};\n" for t, c, ty in ADDED_COLUMNS)


# A file from before the ledger dropped its key (schema_publish.py) gets the table rebuilt without it, once:
# the same columns and rows, in one transaction (duckdb cannot drop a primary key in place).
LEDGER_KEYED = (
    "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'ledger_subjects' "
    "AND constraint_type = 'PRIMARY KEY'"
)
LEDGER_WITHOUT_KEY = """
ALTER TABLE ledger_subjects RENAME TO ledger_subjects_keyed;
{ddl};
INSERT INTO ledger_subjects BY NAME SELECT * FROM ledger_subjects_keyed;
DROP TABLE ledger_subjects_keyed;
"""


def ledger_without_key_ddl() -> str:
    """The statements that rebuild a keyed ledger_subjects (only run when LEDGER_KEYED counts one)."""
    table = re.search(r"CREATE TABLE IF NOT EXISTS ledger_subjects \(.*?\n\);", PUBLISH_DDL, re.S)
    assert table is not None  # the DDL above defines it
    return LEDGER_WITHOUT_KEY.format(ddl=table.group(0).rstrip(";"))


def all_ddl() -> str:
    tables = FIXED_TABLES + REGISTRY_DDL + SCORING_DDL + PUBLISH_DDL
    return tables + "".join(kind_ddl(spec) for spec in KINDS.values()) + migration_ddl()


def known_tables() -> frozenset[str]:
    """Every table name the DDL creates (the whitelist for identifiers spliced into SQL)."""
    return frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", all_ddl()))
