"""Run an engine-level program on real cores and histogram its final states.

The generated harness (`codegen.harness_source`) does the work in C, with no Python
object touched by a worker thread (so it is correct with or without a GIL; ctypes
releases the GIL around the call). This module chooses the cores, splits the iterations
into chunks whose slots fit in the caches, turns the rows of final values into the
`Outcome` histogram every engine returns, and computes lost updates: for each object,
the scheme's logical count (`ObjectInfo.count`) against the initial count plus the
deltas of the refcount operations that ran in that iteration.

Threads are pinned one per core with `pthread_setaffinity_np`; with more threads than
usable cores they share cores round-robin and `RunResult.shared_cores` says so."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from incref.errors import UsageError
from incref.hardware import codegen
from incref.hardware.compile import build, find_compiler
from incref.hardware.environment import collect as collect_environment
from incref.ir.program import Program, evaluate
from incref.ir.results import Outcome, merge_outcomes, sort_outcomes

MAX_ITERATIONS = 10**9
CHUNK_BYTES = 4 << 20  # memory slots per chunk: fits a last-level cache slice
DEFAULT_JITTER = 8  # pauses of random start delay, see `harness_source`


@dataclass
class RunResult:
    """What real cores did: the histogram of final states (the `CheckResult` shape) plus
    what only hardware has. `iterations` counts the executions in the histogram;
    `blocked` those whose `Assume` spin or bounded loop ran out (the model does not count
    them either); `lost_per_million` is lost updates per million refcount operations
    (|expected − logical count| summed over iterations; None without refcount objects)."""

    scenario: str
    scheme: str | None
    outcomes: list[Outcome]
    iterations: int
    requested: int
    blocked: int = 0
    filtered: int = 0
    assertion_failures: int = 0
    lost_updates: int = 0
    refcount_ops: int = 0
    seconds: float = 0.0
    timed_out: bool = False
    interrupted: bool = False  # Ctrl-C: the chunks run so far are the result
    cpus: tuple[int, ...] = ()
    shared_cores: bool = False
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def lost_per_million(self) -> float | None:
        if not self.refcount_ops:
            return None
        return self.lost_updates * 1e6 / self.refcount_ops

    @property
    def complete(self) -> bool:
        return not (self.timed_out or self.interrupted)

    def states(self) -> set[tuple[tuple[str, int], ...]]:
        return {o.key() for o in self.outcomes}

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "scheme": self.scheme,
            "engine": "hardware",
            "outcomes": [o.to_json() for o in sort_outcomes(self.outcomes)],
            "iterations": self.iterations,
            "requested": self.requested,
            "blocked": self.blocked,
            "filtered": self.filtered,
            "assertion_failures": self.assertion_failures,
            "lost_updates": self.lost_updates,
            "refcount_ops": self.refcount_ops,
            "lost_per_million": self.lost_per_million,
            "complete": self.complete,
            "timed_out": self.timed_out,
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 6),
            "cpus": list(self.cpus),
            "shared_cores": self.shared_cores,
            "environment": self.environment,
        }


def check_iterations(iterations: int) -> int:
    if type(iterations) is not int or not 1 <= iterations <= MAX_ITERATIONS:
        raise UsageError(f"--iterations must be between 1 and {MAX_ITERATIONS:,}, got {iterations}")
    return iterations


def thread_cpus(nthreads: int) -> tuple[tuple[int, ...], bool]:
    """One usable core per thread, round-robin when there are more threads than cores."""
    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    return tuple(usable[t % len(usable)] for t in range(nthreads)), nthreads > len(usable)


def spin_mask(shared_cores: bool) -> int:
    """How often a spinning thread yields its core: at once when threads share cores (the
    thread it waits for may be queued behind it), else every 1024 pauses."""
    return 0 if shared_cores else 1023


def context_type(nthreads: int) -> type[ctypes.Structure]:
    """The ctypes mirror of the harness's `struct ctx` (codegen.PRELUDE)."""
    i64 = ctypes.c_int64
    return type(
        "Ctx",
        (ctypes.Structure,),
        {
            "_fields_": [
                ("mem", ctypes.POINTER(i64)),
                ("rows", ctypes.POINTER(i64)),
                ("n", i64),
                ("cpus", ctypes.POINTER(ctypes.c_int)),
                ("seed", ctypes.c_uint64),
                ("jitter", i64),
                ("spin_mask", ctypes.c_uint64),
                ("stop", ctypes.c_int),
                ("bar_count", ctypes.c_int),
                ("bar_sense", ctypes.c_int),
                ("done", i64 * nthreads),
                ("ns", i64 * nthreads),
                ("began", i64 * nthreads),
                ("ended", i64 * nthreads),
            ]
        },
    )


