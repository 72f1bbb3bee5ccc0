"""`incref tour`: the whole answer to DESIGN.md's question, told by the engines themselves.

The question: CPython increments a reference count with a plain `ob_refcnt++`; can two
cores lose an increment, is a stale L1 copy to blame, and what does each fix cost? The
tour answers in chapters, each built by calling an engine's Python API on the bundled
scenarios and phrasing what the *result objects* say — no sentence carries a number or a
verdict that an engine did not return:

1. `model` — the checker (`incref.checker.check`): plain `incref-race` already loses an
   increment under SC, gil and atomic are safe under SC/TSO/PSO, `incref-decref` frees an
   object still in use, SB shows what a fence buys under TSO.
2. `coherence` — the cache simulator (`incref.simulator`): the stale-copy theory tested
   at line level — SWMR over every reachable state, the checker's lost update replayed
   on the caches (`incref.simulator.explain`), the line moving between load and store.
3. `hardware` — real cores (`incref.hardware.run`, `incref.hardware.bench`): lost
   increments per million on this machine and what each fix costs in ns/op.
4. `python` — the running interpreter (`incref.hardware.experiments`): `+=` races and
   the price of refcount contention one level up.

An engine that is not in this tree yet is never imitated: its chapter is omitted with a
line saying which API is missing (`NotLanded`). An engine that cannot run on this machine
(no C compiler, say) leaves its chapter `failed`, and the tour incomplete (exit 3)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType
from typing import Any

from rich.console import RenderableType
from rich.table import Table

from incref.errors import InputError
from incref.ir.program import Load, Store, describe


class NotLanded(Exception):
    """An engine API a chapter needs does not exist in this tree (yet)."""


def require(module: str, *names: str) -> ModuleType:
    """`module`, once it exists and exports every one of `names`."""
    try:
        mod = import_module(module)
    except ModuleNotFoundError as exc:
        raise NotLanded(f"{exc.name} has not landed") from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise NotLanded(f"{module}.{missing[0]} has not landed")
    return mod


@dataclass(frozen=True)
class Sizes:
    """How much work each chapter does: `QUICK` and `FULL` keep the whole tour under a
    minute on a 2-core machine (benchmarks/bench_tour.py measures it)."""

    fix_threads: int = 3  # incref-race for gil/atomic: threads x ops
    fix_ops: int = 2
    run_iterations: int = 300_000
    sb_iterations: int = 100_000
    run_deadline_s: float = 10.0
    bench_schemes: tuple[str, ...] = (
        "plain",
        "atomic-relaxed",
        "atomic",
        "gil",
        "biased-owner",
        "biased-nonowner",
        "sharded",
        "immortal",
    )
    bench_runs: int = 3


FULL = Sizes()
QUICK = Sizes(
    fix_threads=2,
    fix_ops=2,
    run_iterations=100_000,
    sb_iterations=50_000,
    run_deadline_s=5.0,
    bench_schemes=("plain", "atomic-relaxed", "atomic", "gil"),
    bench_runs=3,
)


@dataclass
class Chapter:
    """One told chapter: `story` sentences and `figures` (timelines, tables) for a person,
    `data` (engine results as JSON) for a program; `omitted` says why it was not told."""

    name: str
    title: str
    story: list[str] = field(default_factory=list)
    figures: list[RenderableType] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    omitted: str | None = None
    failed: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "title": self.title, "seconds": round(self.seconds, 3)}
        if self.omitted:
            out.update(omitted=self.omitted, failed=self.failed)
        else:
            out.update(story=self.story, data=self.data)
        return out


# --------------------------------------------------------------------------- 1. the model


def _scenario(spec: str, scheme: str, **params: int):
    """An engine-level program: a bundled scenario expanded by a refcount scheme."""
    frontends = require("incref.frontends", "load_program")
    schemes = require("incref.schemes", "apply_scheme", "get")
    return schemes.apply_scheme(frontends.load_program(spec, params), schemes.get(scheme))


def _set(values) -> str:
    """`{2, 3}`: the distinct values, sorted."""
    return "{" + ", ".join(map(str, sorted(set(values)))) + "}"


def _violation(result, kind: str):
    return next((v for v in result.violations if v.kind == kind), None)


def _trace_figure(chapter: Chapter, program, violation) -> None:
    """The shortest trace as a per-thread timeline, if the renderer exists."""
    try:
        timeline = require("incref.reports.timeline", "render_trace")
    except NotLanded as exc:
        chapter.story.append(f"(timeline not drawn: {exc})")
        return
    chapter.figures.append(timeline.render_trace(program, violation))


def model_chapter(chapter: Chapter, sizes: Sizes) -> None:
    checker = require("incref.checker", "check")

    program = _scenario("incref-race", "plain")
    race = checker.check(program, "sc")
    lost = _violation(race, "lost-update")
    chapter.story.append(
        f"incref-race, {len(program.threads)} threads each doing a plain `ob_refcnt++` (load, add, store) "
        f"under sequential consistency: {race.verdict}. Final obj.refcnt ∈ "
        f"{_set(o.state['obj.refcnt'] for o in race.outcomes)} over {race.stats.executions} executions "
        f"({race.stats.explored} states)" + (": no weak memory needed." if lost is not None else ".")
    )
    chapter.data["race"] = race.to_json()
    if lost is not None:
        chapter.story.append(f"Shortest lost update, {len(lost.trace)} steps: {lost.message}")
        _trace_figure(chapter, program, lost)

    threads, ops = sizes.fix_threads, sizes.fix_ops
    fixes: dict[str, dict[str, Any]] = {}
    for scheme in ("gil", "atomic"):
        program = _scenario("incref-race", scheme, threads=threads, ops=ops)
        results = {model: checker.check(program, model) for model in ("sc", "tso", "pso")}
        fixes[scheme] = {model: r.to_json() for model, r in results.items()}
        chapter.story.append(
            f"{scheme} ({threads} threads x {ops} increfs): "
            + ", ".join(f"{model.upper()} {r.verdict} ({r.stats.explored:,} states)" for model, r in results.items())
        )
    chapter.data["fixes"] = fixes

    program = _scenario("incref-decref", "plain")
    decref = checker.check(program, "sc")
    chapter.data["decref"] = decref.to_json()
    chapter.story.append(
        f"incref-decref with plain counts under SC: {decref.verdict}, "
        f"{', '.join(decref.violation_kinds()) or 'no violation'}."
    )
    uaf = _violation(decref, "use-after-free")
    if uaf is not None:
        chapter.story.append(f"Shortest use after free, {len(uaf.trace)} steps: {uaf.message}")
        _trace_figure(chapter, program, uaf)

    sb = {}
    for model, fence in (("sc", 0), ("tso", 0), ("tso", 1)):
        program = _scenario("sb", "plain", fence=fence)
        result = checker.check(program, model)
        both_zero = [o for o in result.outcomes if program.condition.satisfied_by(o.state)]
        label = f"{model.upper()}{' + fence' if fence else ''}"
        sb[label] = {
            "relaxed_outcome": bool(both_zero),
            "outcome_count": len(result.outcomes),
            "result": result.to_json(),
        }
    chapter.data["sb"] = sb
    chapter.story.append(
        "Store buffering (SB, both loads read 0): "
        + ", ".join(
            f"{label} {'allowed' if v['relaxed_outcome'] else 'forbidden'} ({v['outcome_count']} outcomes)"
            for label, v in sb.items()
        )
        + ". The store buffer lets each load pass the thread's own store; the fence drains it."
    )


# --------------------------------------------------------------------------- 2. coherence


def _first_index(trace, thread: int, instr) -> int | None:
    """Position of `thread`'s step executing `instr` (its IR text, as engines label steps)."""
    text = describe(instr)
    return next((k for k, step in enumerate(trace) if step.thread == thread and text in step.step), None)


