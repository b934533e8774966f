"""DDL of scoring and publishing: risk scores per run, the dynamic ledger, pushes and referrals.

Plain strings with no imports, so schema.py can include them without import cycles.
"""

SCORING_DDL = """
CREATE TABLE IF NOT EXISTS risk_scores (
    run_id VARCHAR NOT NULL, subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, name VARCHAR,
    score DOUBLE NOT NULL, tier VARCHAR NOT NULL, disposal VARCHAR, department VARCHAR, reasons VARCHAR,
    factors VARCHAR, rule_score DOUBLE, model_prob DOUBLE, expected_yield DOUBLE, scored_at TIMESTAMP
);
"""

PUBLISH_DDL = """
"""
