"""`incref check`: every execution of a scenario under a memory model, with a refcount
scheme; the outcome table, the shortest trace of each violation as a timeline, and an
honest verdict (exit 0 safe, 1 violation, 2 bad input, 3 incomplete)."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console

from incref.cli.common import MODELS, SECONDS, emit_json, json_option


class _ProgressLine:
    """States and states/s on stderr, at most twice a second, once a search has run for
    a second (short checks print nothing)."""

    def __init__(self) -> None:
        self.shown = False
        self.last = 0.0

    def __call__(self, states: int, seconds: float) -> None:
        if seconds < 1.0 or seconds - self.last < 0.5:
            return
        self.last = seconds
        self.shown = True
        sys.stderr.write(f"\rexploring: {states:,} states, {states / seconds:,.0f} states/s ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


@click.command("check")
@click.argument("scenario")
@click.option("--model", type=click.Choice(MODELS), default="sc", show_default=True, help="Memory model.")
@click.option(
    "--engine",
    type=click.Choice(("auto", "operational", "axiomatic")),
    default="auto",
    show_default=True,
    help="auto: operational for sc/tso/pso, axiomatic for armv8/rc11/c11.",
)
@click.option("--scheme", default="plain", show_default=True, help="Refcount scheme expanding incref/decref.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Scenario parameter (repeatable).")
@click.option(
    "--max-states",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many distinct states (verdict: incomplete).",
)
@click.option(
    "--timeout",
    type=SECONDS,
    default=None,
    help="Stop after this many seconds (verdict: incomplete).",
)
@click.option("--no-reduction", is_flag=True, help="Explore without the partial-order reduction.")
@json_option
def command(scenario, model, engine, scheme, sets, max_states, timeout, no_reduction, as_json):
    """Explore every execution of SCENARIO (a bundled example, .inc or .litmus file)."""
    from incref.checker import check, refuse_engine_without_model
    from incref.cli.compare import prepare

    refuse_engine_without_model(engine, model)
    program = prepare(scenario, sets, scheme)
    if timeout is not None:
        timeout = _search_budget(timeout)
    progress = None if as_json else _ProgressLine()
    try:
        result = check(
            program,
            model,
            engine=engine,
            reduction=not no_reduction,
            max_states=max_states,
            timeout=timeout,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        emit_json(result.to_json())
    else:
        _print(program, result)
    raise SystemExit(result.exit_code)


def _search_budget(timeout: float) -> float:
    """`--timeout` bounds the whole command: the search gets what is left after the
    interpreter started and the scenario loaded, less a reserve for rebuilding traces and
    printing."""
    reserve = min(0.3, 0.2 * timeout)
    return max(0.05, timeout - _process_age() - reserve)


def _process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def _print(program, result) -> None:
    from incref.reports.tables import outcome_table
    from incref.reports.timeline import trace_table

    out = Console()
    out.print(
        f"[bold]{program.name}[/bold]  scheme {result.scheme or '-'}, model {result.model}, engine {result.engine}"
    )
    out.print(outcome_table(program, result))
    for v in result.violations:
        out.print(trace_table(program, v))
    if result.condition_text is not None:
        holds = {True: "holds", False: "does not hold", None: "undecided (the search is incomplete)"}
        out.print(f"condition {result.condition_text}: {holds[result.condition_holds]}")
    s = result.stats
    kinds = f" ({', '.join(result.violation_kinds())})" if result.violations else ""
    out.print(
        f"[bold]verdict: {result.verdict}{kinds}[/bold] — {s.explored:,} states, "
        f"{s.executions:,} executions, {s.seconds:.2f} s"
    )
    if result.incomplete_reason:
        out.print(f"incomplete: {result.incomplete_reason}")