def line_moved(program, violation, loc: str) -> dict[str, int] | None:
    """In a lost-update trace: the thread whose store to `loc` came last, the 1-based
    positions in the trace of its load and store, and another thread's store to `loc` in
    between (None if there is none). With SWMR holding, that store means the other core
    took the line in M between the load and the store: the line moved."""
    marks = {}
    for thread in program.threads:
        load = next((i for i in thread.code if isinstance(i, Load) and i.loc == loc), None)
        store = next((i for i in thread.code if isinstance(i, Store) and i.loc == loc), None)
        if load is not None and store is not None:
            marks[thread.tid] = (
                _first_index(violation.trace, thread.tid, load),
                _first_index(violation.trace, thread.tid, store),
            )
    marks = {t: m for t, m in marks.items() if None not in m}
    if len(marks) < 2:
        return None
    loser = max(marks, key=lambda t: marks[t][1])
    load_at, store_at = marks[loser]
    other = next((t for t, (_, st) in marks.items() if t != loser and load_at < st < store_at), None)
    if other is None:
        return None
    return {
        "thread": loser,
        "load_step": load_at + 1,
        "store_step": store_at + 1,
        "other": other,
        "other_store_step": marks[other][1] + 1,
    }


def coherence_chapter(chapter: Chapter, sizes: Sizes) -> None:
    simulator = require("incref.simulator.exhaustive", "simulate")
    explainer = require("incref.simulator.explain", "explain")
    machine = require("incref.simulator.machine", "Config")
    protocols = require("incref.simulator.protocols", "load")
    checker = require("incref.checker", "check")

    program = _scenario("incref-race", "plain")
    mesi = protocols.load("mesi", "bus")
    story = explainer.explain(program, machine.Config(mesi, store_buffers=False))
    chapter.data["explain"] = story.to_json()
    scope = "all" if story.complete else "the first (search cut short)"
    chapter.story.append(
        f"The stale-L1 theory, tested: incref-race with plain counts on {len(program.threads)} in-order cores, "
        f"{story.protocol.upper()} over a {story.interconnect}, no store buffers, every interleaving of core steps "
        f"and coherence messages: SWMR {'held' if story.swmr_everywhere else 'was BROKEN'} in {scope} "
        f"{story.reachable_states:,} reachable states, and the data-value invariant (a read returns the last "
        f"write) {'held' if story.data_value_everywhere else 'was BROKEN'}."
    )
    if story.violation is None:
        chapter.story.append("The model checker found no lost update to replay.")
    else:
        moved = line_moved(program, story.violation, "obj.refcnt")
        chapter.data["line_moved"] = moved
        chapter.story.append(
            f"Yet the increment is still lost. The checker's shortest lost update ({story.violation.message}), "
            f"replayed on the caches, {len(story.rows)} line-level steps:"
        )
        chapter.figures.append(story.render())
        chapter.story.append(f"The simulator's reading of that replay: {story.conclusion}")

    atomic = simulator.simulate(_scenario("incref-race", "atomic"), machine.Config(mesi, store_buffers=False))
    chapter.data["atomic"] = atomic.to_json()
    chapter.story.append(
        f"With a locked read-modify-write (atomic) on the same machine: {atomic.verdict}, final obj.refcnt ∈ "
        f"{_set(o.state['obj.refcnt'] for o in atomic.outcomes)} over {atomic.stats.explored:,} states: "
        f"the core keeps the line in M from its read to its write."
    )

    buffered = simulator.simulate(program, machine.Config(mesi, store_buffers=True))
    tso = checker.check(program, "tso")
    same = buffered.states() == tso.states()
    chapter.data["tso_agreement"] = {
        "simulator_states": len(buffered.states()),
        "checker_states": len(tso.states()),
        "equal": same,
    }
    chapter.story.append(
        f"With FIFO store buffers added, the simulator's {len(buffered.states())} final states "
        f"{'equal' if same else 'DIFFER from'} the TSO checker's {len(tso.states())}: store buffers, not caches, "
        f"are where x86 relaxes."
    )


