"""`incref compare`: the same scenario through the model checker, the cache simulator and
this machine's cores, side by side, and the inclusions DESIGN.md promises — hardware ⊆
simulator ⊆ model. An outcome outside an engine it must lie within is a bug in incref or
a discovery; either way it is a loud error and exit 1.

The engines are composed in `incref.compose` (`ENGINES`, `Column`, `escapes`); this
module parses the options and renders the table."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from incref.cli.common import MODELS, SECONDS, emit_json, json_option, parse_sets
from incref.compose import ENGINES, Column, Options, default_model, escapes, hardware_expressible, prepare
from incref.hardware.runner import check_iterations


def outcome_table(columns: list[Column], keys: tuple[str, ...], bad: set[tuple], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for key in keys:
        table.add_column(key, justify="right")
    for column in columns:
        table.add_column(column.engine, justify="right")
    states = sorted({o.key() for c in columns for o in c.outcomes})
    counts = [{o.key(): o.count for o in c.outcomes} for c in columns]
    for state in states:
        values = dict(state)
        cells = [str(values.get(k, "")) for k in keys]
        for column, count in zip(columns, counts):
            if state not in count:
                cells.append("—")
            elif column.exhaustive:
                cells.append("allowed")
            else:
                cells.append(f"{count[state]:,}" + (" [bold red]FORBIDDEN[/]" if state in bad else ""))
        table.add_row(*cells)
    return table


@click.command("compare")
@click.argument("spec")
@click.option(
    "--model", type=click.Choice(MODELS), default=None, help="Memory model (default: this machine's, tso on x86)."
)
@click.option("--iterations", "-n", type=int, default=100_000, show_default=True, help="Hardware iterations.")
@click.option("--scheme", default="plain", show_default=True, help="Refcount scheme for scenarios with incref/decref.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Scenario parameter (repeatable).")
@click.option(
    "--deadline",
    type=SECONDS,
    default=None,
    help="Seconds before the hardware watchdog stops the run.",
)
@json_option
def command(spec, model, iterations, scheme, sets, deadline, as_json):
    """Run SPEC through the model checker, the cache simulator and this machine's cores and
    check hardware ⊆ simulator ⊆ model. Exit 1 if one is not (loudly), 3 if an engine
    did not finish, 0 otherwise."""
    check_iterations(iterations)
    program = prepare(spec, scheme, parse_sets(sets))
    hardware_expressible(program, spec)
    options = Options(model or default_model(), iterations, deadline)
    err = Console(stderr=True)
    columns: dict[str, Column] = {}
    for engine in ENGINES:
        if not as_json:
            err.print(f"[dim]{engine.name}…[/]")
        columns[engine.name] = engine.column(program, options)
    found = escapes(columns)
    complete = all(c.complete for c in columns.values())
    code = 1 if found else (0 if complete else 3)
    if as_json:
        emit_json(
            {
                "scenario": program.name,
                "scheme": program.scheme,
                "model": options.model,
                "verdict": {0: "included", 1: "violation", 3: "incomplete"}[code],
                "engines": [c.to_json() for c in columns.values()],
                "violations": [e.to_json() for e in found],
            }
        )
        raise SystemExit(code)
    out = Console()
    bad = {e.outcome.key() for e in found}
    out.print(
        outcome_table(list(columns.values()), program.state_keys(), bad, f"{program.name}: {' vs '.join(columns)}")
    )
    for column in columns.values():
        for note in column.notes:
            out.print(f"[yellow]{column.engine}: {note}[/]")
    for escape in found:
        err.print(f"[bold red]INCLUSION VIOLATED: {escape.message()}[/]")
    if not found:
        out.print(
            "[green]hardware ⊆ simulator ⊆ model: every outcome is allowed where it must be[/]"
            if complete
            else "[yellow]inclusion not established: an engine did not finish[/]"
        )
    raise SystemExit(code)
