"""The `incref` command: one click group; each subcommand lives in its own module here
(`incref.cli.<name>`, exposing `command`) and is imported only when used."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from incref.errors import InputError

# subcommand -> module; a subcommand is offered only once its module exists
SUBCOMMANDS = {
    "check": "check",
    "litmus": "litmus",
    "zoo": "zoo",
    "run": "run",
    "bench": "bench",
    "simulate": "simulate",
    "compare": "compare",
    "experiment": "experiment",
    "examples": "examples",
    "tour": "tour",
    "models": "models",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return [name for name, mod in SUBCOMMANDS.items() if _module_exists(mod)]

    def get_command(self, ctx, name):
        mod = SUBCOMMANDS.get(name)
        if mod is None or not _module_exists(mod):
            return None
        return importlib.import_module(f"incref.cli.{mod}").command


def _module_exists(mod: str) -> bool:
    return importlib.util.find_spec(f"incref.cli.{mod}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="incref")
def cli() -> None:
    """incref: can two cores lose a reference-count increment, and what does each fix cost?

    One scenario, three engines: `check` (exhaustive model checker), `simulate` (cache
    coherence), `run` (real cores). Exit codes: 0 safe / as expected, 1 violation found,
    2 bad input or usage, 3 incomplete (a budget ran out)."""


def _one_line(exc: click.ClickException) -> str:
    """Click's own report is four lines (usage, hint, blank, error); the contract is one line
    on stderr, so keep the error, name the command it came from and point at its help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return f"incref: {message}"
    return f"{ctx.command_path}: {message} (see '{ctx.command_path} --help')"


def main() -> None:
    """Entry point: bad input is one line on stderr and exit 2, never a traceback
    (set INCREF_DEBUG=1 to see the traceback of an internal error)."""
    try:
        cli.main(standalone_mode=False, prog_name="incref")
    except getattr(click.exceptions, "NoArgsIsHelpError", ()) as exc:  # click >= 8.2 only
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("incref: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(_one_line(exc), err=True)
        sys.exit(2)
    except InputError as exc:
        click.echo(f"incref: {exc}", err=True)
        sys.exit(2)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the promise is "never a traceback"
        if os.environ.get("INCREF_DEBUG"):
            raise
        click.echo(
            f"incref: internal error: {type(exc).__name__}: {exc} "
            "(a bug in incref; INCREF_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(2)
