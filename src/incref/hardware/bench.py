"""What each refcount fix costs on this machine: ns per refcount operation.

A scheme's cost is the cost of its expansion: the loop body of each benchmark is the
scheme's own IR for one `incref` and one `decref` (`Scheme.incref`/`Scheme.decref` on the
object `apply_scheme` laid out), compiled by `codegen` exactly as `incref run` compiles
scenarios — so what is timed is what the model checker proved things about. The count
starts high (2^40, or immortal), so the decref never frees and the loop is steady.

Measurement hygiene after pyperf (psf/pyperf, `_runner.py`, `_bench.py`): warm-up runs
(the calibration) are discarded; then several runs of ~`RUN_SECONDS` each — long against
the clock's cost and the thread start, short against a scheduler time slice, so that on
a busy machine most of them run undisturbed; the median and the spread (min..max) are
reported; the cost of an empty loop of the same shape, measured the same way, is
subtracted; and the machine is recorded (`environment.collect`). Each thread times its
loop with its own CPU-time clock (`CLOCK_THREAD_CPUTIME_ID`), so time it spent
descheduled does not count; a run is *clean* when the threads started together and
stayed on their cores (`together`) — a contended figure needs that, else the threads
merely took turns (`_runs` prefers clean runs and counts them). Contention: `threads` workers run at once, pinned to
distinct cores, on one shared object (`shared`) or one object each (`private`, every
location on its own cache line)."""

from __future__ import annotations

import ctypes
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from incref.errors import UsageError
from incref.hardware import codegen
from incref.hardware.compile import build, find_compiler
from incref.hardware.environment import collect as collect_environment
from incref.hardware.runner import context_type, spin_mask, thread_cpus
from incref.ir.program import (
    Decref,
    Incref,
    Instr,
    Order,
    Program,
    Rmw,
    Thread,
    default_object,
    link,
)
from incref.schemes import apply_scheme, get
from incref.schemes import names as scheme_names
from incref.schemes.base import Expansion

START_COUNT = 1 << 40
RUN_SECONDS = 0.001  # short runs: more of them escape preemption on a busy machine
RUNS = 5
CLEAN = 0.9  # `together` of a clean run
ATTEMPTS = 8  # runs tried per run wanted
SHARINGS = ("private", "shared")


def relaxed(code: list[Instr]) -> list[Instr]:
    """The `atomic` scheme at relaxed order: the same read-modify-writes with
    `memory_order_relaxed` (Rust's `Arc::clone` increment; on x86 the same `LOCK XADD`)."""
    return [replace(i, order=Order.RLX) if isinstance(i, Rmw) else i for i in code]


@dataclass(frozen=True)
class Variant:
    """One row of the table: a registered scheme, the object attributes it needs, and an
    optional transformation of its expansion."""

    name: str
    scheme: str
    initial: int = START_COUNT
    attrs: Callable[[int, int], dict[str, int]] = lambda tid, nthreads: {}
    transform: Callable[[list[Instr]], list[Instr]] | None = None
    note: str = ""
    timed: Callable[[int, str], tuple[int, ...]] | None = None  # (threads, sharing) -> threads whose time counts

    def timed_threads(self, nthreads: int, sharing: str) -> tuple[int, ...]:
        return self.timed(nthreads, sharing) if self.timed else tuple(range(nthreads))


def _immortal_count() -> int:
    from incref.schemes.immortal import IMMORTAL_INITIAL_REFCNT

    return IMMORTAL_INITIAL_REFCNT


VARIANTS: tuple[Variant, ...] = (
    Variant("plain", "plain", note="load, add, store (no atomicity)"),
    Variant("atomic-relaxed", "atomic", transform=relaxed, note="locked RMW (LOCK ADD/XADD), relaxed"),
    Variant("atomic", "atomic", note="locked RMW (LOCK ADD/XADD), seq_cst"),
    Variant("gil", "gil", note="spinlock around load, add, store"),
    Variant(
        "biased-owner",
        "biased",
        attrs=lambda tid, n: {"owner": tid},
        timed=lambda n, sharing: (0,),
        note="owner's path (shared: thread 0 owns, the others run the non-owner path meanwhile)",
    ),
    Variant("biased-nonowner", "biased", attrs=lambda tid, n: {"owner": n}, note="another thread: atomic shared count"),
    Variant("sharded", "sharded", note="per-thread count"),
    Variant("immortal", "immortal", note="count read, never written"),
)


def variant_names() -> list[str]:
    return [v.name for v in VARIANTS]


def available(variant: Variant) -> bool:
    return variant.scheme in scheme_names()


