"""Memory freed on the C heap is handed back between a run's steps (fundrisk/allocator.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc/self/statm")
def test_memory_freed_on_the_c_heap_is_handed_back_between_steps() -> None:
    probe = """
import gc, os
from fundrisk.allocator import release_freed_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

base = rss()
rows = [str(i).rjust(1000, "x") for i in range(300_000)]  # above pymalloc's 512 bytes: glibc's heap
keep = rows[::1000]  # a few survivors pin the heap's top, so glibc cannot just shrink it
del rows
gc.collect()
before = rss() - base
release_freed_memory()
print(before, rss() - base)
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before > 100 * 2**20, "the freed rows were not held (nothing to hand back)"
    assert after < before / 2
