"""`incref run`: a scenario or litmus test on this machine's cores — the histogram of
final states with counts and rates per million, lost updates per million refcount
operations, and a mark on every outcome the memory model forbids (the model checker is
asked for the allowed set; a mark is only made when its exploration was complete)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from incref.cli.common import MODELS, SECONDS, emit_json, json_option
from incref.cli.compare import Options, default_model, escapes, hardware_expressible, model_column, prepare
from incref.errors import InputError
from incref.hardware.environment import summary

MAX_ROWS = 20  # outcomes shown in the table (forbidden ones first, then the most frequent)


@click.command("run")
@click.argument("spec")
@click.option("--iterations", "-n", type=int, default=100_000, show_default=True, help="Executions to run (1 to 10^9).")
@click.option("--scheme", default="plain", show_default=True, help="Refcount scheme for scenarios with incref/decref.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Scenario parameter (repeatable).")
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default=None,
    help="Model for the forbidden marks (default: this machine's, tso on x86).",
)
@click.option(
    "--deadline",
    type=SECONDS,
    default=None,
    help="Seconds before the watchdog stops the run.",
)
@json_option
def command(spec, iterations, scheme, sets, model, deadline, as_json):
    """Run SPEC (a bundled example, .inc or .litmus file) on real cores. Exit 1 if the
    hardware showed an outcome the model forbids, a lost update, a failed assertion or
    an outcome the condition rules out; else 3 if the watchdog stopped the run; else 0."""
    from incref.cli.compare import Column, hardware_column
    from incref.hardware.runner import check_iterations

    check_iterations(iterations)
    program = prepare(spec, sets, scheme)
    hardware_expressible(program, spec)
    options = Options(model or default_model(), iterations, deadline)
    if as_json:
        hardware = hardware_column(program, options)
    else:
        with Progress(
            TextColumn("running on cores"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("run", total=iterations)
            options.progress = lambda done, total: bar.update(task, completed=done)
            hardware = hardware_column(program, options)
    try:
        allowed: Column = model_column(program, options)
    except InputError as exc:  # the run stands on its own; only the marks are lost
        allowed = Column(f"model ({options.model})", [], False, True, [f"no model marks: {exc}"])
    forbidden = [e.outcome for e in escapes({"model": allowed, "hardware": hardware})]
    detail = hardware.detail
    violated = bool(
        forbidden or detail["lost_updates"] or detail["assertion_failures"] or _condition_refuted(program, hardware)
    )
    code = 1 if violated else (0 if hardware.complete else 3)  # what was seen stands, finished or not
    if as_json:
        verdict = {0: "ok", 1: "violation", 3: "incomplete"}[code]  # ok: nothing wrong seen, not a proof
        emit_json(
            {
                "scenario": program.name,
                "scheme": program.scheme,
                "model": options.model,
                "verdict": verdict,
                "model_complete": allowed.complete,
                "outcomes": hardware.to_json()["outcomes"],
                "forbidden": [o.to_json() for o in forbidden],
                **detail,
            }
        )
        raise SystemExit(code)
    _print(program, hardware, allowed, {o.key() for o in forbidden}, options.model)
    raise SystemExit(code)


def _condition_refuted(program, hardware) -> bool:
    cond = program.condition
    return cond is not None and any(cond.is_violated_by(o.state) for o in hardware.outcomes)


def _print(program, hardware, allowed, forbidden, model) -> None:
    from rich.table import Table

    out = Console()
    detail = hardware.detail
    total = max(detail["iterations"], 1)
    table = Table(
        title=f"{program.name} on real cores ({detail['iterations']:,} iterations, {detail['seconds']:.2f} s)",
        title_justify="left",
    )
    keys = program.state_keys()
    for key in keys:
        table.add_column(key, justify="right")
    table.add_column("count", justify="right")
    table.add_column("per million", justify="right")
    table.add_column(f"{model}", justify="left")
    allowed_states = allowed.states()
    ranked = sorted(hardware.outcomes, key=lambda o: (o.key() not in forbidden, -o.count))
    for o in ranked[:MAX_ROWS]:
        if o.key() in forbidden:
            mark = "[bold red]FORBIDDEN[/]"
        elif o.key() in allowed_states:
            mark = "allowed"
        else:
            mark = "[yellow]not seen by the (incomplete) model[/]"
        table.add_row(*[str(o.state.get(k, "")) for k in keys], f"{o.count:,}", f"{o.count * 1e6 / total:,.1f}", mark)
    out.print(table)
    if len(ranked) > MAX_ROWS:
        out.print(
            f"… and {len(ranked) - MAX_ROWS:,} rarer outcomes "
            f"({sum(o.count for o in ranked[MAX_ROWS:]):,} executions; --json lists all)"
        )
    if program.condition is not None:
        seen = sum(o.count for o in hardware.outcomes if program.condition.satisfied_by(o.state))
        out.print(
            f"condition [bold]{program.condition.text}[/]: satisfied by {seen:,} of {detail['iterations']:,} "
            f"executions ({seen * 1e6 / total:,.1f} per million)"
        )
    if detail["lost_per_million"] is not None:
        out.print(
            f"lost updates: {detail['lost_updates']:,} of {detail['refcount_ops']:,} refcount operations "
            f"= [bold]{detail['lost_per_million']:,.1f} per million[/]"
        )
    for name, label in (
        ("blocked", "blocked executions (an await or a folded retry loop never succeeded), not counted"),
        ("filtered", "executions removed by the filter"),
        ("assertion_failures", "executions with a failed assertion"),
    ):
        if detail[name]:
            out.print(f"{label}: {detail[name]:,}")
    for note in hardware.notes + allowed.notes:
        out.print(f"[yellow]{note}[/]")
    if forbidden:
        out.print(f"[bold red]{len(forbidden)} outcome(s) the {model} model forbids were observed[/]")
    out.print(f"[dim]threads on cores {tuple(detail['cpus'])}; {summary(detail['environment'])}[/]")
