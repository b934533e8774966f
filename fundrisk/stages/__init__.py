"""Pipeline steps: read from the warehouse, call the pure enrichers, write back. Flows call these."""
