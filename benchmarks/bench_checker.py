"""Checker benchmarks (issue 3): wall time, distinct states, complete executions and
peak memory of the operational checker, with the targets it must meet.

Each case runs in a fresh interpreter (`--case NAME`) so that its peak resident memory
(`resource.getrusage(...).ru_maxrss`, which covers the whole process: interpreter,
imports and search) is its own. "seconds" is the wall time of `incref.checker.check`
alone (the search and the trace rebuilding), measured with `time.perf_counter`; the
`--timeout 1` case measures the whole `incref check` command, process start included.

Targets: incref-race 3 threads x 2 ops, plain, TSO, all outcomes < 2 s; 6 threads x 1
op, SC, < 5 s; peak memory < 500 MB for both; on a scenario with two objects touched
by different threads the reduction explores >= 2x fewer executions; `--timeout 1`
returns within 1.5 s with exit 3; `--max-states 1000` on a large scenario exits 3."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
INCREF = str(Path(sys.executable).with_name("incref"))

CASES = {
    # name: (spec, params, scheme, model, reduction)
    "race-3x2-tso": ("incref-race", {"threads": 3, "ops": 2}, "plain", "tso", True),
    "race-6x1-sc": ("incref-race", {"threads": 6, "ops": 1}, "plain", "sc", True),
    "two-objects-tso": (str(HERE / "two_objects.inc"), {}, "plain", "tso", True),
    "two-objects-tso-noreduction": (str(HERE / "two_objects.inc"), {}, "plain", "tso", False),
    "two-objects-2ops-sc": (str(HERE / "two_objects.inc"), {"ops": 2}, "plain", "sc", True),
    "two-objects-2ops-sc-noreduction": (str(HERE / "two_objects.inc"), {"ops": 2}, "plain", "sc", False),
}


def run_case(name: str) -> dict:
    from incref.checker import check
    from incref.frontends import load_program
    from incref.schemes import apply_scheme, get

    spec, params, scheme, model, reduction = CASES[name]
    program = apply_scheme(load_program(spec, params or None), get(scheme))
    start, cpu = time.perf_counter(), time.process_time()
    result = check(program, model, reduction=reduction)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "explored": result.stats.explored,
        "executions": result.stats.executions,
        "outcomes": len(result.outcomes),
        "verdict": result.verdict,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_subprocess(name: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def cli_budget(args: list[str]) -> tuple[int, float]:
    start = time.perf_counter()
    code = subprocess.run([INCREF, "check", *args, "--json"], capture_output=True, text=True).returncode
    return code, time.perf_counter() - start


def main() -> int:
    rows = {name: in_subprocess(name) for name in CASES}
    table = Table(title="incref check: operational engine (one fresh process per case)", title_justify="left")
    for col in ("case", "verdict", "wall s", "cpu s", "states", "executions", "outcomes", "peak MB"):
        table.add_column(col, justify="left" if col in ("case", "verdict") else "right", no_wrap=col == "case")
    for name, r in rows.items():
        table.add_row(
            name,
            r["verdict"],
            f"{r['seconds']:.2f}",
            f"{r['cpu']:.2f}",
            f"{r['explored']:,}",
            f"{r['executions']:,}",
            str(r["outcomes"]),
            f"{r['peak_mb']:.0f}",
        )
    console = Console(width=120)
    console.print(table)
    load = os.getloadavg()[0]
    console.print(
        f"load average {load:.1f} on {os.cpu_count()} CPUs: wall times include waiting for a CPU "
        "when the load exceeds the CPU count; cpu s is this process's own time."
    )

    ratio_tso = rows["two-objects-tso-noreduction"]["executions"] / rows["two-objects-tso"]["executions"]
    ratio_sc = rows["two-objects-2ops-sc-noreduction"]["executions"] / rows["two-objects-2ops-sc"]["executions"]
    timeout_code, timeout_wall = cli_budget(
        ["incref-race", "--set", "threads=8", "--set", "ops=2", "--model", "tso", "--timeout", "1"]
    )
    budget_code, _ = cli_budget(
        ["incref-race", "--set", "threads=8", "--set", "ops=2", "--model", "tso", "--max-states", "1000"]
    )
    targets = [
        ("race 3x2 plain tso < 2 s", rows["race-3x2-tso"]["seconds"] < 2.0, f"{rows['race-3x2-tso']['seconds']:.2f} s"),
        ("race 6x1 plain sc < 5 s", rows["race-6x1-sc"]["seconds"] < 5.0, f"{rows['race-6x1-sc']['seconds']:.2f} s"),
        (
            "peak memory < 500 MB",
            max(rows["race-3x2-tso"]["peak_mb"], rows["race-6x1-sc"]["peak_mb"]) < 500,
            f"{max(rows['race-3x2-tso']['peak_mb'], rows['race-6x1-sc']['peak_mb']):.0f} MB",
        ),
        ("two objects: reduction >= 2x fewer executions (tso)", ratio_tso >= 2, f"{ratio_tso:,.1f}x"),
        ("two objects, 2 ops: reduction >= 2x fewer executions (sc)", ratio_sc >= 2, f"{ratio_sc:,.1f}x"),
        (
            "--timeout 1: exit 3 within 1.5 s (whole command)",
            timeout_code == 3 and timeout_wall < 1.5,
            f"exit {timeout_code}, {timeout_wall:.2f} s",
        ),
        ("--max-states 1000: exit 3", budget_code == 3, f"exit {budget_code}"),
    ]
    summary = Table(title="targets (wall time)", title_justify="left")
    for col in ("target", "measured", "met"):
        summary.add_column(col)
    for text, ok, measured in targets:
        summary.add_row(text, measured, "yes" if ok else "[red]NO[/red]")
    console.print(summary)
    return 0 if all(ok for _, ok, _ in targets) else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2])))
        sys.exit(0)
    sys.exit(main())
