"""fundrisk: risk scoring and enrichment for illegal-fundraising prevention offices."""

__version__ = "0.1.0"
