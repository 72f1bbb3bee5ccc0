"""Speed of the axiomatic engine, and a long run of the engine cross-validation.

Measured as CPU seconds of this process (`time.process_time`: on a shared machine the wall
clock mostly measures the other processes), one run each after one warm-up run that
compiles the models:

* every classic litmus test of `tests/test_axiomatic_classic.py` (2-4 threads) under
  every model it has a published verdict for: < 0.1 s each;
* 5 threads x one non-atomic increment (load; store r+1) under tso: < 1 s (herd7: ~6 s);
* `--crossval N`: N random programs (`tests/axiomatic_programs.py`) whose final states
  must be equal in the axiomatic and operational engines under sc, tso and pso.

Prints a table; exits 1 when a target is missed or the engines disagree.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from incref.checker import check  # noqa: E402
from incref.ir.program import BinOp, Const, Load, Program, Reg, Store, Thread  # noqa: E402


def cpu(fn):
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def increments(n: int) -> Program:
    inc = (Load("r0", "x"), Store("x", BinOp("+", Reg("r0"), Const(1))))
    return Program(f"{n}xINC", {"x": 0}, tuple(Thread(t, inc) for t in range(n)))


def crossval(count: int) -> int:
    """Run the Hypothesis generator `count` times; returns the number of disagreements."""
    from hypothesis import HealthCheck, given, settings

    from axiomatic_programs import programs

    bad: list[str] = []

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(programs())
    def run(program):
        for model in ("sc", "tso", "pso"):
            a = check(program, model, engine="axiomatic").states()
            o = check(program, model, engine="operational").states()
            if a != o:
                bad.append(f"{model}: {program}")

    run()
    for line in bad[:5]:
        print("DISAGREE", line)
    return len(bad)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="axiomatic engine speed targets")
    parser.add_argument(
        "--crossval",
        type=int,
        default=0,
        metavar="N",
        help="also cross-validate N random programs against the operational engine",
    )
    args = parser.parse_args(argv)
    from test_axiomatic_classic import CASES

    table = Table(title="axiomatic engine (CPU seconds)")
    for col in ("test", "model", "executions", "seconds", "target", "met"):
        table.add_column(col)
    missed = 0
    for name, (program, verdicts) in CASES.items():
        for model in verdicts:
            check(program, model, engine="axiomatic")
            result, secs = cpu(lambda: check(program, model, engine="axiomatic"))  # noqa: B023 (called at once)
            ok = secs < 0.1
            missed += not ok
            if not ok or name in ("SB", "IRIW", "WRC+rel+acq"):
                table.add_row(name, model, str(result.stats.executions), f"{secs:.4f}", "< 0.1", "yes" if ok else "NO")
    worst = max(cpu(lambda p=p, m=m: check(p, m, engine="axiomatic"))[1] for p, vs in CASES.values() for m in vs)
    table.add_row("(all classic)", "-", "-", f"max {worst:.4f}", "< 0.1", "yes" if worst < 0.1 else "NO")
    result, secs = cpu(lambda: check(increments(5), "tso", engine="axiomatic"))
    ok = secs < 1.0
    missed += not ok
    table.add_row("5xINC", "tso", str(result.stats.executions), f"{secs:.3f}", "< 1", "yes" if ok else "NO")
    Console().print(table)
    if args.crossval:
        (bad, secs) = cpu(lambda: crossval(args.crossval))
        print(f"cross-validation: {args.crossval} random programs x sc/tso/pso, {bad} disagreements, {secs:.1f} s")
        missed += bad > 0
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
