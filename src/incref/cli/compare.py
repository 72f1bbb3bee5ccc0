"""`incref compare`: the same scenario through several engines, side by side, and the
inclusions DESIGN.md promises — hardware ⊆ model (and, once the cache simulator joins,
hardware ⊆ simulator ⊆ model). An outcome outside an engine it must lie within is a bug
in incref or a discovery; either way it is a loud error and exit 1.

Engines never import each other; this module composes them. Each engine is one entry
of `ENGINES`: a name, the engines whose outcomes must contain its own, and a function
from (program, options) to a `Column`. Adding the simulator is one more entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from incref.cli.common import MODELS, SECONDS, emit_json, json_option, parse_sets
from incref.errors import Unsupported, UsageError
from incref.ir.program import Program
from incref.ir.results import Outcome, sort_outcomes

MODEL_TIMEOUT = 30.0  # seconds the model checker may take before its column is incomplete
MODEL_MAX_STATES = 300_000  # and states it may visit (bounds its memory)


@dataclass
class Options:
    model: str
    iterations: int
    deadline: float | None = None
    progress: Callable[[int, int], None] | None = None


@dataclass
class Column:
    """One engine's answer: its outcomes (counts for engines that sample, the number of
    executions for an exhaustive one), whether it covered everything, and notes."""

    engine: str
    outcomes: list[Outcome]
    complete: bool
    exhaustive: bool
    notes: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def states(self) -> set[tuple[tuple[str, int], ...]]:
        return {o.key() for o in self.outcomes}

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "complete": self.complete,
            "exhaustive": self.exhaustive,
            "outcomes": [o.to_json() for o in sort_outcomes(self.outcomes)],
            "notes": self.notes,
            **self.detail,
        }


@dataclass(frozen=True)
class Engine:
    name: str
    within: tuple[str, ...]  # engines whose outcome sets must include this engine's
    column: Callable[[Program, Options], Column]


@dataclass(frozen=True)
class Escape:
    """An outcome `engine` produced that `outside` (complete) does not allow."""

    engine: str
    outside: str
    outcome: Outcome

    def message(self) -> str:
        state = ", ".join(f"{k}={v}" for k, v in self.outcome.state.items())
        return f"{self.engine} produced {{{state}}} {self.outcome.count:,} times; the {self.outside} forbids it"

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "outside": self.outside, **self.outcome.to_json()}


def default_model() -> str:
    """The model of this machine's architecture: x86-TSO on x86 (Sewell et al., CACM
    2010), ARMv8 elsewhere."""
    from incref.hardware.codegen import host_is_x86

    return "tso" if host_is_x86() else "armv8"


def model_column(program: Program, options: Options) -> Column:
    from incref.checker import check

    result = check(program, options.model, timeout=MODEL_TIMEOUT, max_states=MODEL_MAX_STATES)
    notes = [] if result.stats.complete else [f"incomplete: {result.incomplete_reason or 'budget ran out'}"]
    return Column(
        f"model ({options.model})",
        result.outcomes,
        result.stats.complete,
        True,
        notes,
        {"verdict": result.verdict, "violations": result.violation_kinds()},
    )


def hardware_column(program: Program, options: Options) -> Column:
    from incref.hardware import run

    result = run(program, options.iterations, deadline=options.deadline, progress=options.progress)
    notes = []
    if result.shared_cores:
        notes.append(f"{len(program.threads)} threads share {len(set(result.cpus))} cores")
    if result.timed_out or result.interrupted:
        why = "deadline reached" if result.timed_out else "interrupted (Ctrl-C)"
        notes.append(f"{why} after {result.iterations:,} of {result.requested:,} iterations")
    detail = result.to_json()
    for key in ("outcomes", "scenario", "scheme", "engine"):
        detail.pop(key)
    return Column("hardware", result.outcomes, result.complete, False, notes, detail)


def simulator_column(program: Program, options: Options) -> Column:
    """The cache simulator (`incref.simulator`): MESI on a snooping bus, with store buffers
    unless the model is sc. Its cores are x86-TSO cores, so for another model it is shown
    but forbids nothing (not exhaustive for that model)."""
    from incref.simulator.exhaustive import simulate
    from incref.simulator.machine import Config
    from incref.simulator.protocols import load

    config = Config(load("mesi", "bus"), store_buffers=options.model != "sc")
    try:
        result = simulate(program, config, timeout=MODEL_TIMEOUT, max_states=MODEL_MAX_STATES)
    except Unsupported as exc:  # ARMv8 exclusives: no x86 core runs them; the column bounds nothing
        return Column("simulator (mesi bus)", [], True, False, [f"not simulated: {exc.feature}"])
    notes = [] if result.stats.complete else [f"incomplete: {result.incomplete_reason or 'budget ran out'}"]
    if options.model not in ("tso", "sc"):
        notes.append(f"the simulator's cores are x86-TSO cores: not an upper bound under {options.model}")
    extra = result.stats.extra
    return Column(
        "simulator (mesi bus)",
        result.outcomes,
        result.stats.complete,
        options.model in ("tso", "sc"),
        notes,
        {
            "verdict": result.verdict,
            "swmr": extra["swmr"],
            "data_value": extra["data_value"],
            "states": result.stats.explored,
        },
    )


ENGINES: list[Engine] = [
    Engine("model", (), model_column),
    Engine("simulator", ("model",), simulator_column),
    Engine("hardware", ("simulator", "model"), hardware_column),
]


def escapes(columns: dict[str, Column]) -> list[Escape]:
    """Outcomes outside an engine they must lie within; only a complete exhaustive
    column can forbid anything."""
    found = []
    for engine in ENGINES:
        mine = columns.get(engine.name)
        if mine is None:
            continue
        for name in engine.within:
            outer = columns.get(name)
            if outer is None or not (outer.complete and outer.exhaustive):
                continue
            allowed = outer.states()
            found += [Escape(mine.engine, outer.engine, o) for o in mine.outcomes if o.key() not in allowed]
    return found


def prepare(spec: str, sets: tuple[str, ...], scheme: str) -> Program:
    """The engine-level program for `spec` (a bundled example or a file) with `--set`
    parameters, expanded by `scheme` when it has refcount operations."""
    from incref.frontends import load_program
    from incref.schemes import apply_scheme, get

    program = load_program(spec, parse_sets(sets) or None)
    chosen = get(scheme)
    return program if program.is_expanded and program.scheme else apply_scheme(program, chosen)


def hardware_expressible(program: Program, spec: str) -> None:
    from incref.hardware.codegen import check_expressible

    try:
        check_expressible(program)
    except Unsupported as exc:
        raise UsageError(f"{spec}: the hardware cannot run this: {exc.feature}") from None


def outcome_table(columns: list[Column], keys: tuple[str, ...], bad: set[tuple], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for key in keys:
        table.add_column(key, justify="right")
    for column in columns:
        table.add_column(column.engine, justify="right")
    states = sorted({o.key() for c in columns for o in c.outcomes})
    counts = [{o.key(): o.count for o in c.outcomes} for c in columns]
    for state in states:
        values = dict(state)
        cells = [str(values.get(k, "")) for k in keys]
        for column, count in zip(columns, counts):
            if state not in count:
                cells.append("—")
            elif column.exhaustive:
                cells.append("allowed")
            else:
                cells.append(f"{count[state]:,}" + (" [bold red]FORBIDDEN[/]" if state in bad else ""))
        table.add_row(*cells)
    return table


@click.command("compare")
@click.argument("spec")
@click.option(
    "--model", type=click.Choice(MODELS), default=None, help="Memory model (default: this machine's, tso on x86)."
)
@click.option("--iterations", "-n", type=int, default=100_000, show_default=True, help="Hardware iterations.")
@click.option("--scheme", default="plain", show_default=True, help="Refcount scheme for scenarios with incref/decref.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Scenario parameter (repeatable).")
@click.option(
    "--deadline",
    type=SECONDS,
    default=None,
    help="Seconds before the hardware watchdog stops the run.",
)
@json_option
def command(spec, model, iterations, scheme, sets, deadline, as_json):
    """Run SPEC through the model checker, the cache simulator and this machine's cores and
    check hardware ⊆ simulator ⊆ model. Exit 1 if one is not (loudly), 3 if an engine
    did not finish, 0 otherwise."""
    from incref.hardware.runner import check_iterations

    check_iterations(iterations)
    program = prepare(spec, sets, scheme)
    hardware_expressible(program, spec)
    options = Options(model or default_model(), iterations, deadline)
    err = Console(stderr=True)
    columns: dict[str, Column] = {}
    for engine in ENGINES:
        if not as_json:
            err.print(f"[dim]{engine.name}…[/]")
        columns[engine.name] = engine.column(program, options)
    found = escapes(columns)
    complete = all(c.complete for c in columns.values())
    code = 1 if found else (0 if complete else 3)
    if as_json:
        emit_json(
            {
                "scenario": program.name,
                "scheme": program.scheme,
                "model": options.model,
                "verdict": {0: "included", 1: "violation", 3: "incomplete"}[code],
                "engines": [c.to_json() for c in columns.values()],
                "violations": [e.to_json() for e in found],
            }
        )
        raise SystemExit(code)
    out = Console()
    bad = {e.outcome.key() for e in found}
    out.print(
        outcome_table(list(columns.values()), program.state_keys(), bad, f"{program.name}: {' vs '.join(columns)}")
    )
    for column in columns.values():
        for note in column.notes:
            out.print(f"[yellow]{column.engine}: {note}[/]")
    for escape in found:
        err.print(f"[bold red]INCLUSION VIOLATED: {escape.message()}[/]")
    if not found:
        out.print(
            "[green]hardware ⊆ simulator ⊆ model: every outcome is allowed where it must be[/]"
            if complete
            else "[yellow]inclusion not established: an engine did not finish[/]"
        )
    raise SystemExit(code)
