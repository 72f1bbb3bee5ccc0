"""`incref models`: the built-in memory models, one line each, or the `.cat` text of one.

Every axiomatic model is a `.cat` file in the package (`incref/models/cat/`); the list is
read from that folder and each line from the file's title, so it cannot drift from the
files. `--show NAME` prints the file as written, to read or to hand to herd7."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from incref.checker import OPERATIONAL_MODELS
from incref.cli.common import emit_json, json_option
from incref.models import axiomatic


@click.command("models")
@click.option("--show", "show", metavar="NAME", help="Print the .cat file of model NAME.")
@json_option
def command(show, as_json):
    """List the memory models (use a NAME with --model), or print one model's .cat file."""
    if show is not None:
        model = axiomatic.get(show)
        if as_json:
            emit_json({**_entry(show), "text": model.text})
        else:
            click.echo(model.text, nl=False)
        return
    entries = [_entry(name) for name in axiomatic.NAMES]
    if as_json:
        emit_json({"models": entries})
        return
    table = Table(title="Memory models (incref check S --model NAME; incref models --show NAME prints one)")
    for column in ("name", "source", "axioms", "engines"):
        table.add_column(column, style="bold" if column == "name" else None)
    for e in entries:
        table.add_row(e["name"], e["source"], ", ".join(e["axioms"]), ", ".join(e["engines"]))
    Console().print(table)


def _entry(name: str) -> dict:
    model = axiomatic.get(name)
    return {
        "name": name,
        "source": model.source,
        "file": str(model.path),
        "axioms": [a.name for a in model.axioms],
        "flags": [a.name for a in model.flags],
        "engines": ["operational", "axiomatic"] if name in OPERATIONAL_MODELS else ["axiomatic"],
    }
