"""Rendering experiment results: a rich table of the measurements, the environment they
were taken in, and findings — sentences whose every number comes from the result."""

from __future__ import annotations

from functools import singledispatch

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from incref.hardware.experiments.results import Contention, ExperimentResult, ForkCow, PythonRace

NOISY = 0.8  # with the GIL, a ratio below this fraction of N cannot come from the threads themselves

SHARED_VS_PRIVATE = (
    "Shared pages are still mapped by the parent too (copy-on-write not yet broken); "
    "Private_Dirty pages belong to the child alone: copies made by its writes, plus "
    "what it allocated. The idle child is the baseline."
)


def environment_line(result: ExperimentResult) -> str:
    env = result.environment
    load = "" if env.load_avg_1min is None else f", load average {env.load_avg_1min:.1f}"
    return (
        f"Python {env.python} ({env.implementation}, {env.build}; {env.gil_text}) at {env.executable}; "
        f"{env.cpu}, {env.cores} cores ({env.usable_cores} usable){load}; {env.os}"
    )


@singledispatch
def findings(result: ExperimentResult) -> list[str]:
    return [f"skipped: {result.skipped}"] if result.skipped else []


LOCK = "with lock: counter += 1"


@findings.register
def _(result: PythonRace) -> list[str]:
    env = result.environment
    plain = result.case("counter += 1")
    call = result.case("counter = counter + one()")
    out = [
        f"`{c.statement}` ({c.target}): {c.lost_per_million.text()}, {result.threads} threads x "
        f"{result.increments:,} increments"
        for c in result.cases
    ]
    steps = " / ".join(plain.bytecode)
    if env.gil_enabled and plain.lost_per_million.high == 0:
        out.append(
            f"Zero lost for `{plain.statement}` is not a guarantee: it is {len(plain.bytecode)} bytecode "
            f"instructions ({steps}), and the GIL holder is switched out only at an eval-breaker check "
            f"(a backward jump or a call, after the {env.switch_interval_s * 1000:g} ms switch interval), "
            f"which never falls between that load and store. With a call between them, the GIL on: "
            f"{call.lost_per_million.text()}."
        )
    elif env.gil_enabled:
        out.append(f"Even with the GIL, `{plain.statement}` ({steps}) lost increments: it is not atomic.")
    else:
        out.append(
            f"The GIL is off: threads run at once and `{plain.statement}` ({steps}) is a plain "
            f"load, add, store race — the lost increment of the model, one level up."
        )
    locked = next((c for c in result.cases if c.statement == LOCK), None)
    if locked is not None:
        kept = "none lost in any run" if locked.lost_per_million.high == 0 else "STILL LOST increments"
        out.append(
            f"A threading.Lock around it (`{locked.statement}`): {kept}; it costs "
            f"{locked.ns_per_increment.text(1)} against {plain.ns_per_increment.text(1)} without it "
            f"({result.threads} threads' wall time over all their increments)."
        )
    return out


@findings.register
def _(result: ForkCow) -> list[str]:
    if result.skipped:
        return [f"skipped: {result.skipped}"]

    def beyond_idle(behaviour: str, freeze: bool) -> float:
        return result.child(behaviour, freeze).private_dirty_mb - result.child("idle", freeze).private_dirty_mb

    immortal = "immortal" if result.interned_strings_immortal else "not immortal"
    return [
        f"Reading each of the {result.objects:,} objects ({result.objects_mb:.1f} MB) made the child copy "
        f"{beyond_idle('read', False):.1f} MB: a read takes and drops a reference, a write to ob_refcnt, and "
        f"the kernel copies the whole {result.page_size // 1024} KB page around it.",
        f"gc.collect() alone copied {beyond_idle('collect', False):.1f} MB without gc.freeze() and "
        f"{beyond_idle('collect', True):.1f} MB with it: the collector writes the gc header of every object it "
        f"traverses, and frozen objects sit in the permanent generation it skips.",
        f"gc.freeze() does not stop refcount writes: reading with it still copied {beyond_idle('read', True):.1f} MB.",
        f"Interned strings are {immortal} in this interpreter (sys.getrefcount = "
        f"{result.interned_string_refcount:,}): reading {result.strings_mb:.1f} MB of them copied "
        f"{beyond_idle('read-interned', False):.1f} MB"
        + (" — immortal counts are never written (PEP 683)." if result.interned_strings_immortal else "."),
        SHARED_VS_PRIVATE,
    ]


