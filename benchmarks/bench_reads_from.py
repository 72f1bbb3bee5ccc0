"""Targets of the reads-from-driven axiomatic search (issue 11), with peak memory.

Each case runs in its own process (so its peak RSS, `ru_maxrss` of the child, is its
own) and is timed as CPU seconds of that process (user + system from `os.wait4`: on a
shared machine the wall clock mostly measures other processes; the wall clock and the
load average are printed too). Cases:

* INC5: the catalogue's c/INC5-rlx-load-rel-store (five threads, each a relaxed load of
  x and a release store of x + k, distinct k) under rc11: exactly 14,400 executions,
  < 2 s (herd7 7.57: about 20 s on this machine);
* INC6: the same with six threads (generated here, not in the catalogue): exactly
  518,400 executions, < 120 s -- only with `--six` (minutes of CPU);
* `incref check incref-decref --scheme biased` and every biased zoo cell under rc11 and
  armv8: < 10 s each;
* every case under 500 MB peak RSS.

Prints a table; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

INC = """C INC{n}
"{n} threads add distinct constants to x with a relaxed load and a release store"
{{ [x] = 0; }}
{threads}
exists (x=1)
"""
THREAD = """P{t} (atomic_int* x) {{
  int r0 = atomic_load_explicit(x, memory_order_relaxed);
  atomic_store_explicit(x, r0 + {k}, memory_order_release);
}}"""


def inc_litmus(n: int, path: str) -> str:
    threads = "\n".join(THREAD.format(t=t, k=1 << t) for t in range(n))
    with open(path, "w") as f:
        f.write(INC.format(n=n, threads=threads))
    return path


def run(argv: list[str]) -> tuple[dict, float, float, int]:
    """(JSON result, CPU seconds, wall seconds, peak RSS in KB) of `incref ... --json`."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "incref"), *argv, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    return json.loads(out), usage.ru_utime + usage.ru_stime, time.monotonic() - start, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--six", action="store_true", help="also run the six-thread case (518,400 executions)")
    args = parser.parse_args()
    from incref import catalogue

    cases = [
        ("INC5 rc11", ["litmus", str(catalogue.get("c/INC5-rlx-load-rel-store").path), "--model", "rc11"], 2.0, 14400)
    ]
    if args.six:
        path = inc_litmus(6, "/tmp/incref-INC6.litmus")
        cases.append(("INC6 rc11", ["litmus", path, "--model", "rc11"], 120.0, 518400))
    for model in ("rc11", "armv8"):
        cases.append(
            (
                f"incref-decref biased {model}",
                ["check", "incref-decref", "--scheme", "biased", "--model", model, "--timeout", "60"],
                10.0,
                None,
            )
        )
        cases.append(
            (
                f"zoo biased {model}",
                ["zoo", "--schemes", "biased", "--models", model, "--jobs", "1", "--timeout", "60"],
                10.0,
                None,
            )
        )
    table = Table(title=f"reads-from search (load average {open('/proc/loadavg').read().split()[0]} at start)")
    for col in ("case", "executions", "CPU s", "wall s", "peak RSS MB", "target", "met"):
        table.add_column(col)
    missed = 0
    for name, argv, limit, expected in cases:
        doc, cpu, wall, rss = run(argv)
        if "cells" in doc:  # the zoo: each cell within the limit (the CPU column is all cells)
            executions = sum(c["executions"] for c in doc["cells"])
            complete = all(c["verdict"] != "incomplete" for c in doc["cells"])
            complete = complete and max(c["seconds"] for c in doc["cells"]) < limit
            cpu_ok = True
        else:
            stats = doc.get("stats") or {}
            executions = stats.get("executions", doc.get("positive", 0) + doc.get("negative", 0))
            complete = doc.get("complete", stats.get("complete", True))
            cpu_ok = cpu < limit
        ok = cpu_ok and rss < 500 * 1024 and complete and (expected is None or executions == expected)
        missed += not ok
        table.add_row(
            name,
            f"{executions:,}" if isinstance(executions, int) else "-",
            f"{cpu:.2f}",
            f"{wall:.2f}",
            f"{rss / 1024:.0f}",
            f"< {limit:g} s" + (f", = {expected:,}" if expected else ""),
            "yes" if ok else "NO",
        )
    Console().print(table)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
