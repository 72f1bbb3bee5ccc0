"""`incref experiment NAME`: the refcount story measured on a running Python."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from incref.cli.common import emit_json, json_option
from incref.errors import UsageError
from incref.hardware.experiments import EXPERIMENTS, ProbeTimeout, run
from incref.hardware.experiments.report import findings, render


@click.command("experiment")
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the experiments and exit.")
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="Run the experiment in this interpreter (e.g. a free-threaded python3.13t).",
)
@click.option("--threads", type=int, default=None, help="Threads for python-race and pyobject-contention (default 2).")
@click.option("--quick", is_flag=True, help="Smaller sizes (what the tour and the tests use).")
@json_option
def command(name, list_only, python, threads, quick, as_json):
    """Run experiment NAME (python-race, fork-cow, pyobject-contention) on a Python
    interpreter and report what it measured. Exit 0 when it ran (or was skipped on a
    platform that cannot run it), 2 on bad usage, 3 if it did not finish in time."""
    if list_only:
        _list(as_json)
        return
    if name is None:
        raise UsageError("name an experiment (incref experiment --list shows them)")
    try:
        with Console(stderr=True).status(f"running {name} in {python or sys.executable} ...", spinner="dots"):
            result = run(name, python=python, threads=threads, quick=quick)
    except ProbeTimeout as exc:
        click.echo(f"incref: incomplete: {exc}", err=True)
        sys.exit(3)
    if as_json:
        emit_json({**result.to_json(), "findings": findings(result)})
    else:
        Console().print(render(result))


def _list(as_json: bool) -> None:
    if as_json:
        emit_json({"experiments": [{"name": e.name, "summary": e.summary} for e in EXPERIMENTS.values()]})
        return
    table = Table("experiment", "what it measures")
    for e in EXPERIMENTS.values():
        table.add_row(e.name, e.summary)
    Console().print(table)
