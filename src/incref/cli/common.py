"""Options and helpers every subcommand shares."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import click

MODELS = ("sc", "tso", "pso", "armv8", "rc11", "c11")


class Seconds(click.FloatRange):
    """A duration on the command line: a finite number of seconds above 0. `nan`, `inf`
    and `1e309` (which reads as inf) are refused: none of them is a budget."""

    name = "seconds"

    def __init__(self) -> None:
        super().__init__(min=0, min_open=True)

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return seconds


SECONDS = Seconds()


class OutputFile(click.ParamType):
    """A file the command will write when its work is done: checked before the work
    starts (not a directory, its folder exists and is writable), so minutes of measuring
    or checking never end in "cannot write"."""

    name = "file"

    def convert(self, value, param, ctx):
        path = Path(value)
        folder = path.parent
        if not str(value).strip():
            self.fail("an empty file name", param, ctx)
        elif path.is_dir():
            self.fail(f"{value}: is a directory, not a file name", param, ctx)
        elif not folder.is_dir():
            self.fail(f"{value}: the folder {folder} does not exist", param, ctx)
        elif not os.access(path if path.exists() else folder, os.W_OK):
            self.fail(f"{value}: not writable here", param, ctx)
        return str(value)


OUTPUT_FILE = OutputFile()


def comma_list(values: str | tuple[str, ...], option: str) -> list[str] | None:
    """The items of a comma-separated option (repeatable), in order; None when it was not
    given. An empty item (`''`, `','`, `1,,2`) is a usage error: it is a typo, and reading
    it as "nothing" or "the default" would answer a question the user did not ask."""
    texts = (values,) if isinstance(values, str) else values
    if not texts:
        return None
    items: list[str] = []
    for text in texts:
        parts = [part.strip() for part in text.split(",")]
        if not all(parts):
            raise click.BadParameter(f"{text!r} has an empty item (expected a list such as a,b)", param_hint=option)
        items.extend(parts)
    return items


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
