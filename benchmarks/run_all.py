"""Run every benchmark script (`benchmarks/bench_*.py`) in turn: `make bench`.

Each script prints its own table and exits non-zero when it misses a target; this runner
prints which ones did, and exits non-zero if any did. Pass names to run a subset:
`python benchmarks/run_all.py checker zoo`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(s.stem.removeprefix("bench_").startswith(a) for a in argv)]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(f"--- {script.name}: exit {code} in {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            failed.append(script.name)
    print("\nall benchmarks met their targets" if not failed else f"\nmissed targets: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
