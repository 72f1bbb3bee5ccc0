"""Options and helpers every subcommand shares."""

from __future__ import annotations

import json
import sys

import click

MODELS = ("sc", "tso", "pso", "armv8", "rc11", "c11")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document and nothing else on stdout."
)


def parse_sets(values: tuple[str, ...]) -> dict[str, int]:
    """`--set name=value` pairs; values are integers (may be negative; the scenario rejects
    what it cannot take)."""
    out: dict[str, int] = {}
    for item in values:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"expected name=value, got {item!r}", param_hint="--set")
        try:
            out[name] = int(value.strip(), 0)
        except ValueError:
            raise click.BadParameter(f"{name}: {value!r} is not an integer", param_hint="--set") from None
    return out


def emit_json(doc) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
