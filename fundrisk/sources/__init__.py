"""Readers and validation of the six input kinds (DESIGN.md, Inputs)."""

from fundrisk.sources.spec import KINDS, ColumnSpec, KindSpec, get_kind

__all__ = ["KINDS", "ColumnSpec", "KindSpec", "get_kind"]
