"""Importing fundrisk makes polars' allocator give freed memory back (fundrisk/allocator.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import gc, os
{first}
import polars as pl

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

base = rss()
frame = pl.DataFrame({{"x": pl.arange(0, 50_000_000, eager=True)}}).with_columns(y=pl.col("x") * 2)
held = rss() - base
del frame
gc.collect()
print(os.environ.get("_RJEM_MALLOC_CONF"), held, rss() - base)
"""


def _probe(first: str, env: dict[str, str]) -> tuple[str, int, int]:
    clean = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | env
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(first=first)],
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], int(out[1]), int(out[2])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_dropped_frame_is_given_back_when_fundrisk_is_imported_first() -> None:
    conf, held, after = _probe("import fundrisk", {})
    assert conf.endswith(",dirty_decay_ms:0,muzzy_decay_ms:0")  # polars puts its defaults first
    assert held > 500 * 2**20  # the 800 MB frame was really allocated
    assert after < 100 * 2**20, f"{after / 2**20:.0f} MB still held after the frame was dropped"


def test_an_allocator_setting_in_the_environment_wins() -> None:
    conf, _, _ = _probe("import fundrisk", {"_RJEM_MALLOC_CONF": "dirty_decay_ms:5000"})
    assert conf.endswith(",dirty_decay_ms:5000")


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
