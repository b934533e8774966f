"""人工复核 (issue 14): the queues a person decides, out to a workbook and back into the pipeline.

export.py writes 隔离数据 / 待确认关联 / 疑似同一经营者 (review.toml); apply.py stores the decisions
(review_decisions, ledger_events) and re-ingests corrected rows; feedback.py hands them to entity
resolution; notes.py says per file why rows were quarantined. SQL lives in warehouse/review_store.py.
"""