def loop_program(variant: Variant, nthreads: int, sharing: str) -> tuple[Program, dict[int, list[Instr]]]:
    """The laid-out program (locations, objects) and each thread's loop body: the
    scheme's expansion of `incref o; decref o` on its object."""
    scheme = get(variant.scheme)
    count = _immortal_count() if variant.name == "immortal" else variant.initial
    objects, locations = {}, {}
    for t in range(nthreads if sharing == "private" else 1):
        info, locs = default_object(f"o{t}", count, **variant.attrs(t, nthreads))
        objects[info.name] = info
        locations.update(locs)
    owned = lambda t: f"o{t}" if sharing == "private" else "o0"  # noqa: E731
    threads = tuple(Thread(t, (Incref(owned(t)), Decref(owned(t)))) for t in range(nthreads))
    program = apply_scheme(Program(f"bench-{variant.name}", locations, threads, objects=objects), scheme)
    bodies = {}
    for t in range(nthreads):
        obj = program.objects[owned(t)]
        x = Expansion(t, nthreads)
        code = scheme.incref(obj, x) + scheme.decref(obj, x)
        bodies[t] = list(link(variant.transform(code) if variant.transform else code))
    return program.with_threads(Thread(t, tuple(b)) for t, b in bodies.items()), bodies


HAND_WRITTEN_PLAIN = """{{ volatile i64 *rc = (volatile i64 *)(mem + {refcnt});
  *rc = *rc + 1; CB();
  i64 v = *rc - 1; *rc = v; CB();
  if (v == 0) {{ (void)*(volatile i64 *)(mem + {payload}); *(volatile i64 *)(mem + {freed}) = 1; }} }}"""
"""`Py_INCREF` then `Py_DECREF` written by hand with volatile accesses on one count (the
reference the generated `plain` loop must match within 10 %)."""


@dataclass
class Measurement:
    name: str
    threads: int
    sharing: str
    ns_per_op: float  # median over runs, loop overhead subtracted
    spread: tuple[float, float]
    runs: list[float]
    overhead_ns: float
    loops: int
    note: str = ""
    raw_per_loop: list[float] = field(default_factory=list)  # ns per loop trip, nothing subtracted
    clean_runs: int = 0  # runs in which every thread stayed on its core (see `_runs`)

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.name,
            "threads": self.threads,
            "sharing": self.sharing,
            "ns_per_op": round(self.ns_per_op, 3),
            "min": round(self.spread[0], 3),
            "max": round(self.spread[1], 3),
            "runs": [round(r, 3) for r in self.runs],
            "loop_overhead_ns": round(self.overhead_ns, 3),
            "loops": self.loops,
            "clean_runs": self.clean_runs,
            "note": self.note,
        }


class _Loop:
    """A compiled benchmark: `time(n)` runs every thread's body `n` times at once and
    returns each thread's nanoseconds per iteration."""

    def __init__(self, program: Program, bodies: dict[int, list[str]]):
        self.nthreads = len(bodies)
        layout = codegen.Layout.of(program)
        self.lib = ctypes.CDLL(str(build(codegen.bench_source(program, bodies), find_compiler())))
        self.lib.incref_bench.restype = ctypes.c_int
        self.lib.incref_bench.argtypes = [ctypes.c_void_p, ctypes.c_double]
        self.mem = (ctypes.c_int64 * (max(len(layout.slots), 3) * codegen.LINE_WORDS))()
        cpus, self.shared = thread_cpus(self.nthreads)
        self.cpus = (ctypes.c_int * self.nthreads)(*cpus)
        self.ctx_type = context_type(self.nthreads)

    def time(self, n: int) -> tuple[list[float], float]:
        """Run every thread's loop `n` times at once: (CPU ns per trip of each thread,
        how much the threads really ran together, see `together`)."""
        ctx = self.ctx_type(mem=self.mem, n=n, cpus=self.cpus, spin_mask=spin_mask(self.shared))
        if self.lib.incref_bench(ctypes.byref(ctx), 120.0) != 0:
            raise UsageError("the benchmark did not finish (threads could not start or it ran past 120 s)")
        return [ctx.ns[t] / n for t in range(self.nthreads)], together(ctx, self.nthreads)


def together(ctx, nthreads: int) -> float:
    """How truly simultaneous a run was, from 0 to 1: the smallest share of its own loop a
    thread spent on a core (CPU time / wall time), lowered by how late the last thread
    began relative to the shortest loop. Loops that end at different times are fine
    (contention is rarely fair), loops that did not start together or were descheduled
    are not."""
    spans = [max(ctx.ended[t] - ctx.began[t], 1) for t in range(nthreads)]
    on_core = min(min(ctx.ns[t] / spans[t], 1.0) for t in range(nthreads))
    skew = max(ctx.began[t] for t in range(nthreads)) - min(ctx.began[t] for t in range(nthreads))
    return on_core * max(0.0, 1.0 - skew / min(spans))


def _compile_loop(program: Program, bodies: dict[int, list[Instr]] | dict[int, list[str]]) -> _Loop:
    c_bodies = {
        t: b
        if b and isinstance(b[0], str)
        else codegen.ThreadEmitter(program, codegen.Layout.of(program), t, []).body(tuple(b))
        for t, b in bodies.items()
    }
    return _Loop(program, c_bodies)


