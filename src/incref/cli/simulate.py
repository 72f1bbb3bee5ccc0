"""`incref simulate`: the scenario on a multi-core machine with coherent caches (MSI, MESI
or MOESI as tables, on a snooping bus or a directory) and FIFO store buffers.

`--exhaustive` (the default) explores every interleaving of core steps and protocol
transitions, checks SWMR and the data-value invariant in every reachable state, and sets
the final states beside the model checker's (TSO, or SC with `--no-store-buffers`).
`--timed` runs each thread's code `--iterations` times and counts cycles, table cells and
messages. `--explain` replays the checker's lost update at line level. Exit codes as
`incref check`: 0 safe, 1 violation (a refcount invariant, or a coherence invariant),
2 bad input or configuration, 3 incomplete."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from incref.cli.check import note_limit, search_seconds
from incref.cli.common import SECONDS, emit_json, json_option, parse_sets
from incref.simulator.protocols import INTERCONNECTS
from incref.simulator.protocols import names as protocol_names
from incref.simulator.timed import KERNELS, LATENCIES


@click.command("simulate")
@click.argument("scenario")
@click.option(
    "--protocol",
    default="mesi",
    show_default=True,
    help=f"{', '.join(protocol_names())}, or the path of a protocol table file.",
)
@click.option("--interconnect", type=click.Choice(INTERCONNECTS), default="bus", show_default=True)
@click.option("--exhaustive", "mode", flag_value="exhaustive", default=True, help="Every interleaving (default).")
@click.option("--timed", "mode", flag_value="timed", help="Cycles, transitions and messages over --iterations.")
@click.option(
    "--iterations", type=int, default=1_000_000, show_default=True, help="Timed mode: loop bodies per thread."
)
@click.option("--no-store-buffers", is_flag=True, help="Cores write straight into their caches (SC cores).")
@click.option("--evictions", is_flag=True, help="Exhaustive mode: caches may also evict lines at any time.")
@click.option("--explain", is_flag=True, help="The model checker's lost update, replayed at line level.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Scenario parameter (repeatable).")
@click.option("--scheme", default="plain", show_default=True, help="Refcount scheme expanding incref/decref.")
@click.option(
    "--latency",
    "latency",
    multiple=True,
    metavar="NAME=CYCLES",
    help=f"Timed mode latency ({', '.join(f'{k}={v}' for k, v in LATENCIES.items())}).",
)
@click.option("--ratios", is_flag=True, help="Timed mode: predicted cost ratios beside `incref bench`'s measured ones.")
@click.option(
    "--kernel",
    type=click.Choice(KERNELS),
    default="auto",
    show_default=True,
    help="Timed mode hot loop: C when a compiler is available (auto), or Python.",
)
@click.option("--max-states", type=click.IntRange(min=1), default=None, help="Exhaustive: stop after this many states.")
@click.option(
    "--timeout",
    type=SECONDS,
    default=None,
    help="Exhaustive: stop after this many seconds.",
)
@json_option
def command(
    scenario,
    protocol,
    interconnect,
    mode,
    iterations,
    no_store_buffers,
    evictions,
    explain,
    sets,
    scheme,
    latency,
    ratios,
    kernel,
    max_states,
    timeout,
    as_json,
):
    """Simulate SCENARIO (a bundled example, .inc or .litmus file) on coherent caches."""
    from incref import budget
    from incref.cli.check import out_of_time, wall_clock_limit
    from incref.cli.compare import prepare
    from incref.simulator.machine import Config
    from incref.simulator.protocols import load

    timeout, default_limit = wall_clock_limit(timeout, max_states)
    try:
        with budget.limit(timeout):
            config = Config(load(protocol, interconnect), store_buffers=not no_store_buffers, evictions=evictions)
            lat = parse_sets(latency)
            program = prepare(scenario, sets, scheme)
            default_limit = note_limit(default_limit)
            budget.check("simulating")
            if explain:
                _explain(program, config, max_states, search_seconds(timeout), as_json)
            if mode == "timed":
                _timed(program, config, iterations, lat, kernel, ratios, as_json)
            _exhaustive(program, config, max_states, timeout, as_json)
    except budget.OutOfTime as exc:
        note_limit(default_limit)
        result = out_of_time(scenario, "-", scheme, "simulator", exc, timeout)
        if as_json:
            emit_json(result.to_json())
        else:
            click.echo(f"verdict: incomplete\nincomplete: {result.incomplete_reason}")
        raise SystemExit(result.exit_code) from None


def _exhaustive(program, config, max_states, timeout, as_json) -> None:
    from incref.checker import check
    from incref.cli.check import _ProgressLine
    from incref.simulator.exhaustive import simulate

    progress = None if as_json else _ProgressLine()  # states and states/s on stderr for long searches
    try:
        result = simulate(program, config, max_states=max_states, timeout=search_seconds(timeout), progress=progress)
    finally:
        if progress is not None:
            progress.close()
    reference = None
    if result.stats.complete:  # the model checker's final states, in what is left of the budget
        reference = check(program, result.model, max_states=max_states, timeout=search_seconds(timeout))
    same = result.states() == reference.states() if reference is not None and reference.stats.complete else None
    extra = result.stats.extra
    if as_json:
        doc = {
            "protocol": extra["protocol"],
            "interconnect": extra["interconnect"],
            "mode": "exhaustive",
            "store_buffers": config.store_buffers,
            "swmr": extra["swmr"],
            "data_value": extra["data_value"],
            "states": result.stats.explored,
            **result.to_json(),
            "model_outcomes_equal": same,
        }
        emit_json(doc)
        raise SystemExit(result.exit_code)
    from incref.reports.tables import outcome_table
    from incref.reports.timeline import trace_table

    out = Console()
    out.print(
        f"[bold]{program.name}[/bold]  scheme {program.scheme or '-'}, {config.protocol.name.upper()} on a "
        f"{config.protocol.interconnect}, store buffers {'on' if config.store_buffers else 'off'}"
    )
    out.print(outcome_table(program, result))
    shown = [v for v in result.violations if v.kind != "condition"] or result.violations
    for v in shown:  # a refuted condition is the lost update's execution again: shown once
        out.print(trace_table(program, v))
    scope = "all" if result.stats.complete else "the"
    out.print(
        f"SWMR {'held' if extra['swmr'] else '[red]broken[/]'} and the data-value invariant "
        f"{'held' if extra['data_value'] else '[red]broken[/]'} in {scope} {result.stats.explored:,} reachable states"
    )
    if same is not None:
        verdict = "equal" if same else "[red]differ from[/]"
        out.print(
            f"final states {verdict} the {reference.model.upper()} model checker's ({len(reference.outcomes)} outcomes)"
        )
    out.print(
        f"[bold]verdict: {result.verdict}[/bold]"
        + (f" ({', '.join(result.violation_kinds())})" if result.violations else "")
        + f" — {result.stats.seconds:.2f} s"
    )
    if result.incomplete_reason:
        out.print(f"incomplete: {result.incomplete_reason}")
    raise SystemExit(result.exit_code)


def _timed(program, config, iterations, lat, kernel, ratios, as_json) -> None:
    from incref.simulator import timed

    result = timed.run(program, config, iterations, lat, kernel=kernel)
    rows = timed.predicted_ratios(config, lat, measure=True) if ratios else None
    if as_json:
        doc = result.to_json()
        if rows is not None:
            doc["ratios"] = rows
        emit_json(doc)
        raise SystemExit(0)
    out = Console()
    out.print(
        f"[bold]{program.name}[/bold]  {config.protocol.name.upper()} on a {config.protocol.interconnect}, "
        f"{iterations:,} iterations per thread, {result.operations:,} memory operations simulated in "
        f"{result.seconds:.3f} s ({result.ops_per_second / 1e6:.1f} M ops/s, {result.extra['kernel']} kernel)"
    )
    table = Table(title="cycles", title_justify="left")
    for col in ("thread", "operations", "cycles", "cycles/op", "cycles/iteration"):
        table.add_column(col, justify="right")
    for t in result.per_thread:
        table.add_row(
            str(t["thread"]),
            f"{t['operations']:,}",
            f"{t['cycles']:,}",
            f"{t['cycles_per_operation']:.2f}",
            f"{t['cycles_per_iteration']:.2f}",
        )
    out.print(table)
    cells = Table(title="table transitions taken (role, state, event)", title_justify="left")
    for col in ("role", "state", "event", "count"):
        cells.add_column(col, justify="right" if col == "count" else "left")
    for role, states in result.transitions.items():
        for state, events in states.items():
            for event, n in events.items():
                cells.add_row(role, state, event, f"{n:,}")
    out.print(cells)
    out.print("messages: " + (", ".join(f"{k} {v:,}" for k, v in result.messages.items()) or "none"))
    if rows is not None:
        out.print(ratio_table(rows))
    raise SystemExit(0)


def ratio_table(rows) -> Table:
    table = Table(title="predicted (simulator) vs measured (incref bench) cost ratios", title_justify="left")
    for col in ("ratio", "predicted", "measured", "differ > 2x"):
        table.add_column(col, justify="right" if col != "ratio" else "left")
    for r in rows:
        measured = "n/a" if r["measured"] is None else f"{r['measured']:.2f}"
        table.add_row(
            r["ratio"],
            f"{r['predicted']:.2f}",
            measured,
            "" if r["differs"] is None else ("[yellow]yes (docs/COHERENCE.md)[/]" if r["differs"] else "no"),
        )
    return table


def _explain(program, config, max_states, timeout, as_json) -> None:
    from incref.simulator.explain import explain

    story = explain(program, config, max_states=max_states, timeout=timeout)
    if as_json:
        emit_json(story.to_json())
    else:
        click.echo(story.render())
    raise SystemExit(0 if story.violation is None else 1)
