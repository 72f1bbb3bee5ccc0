"""Cache-simulator benchmarks (issue 7): timed-mode simulated memory operations per second,
and exhaustive-mode state counts and times.

Timed mode: `incref.simulator.timed.run` on `incref bench`'s loop bodies (one incref and
one decref per iteration), 2 threads, for each protocol and interconnect; "M ops/s" is the
number of simulated memory operations (loads, stores, RMWs) divided by the wall time of
the run loop alone (`time.perf_counter`; compiling the protocol into its line-state table,
a few milliseconds, and building the kernel, cached, are not counted). Target: >= 1 M
simulated operations per second in every row (for scale: pycachesim ~0.4 M/s, gem5 Ruby
0.1-0.8 M/s). The Python reference loop is shown for one row, not held to the target.

Exhaustive mode: states stored and wall time of `incref.simulator.exhaustive.simulate`
for the scenarios the tests cover (no target: the numbers are reported)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.table import Table

TARGET_OPS_PER_SECOND = 1_000_000
ITERATIONS = 2_000_000


def timed_rows() -> tuple[Table, bool]:
    from incref.hardware.bench import VARIANTS, loop_program
    from incref.simulator import timed
    from incref.simulator.machine import Config
    from incref.simulator.protocols import INTERCONNECTS, load, names

    variants = {v.name: v for v in VARIANTS}
    table = Table(
        title=f"timed mode: simulated memory operations per second (target >= {TARGET_OPS_PER_SECOND:,})",
        title_justify="left",
    )
    for col in (
        "protocol",
        "interconnect",
        "loop",
        "kernel",
        "operations",
        "seconds",
        "M ops/s",
        "cycles/iter",
        "target",
    ):
        table.add_column(col, justify="left" if col in ("protocol", "interconnect", "loop", "kernel") else "right")
    ok = True
    cases = [(p, i, loop, "c", ITERATIONS) for p in names() for i in INTERCONNECTS for loop in ("plain", "atomic")]
    cases.append(("mesi", "bus", "plain", "python", ITERATIONS // 10))
    for proto, interconnect, loop, kernel, iterations in cases:
        program, _ = loop_program(variants[loop], 2, "shared")
        result = timed.run(program, Config(load(proto, interconnect)), iterations, kernel=kernel)
        met = result.ops_per_second >= TARGET_OPS_PER_SECOND
        if kernel == "c":
            ok &= met
        table.add_row(
            proto,
            interconnect,
            f"{loop}, 2 threads shared",
            kernel,
            f"{result.operations:,}",
            f"{result.seconds:.3f}",
            f"{result.ops_per_second / 1e6:.1f}",
            f"{result.cycles_per_iteration():.1f}",
            ("met" if met else "MISSED") if kernel == "c" else "(reference)",
        )
    return table, ok


def exhaustive_rows() -> Table:
    from incref.frontends import load_program
    from incref.schemes import apply_scheme, get
    from incref.simulator.exhaustive import simulate
    from incref.simulator.machine import Config
    from incref.simulator.protocols import INTERCONNECTS, load, names

    table = Table(title="exhaustive mode: reachable states and wall time (store buffers on)", title_justify="left")
    for col in ("scenario", "protocol", "interconnect", "states", "seconds", "SWMR", "data-value"):
        table.add_column(col, justify="left" if col in ("scenario", "protocol", "interconnect") else "right")
    for spec, params, scheme in [
        ("incref-race", {}, "plain"),
        ("incref-race", {"threads": 3}, "plain"),
        ("incref-race", {"threads": 3}, "atomic"),
        ("sb", {}, "plain"),
        ("mp", {}, "plain"),
    ]:
        program = apply_scheme(load_program(spec, params or None), get(scheme))
        for proto in names():
            for interconnect in INTERCONNECTS:
                start = time.perf_counter()
                result = simulate(program, Config(load(proto, interconnect)))
                extra = result.stats.extra
                table.add_row(
                    f"{spec} {scheme}" + (f" threads={params['threads']}" if params else ""),
                    proto,
                    interconnect,
                    f"{result.stats.explored:,}",
                    f"{time.perf_counter() - start:.2f}",
                    "held" if extra["swmr"] else "BROKEN",
                    "held" if extra["data_value"] else "BROKEN",
                )
    return table


def main() -> int:
    out = Console(width=150)
    timed_table, ok = timed_rows()
    out.print(timed_table)
    out.print(exhaustive_rows())
    out.print("timed-mode target met" if ok else "[red]timed-mode target MISSED[/]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