def _runs(loop: _Loop, n: int, runs: int, timed: tuple[int, ...]) -> tuple[list[float], int]:
    """`runs` timings (mean CPU ns per trip over the `timed` threads), preferring clean
    runs — `together` ≥ CLEAN: the threads really ran at the same time (a contended
    figure needs that) and nothing else ran in between. Tries up to
    `ATTEMPTS`×`runs` times; returns the timings and how many were clean (the rest are
    the least disturbed of the others)."""
    clean: list[float] = []
    others: list[tuple[float, float]] = []
    for _ in range(ATTEMPTS * runs):
        times, overlap = loop.time(n)
        value = statistics.fmean(times[t] for t in timed)
        if overlap >= CLEAN:
            clean.append(value)
            if len(clean) == runs:
                break
        else:
            others.append((overlap, value))
    others.sort(reverse=True)
    return clean + [value for _, value in others[: runs - len(clean)]], len(clean)


def _measure(loop: _Loop, empty: _Loop, runs: int, timed: tuple[int, ...]) -> tuple[list[float], float, int, int]:
    """(ns per loop trip of each run, ns per trip of the empty loop, trips per run,
    clean runs)."""
    n = 1_000
    while True:  # calibrate (and warm up) on the slowest of 3 runs: runs of about RUN_SECONDS
        per = max(max(loop.time(n)[0]) for _ in range(3))
        if per * n >= RUN_SECONDS * 1e9 or n >= 1 << 30:
            break
        n = min(1 << 30, int(n * max(2.0, RUN_SECONDS * 1e9 / max(per * n, 1.0))))
    empty.time(n)
    overhead = statistics.median(_runs(empty, n, runs, timed)[0])
    raw, clean = _runs(loop, n, runs, timed)
    return raw, overhead, n, clean


def measure(
    program: Program,
    bodies,
    *,
    name: str,
    sharing: str,
    runs: int = RUNS,
    note: str = "",
    timed: tuple[int, ...] | None = None,
) -> Measurement:
    """ns per refcount operation of `bodies` (each one incref + one decref), averaged
    over the `timed` threads (all by default) while every thread runs."""
    nthreads = len(bodies)
    empty_program = Program("bench-empty", dict(program.locations), tuple(Thread(t, ()) for t in range(nthreads)))
    loop = _compile_loop(program, bodies)
    empty = _compile_loop(empty_program, {t: [] for t in range(nthreads)})
    raw, overhead, n, clean = _measure(loop, empty, runs, timed if timed is not None else tuple(range(nthreads)))
    samples = [(r - overhead) / 2 for r in raw]
    return Measurement(
        name,
        nthreads,
        sharing,
        statistics.median(samples),
        (min(samples), max(samples)),
        samples,
        overhead,
        n,
        note,
        raw,
        clean,
    )


def bench_variant(variant: Variant, nthreads: int, sharing: str, runs: int = RUNS) -> Measurement:
    program, bodies = loop_program(variant, nthreads, sharing)
    return measure(
        program,
        bodies,
        name=variant.name,
        sharing=sharing,
        runs=runs,
        note=variant.note,
        timed=variant.timed_threads(nthreads, sharing),
    )


def bench_hand_written(nthreads: int, sharing: str, runs: int = RUNS) -> Measurement:
    """The hand-written volatile loop, on a plain object laid out as `plain` lays it out."""
    program, _ = loop_program(VARIANTS[0], nthreads, sharing)
    layout = codegen.Layout.of(program)
    bodies = {}
    for t in range(nthreads):
        obj = f"o{t}" if sharing == "private" else "o0"
        offsets = {f: layout.slots[f"{obj}.{f}"] * codegen.LINE_WORDS for f in ("refcnt", "payload", "freed")}
        bodies[t] = HAND_WRITTEN_PLAIN.format(**offsets).splitlines()
    return measure(
        program, bodies, name="hand-written C", sharing=sharing, runs=runs, note="volatile ++/-- written by hand"
    )


@dataclass
class BenchReport:
    measurements: list[Measurement]
    skipped: list[str]
    environment: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "measurements": [m.to_json() for m in self.measurements],
            "skipped": self.skipped,
            "unit": "ns per refcount operation (median of runs, loop overhead subtracted)",
            "environment": self.environment,
        }


def bench(
    schemes: list[str] | None = None,
    threads: tuple[int, ...] = (1, 2),
    sharing: str = "shared",
    runs: int = RUNS,
    progress: Callable[[str], None] | None = None,
) -> BenchReport:
    if sharing not in SHARINGS:
        raise UsageError(f"--sharing must be one of {', '.join(SHARINGS)}, got {sharing!r}")
    known = variant_names()
    chosen = schemes or known
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise UsageError(f"unknown benchmark scheme {unknown[0]!r} (known: {', '.join(known)})")
    if not threads or any(t < 1 or t > 64 for t in threads):
        raise UsageError("--threads must be between 1 and 64")
    if runs < 1:
        raise UsageError("--runs must be at least 1")
    report = BenchReport([], [], collect_environment(find_compiler()))
    for variant in (v for v in VARIANTS if v.name in chosen):
        if not available(variant):
            report.skipped.append(f"{variant.name}: scheme {variant.scheme!r} is not registered")
            continue
        for n in threads:
            if progress:
                progress(f"{variant.name}, {n} thread(s)")
            report.measurements.append(bench_variant(variant, n, sharing if n > 1 else "private", runs))
    return report
