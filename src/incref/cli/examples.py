"""`incref examples`: the bundled scenarios, one line each, or the text of one of them.

The one-line description is the quoted text of each file's `scenario` header, so the
list cannot drift from the files."""

from __future__ import annotations

import click
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from incref import examples
from incref.cli.common import emit_json, json_option
from incref.errors import UsageError
from incref.frontends import load_program


@click.command("examples")
@click.argument("name", required=False)
@json_option
def command(name, as_json):
    """List the bundled example scenarios (use a NAME with `incref check NAME`), or show
    the scenario text of NAME. The scheme zoo's scenarios are listed after them and load by
    name too."""
    if name is None:
        entries = [_entry(n) for n in examples.names()]
        zoo = [_entry(n) for n in examples.zoo_names()]
        if as_json:
            emit_json({"examples": entries, "zoo": zoo})
        else:
            _print_table(entries, "Bundled scenarios (incref check NAME; incref examples NAME shows one)")
            _print_table(zoo, "Zoo scenarios (incref zoo runs them with every scheme; incref check NAME --scheme S)")
        return
    path = examples.path(name)
    if path is None:
        raise UsageError(examples.unknown(name))
    text = path.read_text(encoding="utf-8")
    if as_json:
        emit_json({**_entry(name), "source": text})
    else:
        Console().print(Syntax(text, "python", theme="ansi_dark", background_color="default"))


def _entry(name: str) -> dict:
    program = load_program(name)
    return {
        "name": name,
        "description": program.meta.get("description", ""),
        "params": dict(program.meta.get("params", {})),
        "threads": len(program.threads),
        "objects": list(program.objects),
        "condition": program.condition.text if program.condition else None,
    }


def _print_table(entries: list[dict], title: str) -> None:
    table = Table(title=title)
    table.add_column("name", style="bold")
    table.add_column("parameters")
    table.add_column("story")
    for e in entries:
        params = " ".join(f"{k}={v}" for k, v in e["params"].items())
        table.add_row(e["name"], params, e["description"])
    Console().print(table)