# --------------------------------------------------------------------------- 3. hardware


def hardware_chapter(chapter: Chapter, sizes: Sizes) -> None:
    hardware = require("incref.hardware", "run")
    bench = require("incref.hardware.bench", "bench", "variant_names")
    environment = require("incref.hardware.environment", "summary")

    iterations = sizes.run_iterations
    runs = {}
    for scheme in ("plain", "atomic", "gil"):
        result = hardware.run(_scenario("incref-race", scheme), iterations, deadline=sizes.run_deadline_s)
        runs[scheme] = result.to_json()
        stopped = "" if result.complete else f" (stopped by the deadline after {result.iterations:,})"
        chapter.story.append(
            f"incref-race on cores {', '.join(map(str, result.cpus))}, {scheme}: {result.lost_updates:,} of "
            f"{result.refcount_ops:,} increments lost ({result.lost_per_million:,.0f} per million) in "
            f"{result.iterations:,} runs{stopped}."
        )
    chapter.data["runs"] = runs

    sb = {}
    for fence in (0, 1):
        program = _scenario("sb", "plain", fence=fence)
        result = hardware.run(program, sizes.sb_iterations, deadline=sizes.run_deadline_s)
        seen = sum(o.count for o in result.outcomes if program.condition.satisfied_by(o.state))
        sb["with the fence" if fence else "without the fence"] = {"both_zero": seen, "result": result.to_json()}
        chapter.story.append(
            f"Store buffering on these cores{' with the fence' if fence else ''}: both loads read 0 in {seen:,} of "
            f"{result.iterations:,} runs ({1e6 * seen / max(result.iterations, 1):,.0f} per million)."
        )
    chapter.data["sb"] = sb

    report = bench.bench(
        schemes=[s for s in sizes.bench_schemes if s in bench.variant_names()], threads=(1, 2), runs=sizes.bench_runs
    )
    chapter.data["bench"] = report.to_json()
    ns = {(m.name, m.threads): m for m in report.measurements}
    table = Table(
        title="ns per refcount operation (median, loop overhead subtracted)",
        caption=environment.summary(report.environment),
    )
    for col in ("scheme", "1 thread", "2 threads, one object", "x plain (1 thread)", "how"):
        table.add_column(col, justify="left" if col in ("scheme", "how") else "right")
    base = ns.get(("plain", 1))
    for name in dict.fromkeys(m.name for m in report.measurements):
        one, two = ns.get((name, 1)), ns.get((name, 2))
        table.add_row(
            name,
            f"{one.ns_per_op:.2f}" if one else "-",
            f"{two.ns_per_op:.2f}" if two else "-",
            f"{one.ns_per_op / base.ns_per_op:.1f}" if one and base and base.ns_per_op > 0 else "-",
            (one or two).note,
        )
    chapter.figures.append(table)
    for name in ("atomic", "gil"):
        fix, plain = ns.get((name, 1)), ns.get(("plain", 1))
        contended = ns.get((name, 2))
        if fix and plain and contended:
            chapter.story.append(
                f"{name} costs {fix.ns_per_op:.2f} ns/op alone against plain's {plain.ns_per_op:.2f} "
                f"({fix.ns_per_op - plain.ns_per_op:+.2f} ns), and {contended.ns_per_op:.2f} ns/op when both "
                f"cores hammer the same object."
            )


