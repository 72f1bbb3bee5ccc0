"""The composition layer: load a scenario, apply a refcount scheme, pick an engine, run it.

Every way into incref goes through here — the CLI's subcommands (which only parse options
and render), the public API (`incref.check`), the tour, the zoo and `compare` — so a
scenario in any form (a builder `Scenario`, a `Program`, a bundled example's name, a
`.inc`, `.litmus` or `.c` file) becomes the same engine-level program in one place
(`prepare`), and the engines, which never import one another, meet only here:

* `check` — the exhaustive checker under a memory model (`incref.checker.check`);
* `Column`, `ENGINES`, `escapes` — the model checker, the cache simulator and this
  machine's cores side by side, and the inclusions DESIGN.md promises (hardware ⊆
  simulator ⊆ model): an outcome outside an engine it must lie within is a bug in incref
  or a discovery, never silently ignored;
* `run_file` — one litmus test checked, as a `incref.reports.litmus.Verdict`;
* `predicted_ratios` — the simulator's timed mode against the hardware bench.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incref import checker, hardware, schemes
from incref.errors import InputError, Unsupported, UsageError
from incref.frontends import load_program
from incref.frontends.builder import Scenario
from incref.frontends.litmus import parse_file
from incref.hardware import bench
from incref.hardware.codegen import check_expressible, host_is_x86
from incref.ir.program import Program
from incref.ir.results import CheckResult, Outcome, sort_outcomes
from incref.reports.litmus import DEFAULT_MODEL, Verdict
from incref.simulator import timed
from incref.simulator.exhaustive import simulate
from incref.simulator.explain import Explanation, core_model, explain
from incref.simulator.machine import Config
from incref.simulator.protocols import load

MODEL_TIMEOUT = 30.0  # seconds the model checker may take before its column is incomplete
MODEL_MAX_STATES = 300_000  # and states it may visit (bounds its memory)

ScenarioForm = Scenario | Program | str


# --------------------------------------------------------------------------- load and expand


def to_program(scenario: ScenarioForm, params: Mapping[str, int] | None = None) -> Program:
    """The scenario-level `Program` of any scenario form: a builder `Scenario` built with
    `params`, a spec string loaded by `incref.frontends.load_program`, a `Program` as is."""
    if isinstance(scenario, Scenario):
        return scenario.build(params)
    if isinstance(scenario, str):
        return load_program(scenario, params)
    if isinstance(scenario, Program):
        if params:
            raise UsageError("params: a Program has its parameters expanded already")
        return scenario
    raise UsageError(f"cannot check a {type(scenario).__name__}: give a Scenario, a Program or a file or example name")


def prepare(scenario: ScenarioForm, scheme: str = "plain", params: Mapping[str, int] | None = None) -> Program:
    """The engine-level program every engine takes: `scenario` (any form) with `params`,
    its `incref`/`decref` expanded by the refcount `scheme`. A program that is already
    engine level under a scheme (a litmus test, a C program) keeps it; `scheme` is still
    checked to be a known name."""
    program = to_program(scenario, params or None)
    chosen = schemes.get(scheme)
    return program if program.is_expanded and program.scheme else schemes.apply_scheme(program, chosen)


def check(
    scenario: ScenarioForm,
    model: str = "sc",
    scheme: str = "plain",
    *,
    params: Mapping[str, int] | None = None,
    **options,
) -> CheckResult:
    """Check `scenario` under `model` with refcount `scheme`; `options` go to
    `incref.checker.check` (`engine`, `reduction`, `max_states`, `timeout`, `progress`)."""
    return checker.check(prepare(scenario, scheme, params), model, **options)


def explain_lost_update(
    program: Program, config: Config, *, max_states: int | None = None, timeout: float | None = None
) -> Explanation:
    """The model checker's shortest lost update of `program` under the model the machine's
    cores implement, replayed and explained on the cache simulator (`incref simulate
    --explain`, the tour's coherence chapter)."""
    result = checker.check(program, core_model(config))
    lost = next((v for v in result.violations if v.kind == "lost-update"), None)
    return explain(program, config, lost, max_states=max_states, timeout=timeout)


# --------------------------------------------------------------------------- engines side by side


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
    return "tso" if host_is_x86() else "armv8"


def model_column(program: Program, options: Options) -> Column:
    result = checker.check(program, options.model, timeout=MODEL_TIMEOUT, max_states=MODEL_MAX_STATES)
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
    result = hardware.run(program, options.iterations, deadline=options.deadline, progress=options.progress)
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


def hardware_expressible(program: Program, spec: str) -> None:
    try:
        check_expressible(program)
    except Unsupported as exc:
        raise UsageError(f"{spec}: the hardware cannot run this: {exc.feature}") from None


# --------------------------------------------------------------------------- litmus tests


def run_file(
    path: str | Path,
    model: str | None = None,
    *,
    timeout: float | None = None,
    max_states: int | None = None,
    engine: str = "axiomatic",
) -> Verdict:
    """Parse and check one litmus file under `model` (default: the architecture's).

    The default engine is the axiomatic one for every model, because herd7's `Positive` and
    `Negative` count execution graphs (one per consistent choice of rf and co), not the
    interleavings an operational machine counts: with it, SB under x86-TSO reads
    "Positive: 1 Negative: 3" as herd7 prints. The final states are the same in both
    engines (tests/test_litmus_crossval.py)."""
    start = time.monotonic()
    path = str(path)
    try:
        program = parse_file(path)
    except Unsupported as exc:
        return Verdict(_name_of(path), path, model, "unsupported", exc.feature, seconds=time.monotonic() - start)
    except InputError as exc:
        return Verdict(_name_of(path), path, model, "malformed", str(exc), seconds=time.monotonic() - start)
    model = model or DEFAULT_MODEL[str(program.meta["arch"])]
    try:
        res = checker.check(program, model, engine=engine, timeout=timeout, max_states=max_states)
    except Unsupported as exc:  # a feature this model's engine does not run (exclusives under tso)
        return Verdict(program.name, path, model, "unsupported", exc.feature, program, seconds=time.monotonic() - start)
    except InputError as exc:  # the architecture's default model is one this engine does not run
        return Verdict(program.name, path, model, "error", str(exc), program, seconds=time.monotonic() - start)
    except Exception as exc:  # noqa: BLE001 - an engine bug on one test must not stop a directory run
        return Verdict(
            program.name,
            path,
            model,
            "error",
            f"internal error: {type(exc).__name__}: {exc}",
            program,
            seconds=time.monotonic() - start,
        )
    cond = program.condition
    positive = sum(o.count for o in res.outcomes if cond is not None and cond.satisfied_by(o.state))
    negative = sum(o.count for o in res.outcomes) - positive
    if not res.stats.complete:
        result, reason = "incomplete", res.incomplete_reason or "budget exhausted"
    elif "data-race" in res.violation_kinds():
        result, reason = "Undef", None
    else:
        result, reason = ("Ok" if res.condition_holds else "No"), None
    return Verdict(
        program.name, path, model, result, reason, program, res, time.monotonic() - start, positive, negative
    )


def _name_of(path: str) -> str:
    """A test's name before (or without) parsing: the header's second word if readable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            words = fh.readline().split()
    except OSError:
        words = []
    return words[1] if len(words) > 1 else Path(path).stem


# --------------------------------------------------------------------------- timed mode vs the bench


# (name, numerator, denominator): each side a `incref bench` variant, threads, sharing
RATIOS = (
    ("atomic vs plain, 1 thread", ("atomic", 1, "private"), ("plain", 1, "private")),
    (
        "atomic contended (2 threads, one object) vs uncontended (1 thread)",
        ("atomic", 2, "shared"),
        ("atomic", 1, "private"),
    ),
    ("atomic, 2 threads: shared vs private line", ("atomic", 2, "shared"), ("atomic", 2, "private")),
    ("plain, 2 threads: shared vs private line", ("plain", 2, "shared"), ("plain", 2, "private")),
)


def predicted_ratios(
    config: Config,
    lat: Mapping[str, int] | None = None,
    *,
    measure: bool = False,
    iterations: int = 100_000,
    runs: int = 3,
) -> list[dict[str, Any]]:
    """Each ratio of `RATIOS` predicted by timed mode on `incref bench`'s own loop bodies
    (`incref.hardware.bench.loop_program`: one incref and one decref per iteration), and,
    with `measure`, the same ratio of `incref bench`'s measured ns per operation on this
    machine (None when no C compiler is available). `differs` flags a factor above 2."""
    variants = {v.name: v for v in bench.VARIANTS}
    predicted: dict[tuple, float] = {}
    measured: dict[tuple, float | None] = {}

    def cycles(key):
        if key not in predicted:
            program, _ = bench.loop_program(variants[key[0]], key[1], key[2])
            predicted[key] = timed.run(program, config, iterations, lat).cycles_per_iteration()
        return predicted[key]

    def ns(key):
        if key not in measured:
            try:
                measured[key] = bench.bench_variant(variants[key[0]], key[1], key[2], runs).ns_per_op
            except UsageError:
                measured[key] = None
        return measured[key]

    rows = []
    for name, top, bottom in RATIOS:
        p = cycles(top) / cycles(bottom)
        m = None
        if measure:
            a, b = ns(top), ns(bottom)
            m = a / b if a is not None and b and b > 0 else None
        rows.append(
            {
                "ratio": name,
                "predicted": round(p, 3),
                "measured": None if m is None else round(m, 3),
                "differs": None if m is None else not (0.5 <= p / m <= 2.0),
                "predicted_cycles": [round(cycles(top), 2), round(cycles(bottom), 2)],
                "measured_ns": None if m is None else [round(ns(top), 3), round(ns(bottom), 3)],
            }
        )
    return rows
