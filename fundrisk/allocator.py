"""Hand memory freed on the C heap back to the system between a run's steps.

Python objects above pymalloc's size, numpy and scikit-learn allocate through glibc, which keeps the freed
pages of its arenas. polars has its own jemalloc (polars/__init__.py sets it to purge after 0.5–1 s);
making it purge at once (``_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0``) lowered resolution's
peak at 3M by 0.9 GB in isolation but not the whole run's, and tripled the snapshot scan's time, so it is
left to the analyst's environment.
"""

from __future__ import annotations

import ctypes


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``; nothing elsewhere).

    Python objects, numpy and scikit-learn allocate through glibc, which keeps freed pages of its arenas.
    Called between a run's steps: the registry step at 3 million registrations left 0.4 GB of freed
    dicts and strings held this way, on top of the next step's peak.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return
    trim(0)