def run(
    program: Program,
    iterations: int,
    *,
    deadline: float | None = None,
    jitter: int = DEFAULT_JITTER,
    seed: int = 1,
    progress=None,
) -> RunResult:
    """Run `program` (engine-level) `iterations` times on real cores; stop at `deadline`
    seconds (the watchdog sets the stop flag every spin polls and joins every thread).
    `progress(done, iterations)` is called after every chunk."""
    check_iterations(iterations)
    p = codegen.plan(program)
    compiler = find_compiler()
    lib = ctypes.CDLL(str(build(codegen.harness_source(p), compiler)))
    entry = lib.incref_run
    entry.restype = ctypes.c_int
    entry.argtypes = [ctypes.c_void_p, ctypes.c_double]

    nthreads = len(program.threads)
    cpus, shared = thread_cpus(nthreads)
    slot_words = len(p.layout.slots) * codegen.LINE_WORDS
    chunk = max(1, min(iterations, 100_000, CHUNK_BYTES // (8 * max(slot_words, 1))))
    mem = (ctypes.c_int64 * (chunk * max(slot_words, 1)))()
    rows = (ctypes.c_int64 * (chunk * p.ncols))()
    cpu_array = (ctypes.c_int * nthreads)(*cpus)
    ctx_type = context_type(nthreads)

    histogram: Counter[tuple[int, ...]] = Counter()
    done, timed_out = 0, False
    start = time.perf_counter()
    with _interruptible() as interrupted:
        while done < iterations and not timed_out and not interrupted:
            n = min(chunk, iterations - done)
            remaining = 0.0 if deadline is None else deadline - (time.perf_counter() - start)
            if deadline is not None and remaining <= 0:
                timed_out = True
                break
            ctx = ctx_type(
                mem=mem, rows=rows, n=n, cpus=cpu_array, seed=seed + done, jitter=jitter, spin_mask=spin_mask(shared)
            )
            status = entry(ctypes.byref(ctx), remaining)
            if status < 0:
                raise UsageError("could not start the worker threads (pthread_create failed)")
            timed_out = status == 1
            histogram.update(_row_tuples(rows, ctx.n, p.ncols))
            done += ctx.n
            if progress is not None:
                progress(done, iterations)
    result = _summarise(p, histogram, iterations)
    result.seconds = time.perf_counter() - start
    result.timed_out = timed_out
    result.interrupted = bool(interrupted)
    result.cpus, result.shared_cores = cpus, shared
    result.environment = collect_environment(compiler)
    return result


@contextmanager
def _interruptible():
    """While running chunks, Ctrl-C ends the run after the current chunk (the C code
    finishes it; Python's handler runs when it returns) instead of raising in the middle
    of counting it. Yields a list that is non-empty once Ctrl-C was pressed."""
    pressed: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def _row_tuples(rows: ctypes.Array, n: int, ncols: int):
    view = memoryview(rows).cast("B").cast("q")[: n * ncols]
    return zip(*(view[j::ncols] for j in range(ncols)))


def _summarise(p: codegen.Plan, histogram: Counter, requested: int) -> RunResult:
    program = p.program
    nthreads = len(program.threads)
    keys = program.state_keys()
    result = RunResult(program.name, program.scheme, [], 0, requested)
    pairs = []
    for row, count in histogram.items():
        flags = 0
        for t in range(nthreads):
            flags |= row[p.flag_col(t)]
        if flags & (codegen.F_BLOCKED | codegen.F_LOOPBOUND):
            result.blocked += count
            continue
        env = dict(zip(p.keys, row))
        if program.filter is not None and not evaluate(program.filter, env):
            result.filtered += count
            continue
        if flags & codegen.F_ASSERT:
            result.assertion_failures += count
        for j, name in enumerate(p.objects):
            obj = program.objects[name]
            ops = sum(row[p.ops_col(t, j)] for t in range(nthreads))
            if "lost-update" not in obj.invariants or not ops:
                continue
            expected = obj.initial_count + sum(row[p.delta_col(t, j)] for t in range(nthreads))
            result.lost_updates += abs(expected - evaluate(obj.count, env)) * count
            result.refcount_ops += ops * count
        pairs.append(({k: env[k] for k in keys}, count))
        result.iterations += count
    result.outcomes = merge_outcomes(pairs)
    return result
