"""Shared helpers for benchmark scripts: timing, peak memory and a plain-text table."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def timed(func: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sizes_and_seed(argv: Sequence[str], sizes: tuple[int, ...], seed: int) -> tuple[tuple[int, ...], int]:
    """`SIZE ... [--seed S]` from the command line, with the script's defaults."""
    args = list(argv)
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        args = args[:i] + args[i + 2 :]
    return tuple(int(a) for a in args) or sizes, seed


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    headers = list(dict.fromkeys(k for row in rows for k in row))  # every row's keys, first seen first
    cells = [[_fmt(row.get(h)) for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
