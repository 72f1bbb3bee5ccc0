"""`incref check`: every execution of a scenario under a memory model, with a refcount
scheme; the outcome table, the shortest trace of each violation as a timeline, and an
honest verdict (exit 0 safe, 1 violation, 2 bad input, 3 incomplete)."""

from __future__ import annotations

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
    from incref import budget
    from incref.checker import check, refuse_engine_without_model
    from incref.cli.compare import prepare

    refuse_engine_without_model(engine, model)
    timeout, default_limit = wall_clock_limit(timeout, max_states)
    progress = None if as_json else _ProgressLine()
    program = None
    try:
        with budget.limit(timeout):
            program = prepare(scenario, sets, scheme)
            default_limit = note_limit(default_limit)
            budget.check("exploring")
            result = check(
                program,
                model,
                engine=engine,
                reduction=not no_reduction,
                max_states=max_states,
                timeout=search_seconds(timeout),
                progress=progress,
            )
    except budget.OutOfTime as exc:
        note_limit(default_limit)
        result = out_of_time(scenario if program is None else program.name, model, scheme, engine, exc, timeout)
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        emit_json(result.to_json())
    else:
        _print(program, result)
    raise SystemExit(result.exit_code)


def wall_clock_limit(timeout: float | None, max_states: int | None) -> tuple[float | None, str | None]:
    """`--timeout`, or the default wall-clock limit a `--max-states` run gets without one
    (a state budget alone can run for minutes), with the line that says so."""
    from incref.budget import DEFAULT_SECONDS_WITH_MAX_STATES

    if timeout is not None or max_states is None:
        return timeout, None
    note = (
        f"incref: --max-states without --timeout: stopping after {DEFAULT_SECONDS_WITH_MAX_STATES:g} s "
        "of wall-clock time as well (--timeout sets another limit)"
    )
    return DEFAULT_SECONDS_WITH_MAX_STATES, note


def note_limit(note: str | None) -> None:
    """Print the default-limit note on stderr; returns None, which the caller keeps, so it prints once."""
    if note:
        click.echo(note, err=True)


def search_seconds(timeout: float | None) -> float | None:
    """What the search gets of the whole command's budget: what is left after start-up and
    loading, less a reserve for rebuilding traces and printing."""
    from incref import budget

    left = budget.remaining()
    if timeout is None or left is None:
        return None
    return max(0.05, left - min(0.3, 0.2 * timeout))


def out_of_time(name: str, model: str, scheme: str, engine: str, exc, timeout: float | None):
    """The honest answer when the budget ran out before the search could report: nothing
    was proved, so the verdict is incomplete (exit 3), with the stage it stopped in."""
    from incref.ir.results import CheckResult, Stats

    return CheckResult(
        scenario=name,
        model=model,
        scheme=scheme,
        engine=engine,
        outcomes=[],
        violations=[],
        stats=Stats(complete=False),
        incomplete_reason=f"{exc} (--timeout {timeout:g} s)",
    )


def _print(program, result) -> None:
    from incref.reports.tables import outcome_table
    from incref.reports.timeline import trace_table

    out = Console()
    if program is None:  # the budget ran out before the scenario was loaded
        out.print(f"[bold]verdict: {result.verdict}[/bold]\nincomplete: {result.incomplete_reason}")
        return
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
