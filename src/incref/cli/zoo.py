"""`incref zoo`: the verdict matrix of every refcount scheme × zoo scenario × model.

Exit codes: 0 when every cell is complete (violations are the zoo's content, not an
error), 3 when a cell is incomplete, 2 for bad usage; with `--explain` the one cell's
own code (0 safe, 1 violation, 3 incomplete)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from incref import zoo
from incref.cli.common import OUTPUT_FILE, SECONDS, comma_list, emit_json, json_option

MARKS = {"safe": "✔", "violation": "✘", "incomplete": "?", "skipped": "–"}
SHORT = {
    "lost-update": "lost",
    "use-after-free": "uaf",
    "double-free": "2free",
    "leak": "leak",
    "data-race": "race",
    "assertion": "assert",
    "condition": "cond",
}
STYLES = {"safe": "green", "violation": "red", "incomplete": "yellow", "skipped": "dim"}


def mark(cell: zoo.Cell, short: bool = False) -> str:
    """The matrix text of a cell: ✔, ✘ and the violation kinds, ?, or – (skipped)."""
    text = MARKS[cell.verdict]
    if cell.verdict == "violation":
        text += " " + ",".join(SHORT[k] if short else k for k in cell.violation_kinds)
    return text


@click.command("zoo")
@click.option(
    "--models",
    multiple=True,
    metavar="M,...",
    help=f"Models to run (default: {', '.join(zoo.MODELS)}; c11 runs when named).",
)
@click.option("--schemes", multiple=True, metavar="S,...", help="Schemes to run (default: all).")
@click.option("--scenarios", multiple=True, metavar="NAME,...", help="Zoo scenarios to run (default: all).")
@click.option(
    "--timeout",
    type=SECONDS,
    default=zoo.CELL_TIMEOUT,
    show_default=True,
    help="Seconds allowed per cell; a cell cut short is '?' (incomplete).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="CPUs",
    help="Cells checked at once, each in its own process.",
)
@click.option(
    "--html",
    "html_path",
    type=OUTPUT_FILE,
    default=None,
    help="Also write a self-contained HTML page: the matrix and each counterexample timeline.",
)
@click.option(
    "--explain",
    nargs=3,
    metavar="SCHEME SCENARIO MODEL",
    default=None,
    help="Check one cell and print its counterexample timelines.",
)
@json_option
def command(models, schemes, scenarios, timeout, jobs, html_path, explain, as_json):
    """The refcount scheme zoo: each scheme × scenario × model checked exhaustively.

    ✔ safe, ✘ violation (with its kinds), ? incomplete, – the scenario does not apply to
    the scheme (docs/ZOO.md says why)."""
    err = Console(stderr=True)
    if explain:
        sys.exit(_explain(*explain, timeout=timeout, as_json=as_json))
    schemes, scenarios, models = (
        comma_list(schemes, "--schemes"),
        comma_list(scenarios, "--scenarios"),
        comma_list(models, "--models"),
    )
    planned = zoo.plan(schemes, scenarios, models)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("zoo", total=len(planned))

        def advance(cell: zoo.Cell) -> None:
            progress.update(task, advance=1, description=f"{cell.scheme} · {cell.scenario} · {cell.model}")

        cells = zoo.run(schemes, scenarios, models, timeout=timeout, jobs=jobs, on_cell=advance)
    if html_path:
        from incref.reports.zoo_html import render

        Path(html_path).write_text(render(cells), encoding="utf-8")
    if as_json:
        emit_json({"cells": [c.to_json() for c in cells]})
    else:
        Console().print(matrix(cells))
        if html_path:
            err.print(f"wrote {html_path}")
    sys.exit(3 if any(c.verdict == "incomplete" for c in cells) else 0)


def matrix(cells: list[zoo.Cell]) -> Table:
    """Rows: scenario, then scheme; columns: models; each cell its mark and seconds."""
    models = list(dict.fromkeys(c.model for c in cells))
    legend = ", ".join(f"{v} = {k}" for k, v in SHORT.items())
    table = Table(
        title="refcount scheme zoo",
        caption=f"✔ safe  ✘ violation ({legend})  ? incomplete  – does not apply",
        show_lines=False,
    )
    table.add_column("scenario", no_wrap=True)
    table.add_column("scheme", no_wrap=True)
    for model in models:
        table.add_column(model, no_wrap=True)
    rows: dict[tuple[str, str], dict[str, zoo.Cell]] = {}
    for cell in cells:
        rows.setdefault((cell.scenario, cell.scheme), {})[cell.model] = cell
    previous = None
    for (scenario, scheme), by_model in rows.items():
        if previous is not None and scenario != previous:
            table.add_section()
        row = [scenario if scenario != previous else "", scheme]
        for model in models:
            cell = by_model.get(model)
            if cell is None:
                row.append("")
            elif cell.verdict == "skipped":
                row.append(f"[{STYLES['skipped']}]{MARKS['skipped']}[/]")
            else:
                row.append(f"[{STYLES[cell.verdict]}]{mark(cell, short=True)}[/] [dim]{cell.seconds:.2f}s[/]")
        table.add_row(*row)
        previous = scenario
    return table


def _explain(scheme: str, scenario: str, model: str, *, timeout: float | None, as_json: bool) -> int:
    """Check one cell; print its verdict and each counterexample as a timeline."""
    [(scheme, found, model)] = zoo.plan([scheme], [scenario], [model])
    cell = zoo.run_cell(scheme, found, model, timeout=timeout)
    if cell.verdict == "skipped":
        if as_json:
            emit_json({"cell": cell.to_json(), "result": None})
        click.echo(
            f"{scenario} does not apply to {scheme} (it applies to: {', '.join(sorted(found.applies_to))})", err=True
        )
        return 0
    if as_json:
        emit_json({"cell": cell.to_json(), "result": cell.result.to_json()})
        return cell.result.exit_code
    from incref.reports.timeline import render_trace

    out = Console()
    out.print(
        f"{scheme} · {scenario} · {model}: [{STYLES[cell.verdict]}]{mark(cell)}[/] "
        f"({cell.states} states, {cell.executions} executions, {cell.seconds:.2f}s)"
    )
    for violation in cell.result.violations:
        out.print()
        out.print(render_trace(cell.program, violation), markup=False, highlight=False)
    return cell.result.exit_code
