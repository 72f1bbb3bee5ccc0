"""The whole zoo matrix against its targets (issue 5): every scheme × zoo scenario ×
model complete, the whole matrix in under 2 minutes of wall time, each cell in under
10 s. Cells run as `incref zoo` runs them: each in a child process, as many at once as
there are CPUs, with the zoo's default search budget (`zoo.CELL_TIMEOUT`), so a cell
over 10 s still gets its verdict and is reported as missing the per-cell target.

Prints the totals, the slowest cells and every incomplete one; exits 1 when a target is
missed. Cell times are wall-clock seconds inside the child (scheme expansion and the
check), measured on this machine with whatever else it is running."""

from __future__ import annotations

import os
import sys
import time

from rich.console import Console
from rich.table import Table

from incref import zoo

MATRIX_SECONDS = 120.0
CELL_SECONDS = 10.0


def main() -> int:
    jobs = os.cpu_count() or 1
    start = time.perf_counter()
    cells = zoo.run(timeout=zoo.CELL_TIMEOUT, jobs=jobs)
    wall = time.perf_counter() - start
    checked = [c for c in cells if c.verdict != "skipped"]
    slow = sorted(checked, key=lambda c: c.seconds, reverse=True)
    incomplete = [c for c in checked if c.verdict == "incomplete"]
    over = [c for c in checked if c.seconds >= CELL_SECONDS]

    out = Console()
    summary = Table(title=f"zoo matrix ({jobs} jobs)")
    for column in ("cells", "checked", "skipped", "incomplete", "wall s", "target s", "slowest cell s"):
        summary.add_column(column, justify="right")
    summary.add_row(
        str(len(cells)),
        str(len(checked)),
        str(len(cells) - len(checked)),
        str(len(incomplete)),
        f"{wall:.1f}",
        f"< {MATRIX_SECONDS:g}",
        f"{slow[0].seconds:.2f}" if slow else "-",
    )
    out.print(summary)
    detail = Table(title="slowest and incomplete cells")
    for column in ("scheme", "scenario", "model", "verdict", "states", "seconds"):
        detail.add_column(column)
    shown = slow[:10] + [c for c in incomplete if c not in slow[:10]]
    for c in shown:
        detail.add_row(c.scheme, c.scenario, c.model, c.verdict, str(c.states), f"{c.seconds:.2f}")
    out.print(detail)

    missed = []
    if wall >= MATRIX_SECONDS:
        missed.append(f"matrix took {wall:.1f} s (target < {MATRIX_SECONDS:g} s)")
    if over:
        missed.append(f"{len(over)} cells took {CELL_SECONDS:g} s or more")
    if incomplete:
        missed.append(f"{len(incomplete)} cells incomplete")
    for line in missed:
        out.print(f"[red]missed:[/] {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
