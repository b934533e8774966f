"""The only package that touches DuckDB: schema, connection, reads and writes."""

from fundrisk.warehouse.db import connect

__all__ = ["connect"]
