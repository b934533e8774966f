"""`make bench`: run every benchmark script in its own process (so peak memory is its own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    scripts = [
        *sorted(HERE.glob("bench_*.py")),
        *sorted(HERE.glob("eval_*.py")),
        *sorted(HERE.glob("backtest_*.py")),
    ]
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        module = f"benchmarks.{script.stem}"
        failed += subprocess.call([sys.executable, "-m", module], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