@findings.register
def _(result: Contention) -> list[str]:
    env, n = result.environment, result.threads
    out = [
        f"{n} threads vs 1, same work per thread: shared object {result.ratios('shared').text(2)} the time, "
        f"private objects {result.ratios('private').text(2)} (1.00x is perfect scaling)."
    ]
    if n > (env.usable_cores or 1):
        out.append(f"{n} threads on {env.usable_cores} usable cores: threads share cores, so ratios include that.")
    if env.gil_enabled:
        out.append(
            f"The GIL lets one thread run Python at a time, so {n} threads' work is serialised: expect about "
            f"{n}x or more (the lock's hand-offs add to it), whatever the sharing. The lock hides refcount "
            "contention; a free-threaded build (--python python3.13t) shows it."
        )
        if min(result.ratio("shared"), result.ratio("private")) < NOISY * n:
            load = "" if env.load_avg_1min is None else f" (load average {env.load_avg_1min:.1f} on {env.cores} cores)"
            out.append(
                f"A ratio well below {n} with the GIL on means other processes slowed the one-thread "
                f"runs{load}: these ratios are noisy."
            )
    else:
        out.append(
            f"With the GIL off, {n} threads writing one object's count took "
            f"{result.shared_over_private().text(2)} as long as "
            "writing private objects: the price of the count's cache line moving between cores."
        )
    return out


@singledispatch
def measurements(result: ExperimentResult) -> RenderableType:
    return Text("")


@measurements.register
def _(result: PythonRace) -> RenderableType:
    table = Table(
        title=f"python-race: {result.threads} threads x {result.increments:,} increments, {result.runs} runs per case"
    )
    for col in ("target", "statement", "expected", "lost per run", "lost / million (median)", "ns / increment"):
        table.add_column(col, justify="left" if col in ("target", "statement") else "right")
    for c in result.cases:
        table.add_row(
            c.target,
            c.statement,
            f"{c.expected:,}",
            ", ".join(f"{lost:,}" for lost in c.lost_runs),
            f"{c.lost_per_million.median:,.0f}",
            f"{c.ns_per_increment.median:.1f} ({c.ns_per_increment.low:.1f}–{c.ns_per_increment.high:.1f})",
        )
    return table


@measurements.register
def _(result: ForkCow) -> RenderableType:
    if result.skipped:
        return Text(f"fork-cow skipped: {result.skipped}")
    table = Table(
        title=f"fork-cow: {result.objects:,} objects ({result.object_type}), per child from /proc/<pid>/smaps_rollup"
    )
    for col in ("child", "gc.freeze()", "Private_Dirty MB", "Shared MB", "seconds"):
        table.add_column(col, justify="left" if col == "child" else "right")
    for c in result.children:
        table.add_row(
            c.does, "yes" if c.freeze else "no", f"{c.private_dirty_mb:.1f}", f"{c.shared_mb:.1f}", f"{c.seconds:.3f}"
        )
    return table


@measurements.register
def _(result: Contention) -> RenderableType:
    table = Table(
        title=f"pyobject-contention: {result.touches:,} touches x {result.references_per_touch} "
        f"references per thread, best and median of {result.repeats} runs"
    )
    for col in ("object", "threads", "best s", "median s", "ns per reference (best)"):
        table.add_column(col, justify="left" if col == "object" else "right")
    for r in result.rows:
        table.add_row(
            r.sharing,
            str(r.threads),
            f"{r.best_s:.4f}",
            f"{r.median_s:.4f}",
            f"{result.ns_per_reference(r.sharing, r.threads):.2f}",
        )
    return table


def render(result: ExperimentResult) -> RenderableType:
    """The whole report of one experiment, for a rich console."""
    parts: list[RenderableType] = [measurements(result)]
    parts.extend(Text("• " + line) for line in findings(result))
    parts.append(Text(environment_line(result), style="dim"))
    return Group(*parts)
