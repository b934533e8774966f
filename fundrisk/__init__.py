"""fundrisk: risk scoring and enrichment for illegal-fundraising prevention offices."""

from fundrisk.allocator import return_freed_memory

return_freed_memory()  # before polars is imported anywhere in the process (see fundrisk/allocator.py)

__version__ = "0.1.0"
