"""Enrichers: pure functions that add keyword, entity-resolution and registry facts to polars frames."""
