"""Reads behind `fundrisk explain` (fundrisk/explain.py): one subject's rows, each a small keyed query."""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.dossier_store import tables
from fundrisk.warehouse.frames import read


def registration(con: duckdb.DuckDBPyConnection, uscc: str) -> pl.DataFrame:
    """uscc, name of the registration (no row when the code is unknown)."""
    return read(con, "SELECT uscc, name FROM registrations WHERE uscc = ?", [uscc])


def entity_links_of(con: duckdb.DuckDBPyConnection, uscc: str) -> pl.DataFrame:
    """The alerts and clues linked to a registration (source_kind, source_id, method, score)."""
    return read(
        con,
        "SELECT source_kind, source_id, method, score FROM entity_links WHERE uscc = ? ORDER BY source_kind, source_id",
        [uscc],
    )


def keyword_of(con: duckdb.DuckDBPyConnection, uscc: str) -> pl.DataFrame:
    """keyword_score, reason of a registration's sensitive-word screen."""
    return read(
        con,
        "SELECT keyword_score, reason FROM keyword_scores WHERE subject_kind = 'registration' AND subject_id = ?",
        [uscc],
    )


def relations_of(con: duckdb.DuckDBPyConnection, uscc: str) -> pl.DataFrame:
    """reason, weak: the registration's ties to flagged entities, strong ties first."""
    return read(
        con,
        "SELECT reason, coalesce(strength, 'strong') = 'weak' AS weak FROM entity_relations WHERE uscc = ? "
        "ORDER BY weak, relation, related_uscc",
        [uscc],
    )


def lead(con: duckdb.DuckDBPyConnection, lead_id: str) -> pl.DataFrame:
    """name, names, address_key of an unregistered-operator lead."""
    return read(con, "SELECT name, names, address_key FROM leads WHERE lead_id = ?", [lead_id])


def lead_members_of(con: duckdb.DuckDBPyConnection, lead_id: str) -> pl.DataFrame:
    """source_kind, source_id of the records grouped into the lead."""
    return read(
        con, "SELECT source_kind, source_id FROM lead_members WHERE lead_id = ? ORDER BY source_id", [lead_id]
    )


def scores_of(con: duckdb.DuckDBPyConnection, subject_id: str) -> pl.DataFrame:
    """run_id, score, tier, reasons, scored_at of every run that graded the subject (none before any run)."""
    if "risk_scores" not in tables(con):
        return pl.DataFrame()
    return read(
        con,
        "SELECT run_id, score, tier, reasons, scored_at FROM risk_scores WHERE subject_id = ?",
        [subject_id],
    )


def inspections_of(con: duckdb.DuckDBPyConnection, uscc: str) -> pl.DataFrame:
    """inspected_on, conclusion, newest first."""
    return read(
        con,
        "SELECT inspected_on, conclusion FROM inspections WHERE uscc = ? ORDER BY inspected_on DESC",
        [uscc],
    )


def actions_of(con: duckdb.DuckDBPyConnection, uscc: str) -> pl.DataFrame:
    """action, action_on, deadline in date order."""
    return read(
        con,
        "SELECT action, action_on, deadline FROM actions WHERE uscc = ? ORDER BY action_on, action",
        [uscc],
    )
