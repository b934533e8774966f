"""The latest on-site inspection of each registered entity, defined once as a SQL fragment.

Case states (case_store.py), the exports' 核查结论 (publish_store.py) and the scoring features
(features_sql.py) all ask "what did the last inspection conclude, and when"; they all embed this query
so that a tie, a date filter or a new column is decided in one place.
"""

from __future__ import annotations


def latest_inspections(where: str = "TRUE", extra: str = "") -> str:
    """SELECT uscc, conclusion (of the latest inspected_on), inspected_on (the latest) per credit code.

    `where` narrows the inspections first and `extra` adds aggregate columns: constant SQL text only,
    values travel as the caller's named parameters ($as_of, $subject …).
    """
    more = f", {extra}" if extra else ""
    head = "SELECT uscc, arg_max(conclusion, inspected_on) AS conclusion, max(inspected_on) AS inspected_on"
    return f"{head}{more} FROM inspections WHERE {where} GROUP BY uscc"  # noqa: S608 — callers' constant text
