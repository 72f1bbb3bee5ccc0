"""The outcome table of a check: one row per final state, one column per state key, the
number of explored executions ending there, and whether the state satisfies the
scenario's condition (herd7 prints the same facts as "Positive/Negative" counts)."""

from __future__ import annotations

from rich.table import Table

from incref.ir.program import Program
from incref.ir.results import CheckResult, sort_outcomes


def outcome_table(program: Program, result: CheckResult) -> Table:
    keys = list(program.state_keys())
    for o in result.outcomes:
        keys += [k for k in o.state if k not in keys]
    cond = program.condition
    complete = "" if result.stats.complete else ", incomplete"
    table = Table(title=f"{len(result.outcomes)} final states under {result.model}{complete}", title_justify="left")
    for key in keys:
        table.add_column(key, justify="right")
    table.add_column("executions", justify="right")
    if cond is not None:
        table.add_column(cond.text)
    for o in sort_outcomes(result.outcomes):
        row = [str(o.state.get(k, "")) for k in keys] + [f"{o.count:,}"]
        if cond is not None:
            row.append("yes" if cond.satisfied_by(o.state) else "no")
        table.add_row(*row)
    return table
