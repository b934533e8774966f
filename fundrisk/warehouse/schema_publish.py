"""DDL of scoring and publishing: risk scores per run, the dynamic ledger, pushes and referrals.

Plain strings with no imports, so schema.py can include them without import cycles.
"""

SCORING_DDL = """
CREATE TABLE IF NOT EXISTS risk_scores (
    run_id VARCHAR NOT NULL, subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, name VARCHAR,
    score DOUBLE NOT NULL, tier VARCHAR NOT NULL, disposal VARCHAR, department VARCHAR, reasons VARCHAR,
    factors VARCHAR, rule_score DOUBLE, model_prob DOUBLE, expected_yield DOUBLE, scored_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS run_features (
    run_id VARCHAR NOT NULL, subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, name VARCHAR,
    industry VARCHAR, town VARCHAR, address VARCHAR, alert_count BIGINT, single_payer_alerts BIGINT,
    payer_count BIGINT, inflow_yuan DOUBLE, outflow_yuan DOUBLE, txn_count BIGINT, alert_types VARCHAR,
    clue_count BIGINT, money_clue_count BIGINT, claimed_participants BIGINT, claimed_amount_yuan DOUBLE,
    stability_terms VARCHAR, on_provincial_list BOOLEAN, inspection_conclusion VARCHAR, inspected_on DATE,
    last_evidence_on DATE, as_of DATE
);
"""

# ledger_subjects has one row per (subject_kind, subject_id) by its one writer (ledger_store's MERGE), not by
# a key: every run rewrites every scored subject's row, and at 1,000,000 subjects the key's index cost
# 3.7 s of the 5.2 s that write took (issue 11). schema.LEDGER_WITHOUT_KEY rebuilds an older file's table.
PUBLISH_DDL = """
CREATE TABLE IF NOT EXISTS ledger_subjects (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, name VARCHAR, current_tier VARCHAR,
    current_score DOUBLE, first_flagged_run VARCHAR, first_flagged_at TIMESTAMP, last_run VARCHAR,
    last_changed_at TIMESTAMP, updated_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ledger_tiers (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
    tier VARCHAR NOT NULL, previous_tier VARCHAR, score DOUBLE, changed_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ledger_events (
    subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, event VARCHAR NOT NULL, event_on DATE,
    unit VARCHAR, deadline DATE, source VARCHAR NOT NULL, detail VARCHAR, run_id VARCHAR,
    recorded_at TIMESTAMP, actor VARCHAR
);
CREATE TABLE IF NOT EXISTS pushes (
    uscc VARCHAR NOT NULL, tier VARCHAR NOT NULL, score DOUBLE, pushed_on DATE NOT NULL, file VARCHAR,
    run_id VARCHAR, unit VARCHAR, pushed_at TIMESTAMP
);
"""