# --------------------------------------------------------------------------- 4. python


def python_chapter(chapter: Chapter, sizes: Sizes) -> None:
    experiments = require("incref.hardware.experiments", "run")
    report = require("incref.hardware.experiments.report", "findings", "measurements", "environment_line")
    for name in ("python-race", "pyobject-contention"):
        result = experiments.run(name, quick=True)  # the experiments' small sizes, always: the tour's 60 s
        chapter.data[name] = result.to_json()
        chapter.figures.append(report.measurements(result))
        chapter.story.extend(report.findings(result))
    chapter.story.append(report.environment_line(result))


# --------------------------------------------------------------------------- the tour


CHAPTERS: dict[str, tuple[str, Callable[[Chapter, Sizes], None]]] = {
    "model": ("The model: every execution, proved", model_chapter),
    "coherence": ("Coherence: is a stale L1 copy to blame?", coherence_chapter),
    "hardware": ("Hardware: this machine's cores", hardware_chapter),
    "python": ("Python: the same race one level up", python_chapter),
}


def answer(chapters: Iterable[Chapter]) -> list[str]:
    """The question's answer, one sentence per layer, each from the data of a chapter that
    was told (an omitted chapter leaves its layer out)."""
    told = {c.name: c.data for c in chapters if not c.omitted}
    out = []
    if "model" in told:
        model = told["model"]
        lost = any(v["kind"] == "lost-update" for v in model["race"]["violations"])
        verdicts = {
            f"{scheme} {m.upper()}": r["verdict"] for scheme, per in model["fixes"].items() for m, r in per.items()
        }
        unsafe = [k for k, v in verdicts.items() if v != "safe"]
        out.append(
            (
                "Yes, two threads can lose an increment, and sequential consistency already allows it"
                if lost
                else "The checker found no lost increment under SC"
            )
            + (
                "; the GIL and atomic RMWs are proved safe under SC, TSO and PSO."
                if not unsafe
                else f"; not proved safe: {', '.join(unsafe)}."
            )
        )
    if "coherence" in told:
        story = told["coherence"]["explain"]
        if story["swmr"] and story["data_value"] and story["complete"] and told["coherence"].get("line_moved"):
            out.append(
                f"Not through a stale L1 copy: SWMR and the data-value invariant held in all "
                f"{story['reachable_states']:,} reachable states; the line moved between the load and the store."
            )
    if "hardware" in told:
        runs = told["hardware"]["runs"]
        ns = {(m["scheme"], m["threads"]): m["ns_per_op"] for m in told["hardware"]["bench"]["measurements"]}
        costs = [
            f"{s} {ns[s, 1]:.1f} ns alone, {ns[s, 2]:.1f} ns contended"
            for s in ("plain", "atomic", "gil")
            if (s, 1) in ns and (s, 2) in ns
        ]
        out.append(
            f"On this machine plain counts lost {runs['plain']['lost_per_million']:,.0f} increments per "
            f"million; atomic lost {runs['atomic']['lost_updates']:,} and gil {runs['gil']['lost_updates']:,} "
            f"of {runs['atomic']['refcount_ops']:,} each. Per operation: "
            + "; ".join(costs)
            + ". "
            + "Store buffering (both loads read 0): "
            + ", ".join(
                f"{v['both_zero']:,} of {v['result']['iterations']:,} runs {k}"
                for k, v in told["hardware"]["sb"].items()
            )
            + "."
        )
    if "python" in told:
        race = told["python"]["python-race"]
        plain, call = (
            next(c for c in race["cases"] if c["statement"] == st)
            for st in ("counter += 1", "counter = counter + one()")
        )
        gil = "with the GIL" if race["environment"]["gil_enabled"] else "without the GIL"
        out.append(
            f"In Python {race['environment']['python']} {gil}, `counter += 1` lost "
            f"{plain['lost_per_million']['median']:,.0f} per million and `{call['statement']}` "
            f"{call['lost_per_million']['median']:,.0f} (medians of {len(call['finals'])} runs): "
            "`+=` is a load and a store, atomic only where the "
            f"interpreter happens not to switch threads."
        )
    return out


def tell(name: str, sizes: Sizes = FULL) -> Chapter:
    """Tell chapter `name`, timed; omitted (with the reason) if its engine is missing, or
    `failed` if an engine could not run here."""
    title, told_by = CHAPTERS[name]
    chapter = Chapter(name, title)
    start = time.perf_counter()
    try:
        told_by(chapter, sizes)
    except NotLanded as exc:
        chapter = Chapter(name, title, omitted=f"not told yet: {exc}")
    except InputError as exc:  # the tour takes no input: this is the machine (no C compiler, ...)
        chapter = Chapter(name, title, omitted=f"could not be told on this machine: {exc}", failed=True)
    chapter.seconds = time.perf_counter() - start
    return chapter
