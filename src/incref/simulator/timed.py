"""Timed mode: run each scenario thread's loop body `iterations` times on the same machine
and protocol tables as exhaustive mode, and count cycles, table transitions and messages.

How it is fast. A line's coherence state (every cache's state, the home's state, owner and
sharers) takes few distinct values, so the protocol engine of `incref.simulator.machine`
runs only while *compiling*: a breadth-first walk over every line state reachable by a
load, store or locked RMW of any core, each transaction run to completion through the
tables (the directory's messages delivered in order until the network is quiet), gives a
transition table `(line state, core, operation) -> (next state, cycles, counts)`. The run
itself is then a loop over precompiled per-thread traces with plain ints and lists
(no per-operation allocation): pick the core with the smallest clock, look up its
operation's entry, advance clocks, count the entry. Counts of table cells and messages are
the entry's counts times the number of times it was taken.

What is timed (a first-order cost model; the latencies are parameters):
* a hit costs `l1`; a miss served by the home costs `llc` (`memory` on the first touch of
  a line); a miss that takes the line from another cache holding it with ownership, or that
  must invalidate other readable copies, costs `c2c` (a core-to-core transfer; Primer
  section 8.1: a three-hop transaction);
* a locked RMW or a full fence first waits for the store buffer to drain, and an RMW adds
  `rmw` cycles during which the line stays held (other cores' misses on it wait);
* a buffered store costs the core 1 cycle; its coherence transaction drains in the
  background (the buffer's clock), in program order; a load of a line the core's buffer
  still holds a store to is forwarded from the buffer (`l1`, no transaction);
* misses on one line are serialised (a line is in one transaction at a time), which is
  where contention costs come from.
Loops are the thread's code run alone on the initial memory (branches followed as it would
take them), so a body with a data-dependent exit is timed along that one path.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from incref.errors import UsageError
from incref.ir.program import (
    RMW_OPS,
    Assign,
    Assume,
    Branch,
    Cas,
    Fence,
    Free,
    Load,
    Lock,
    LoopBound,
    Program,
    Rmw,
    Store,
    Unlock,
    evaluate,
)
from incref.simulator.machine import Cache, Config, Home, Line, Machine
from incref.simulator.protocols import transitions_count

LOAD, STORE, RMW, FENCE = 0, 1, 2, 3
OPS = 4
LATENCIES = {"l1": 4, "llc": 40, "c2c": 70, "memory": 200, "rmw": 18, "fence": 30}
LATENCY_NOTES = {
    "l1": "L1 hit",
    "llc": "miss served by the last-level cache / home",
    "c2c": "core-to-core transfer (line taken from, or invalidated in, another cache)",
    "memory": "first touch of a line (DRAM)",
    "rmw": "extra cycles of a locked read-modify-write (uops.info: LOCK ADD ~18)",
    "fence": "mfence after the store buffer drained",
}
MAX_TRACE = 100_000
KERNELS = ("auto", "c", "python")
MAX_ITERATIONS = 10**9  # loop bodies per thread in one timed run


def latencies(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """The default latencies with `overrides` (`--latency name=cycles`) checked."""
    out = dict(LATENCIES)
    for name, value in (overrides or {}).items():
        if name not in LATENCIES:
            raise UsageError(f"unknown latency {name!r} (known: {', '.join(LATENCIES)})")
        if value < 0:
            raise UsageError(f"latency {name} must not be negative (got {value})")
        out[name] = value
    return out


def trace(program: Program, index: int, locs: Mapping[str, int]) -> list[tuple[int, int]]:
    """Thread `index`'s memory operations, `(op, line)`, in the order it performs them
    when it runs alone on the initial memory (one loop body)."""
    thread = program.threads[index]
    code = thread.code
    memory = dict(program.locations)
    regs: dict[str, int] = {r: v for (t, r), v in program.init_regs.items() if t == thread.tid}
    out: list[tuple[int, int]] = []
    pc = 0
    steps = 0
    while pc < len(code) and steps < MAX_TRACE:
        steps += 1
        instr = code[pc]
        pc += 1
        if isinstance(instr, Load):
            if instr.reg:
                regs[instr.reg] = memory.get(instr.loc, 0)
            out.append((LOAD, locs[instr.loc]))
        elif isinstance(instr, Store):
            memory[instr.loc] = evaluate(instr.value, regs)
            # a seq_cst store is XCHG on x86 (the C11 mapping): a locked write
            out.append((RMW if instr.order.value == "sc" else STORE, locs[instr.loc]))
        elif isinstance(instr, (Rmw, Cas)):
            old = memory.get(instr.loc, 0)
            if isinstance(instr, Rmw):
                memory[instr.loc] = RMW_OPS[instr.op](old, evaluate(instr.operand, regs))
            elif old == evaluate(instr.expected, regs):
                memory[instr.loc] = evaluate(instr.desired, regs)
            if instr.reg:
                regs[instr.reg] = old
            out.append((RMW, locs[instr.loc]))
        elif isinstance(instr, (Lock, Unlock)):
            memory[instr.lock] = int(isinstance(instr, Lock))
            out.append((RMW if isinstance(instr, Lock) else STORE, locs[instr.lock]))
        elif isinstance(instr, Free):
            out.append((RMW, locs[program.objects[instr.obj].freed]))
        elif isinstance(instr, Fence) and (
            instr.kind in ("mfence", "dmb.sy") or (not instr.kind and instr.order.value == "sc")
        ):
            out.append((FENCE, 0))
        elif isinstance(instr, Assign):
            regs[instr.reg] = evaluate(instr.value, regs)
        elif isinstance(instr, Branch) and evaluate(instr.cond, regs):
            pc = instr.target
        elif isinstance(instr, (Assume, LoopBound)) and (
            isinstance(instr, LoopBound) or not evaluate(instr.cond, regs)
        ):
            break
    return out


@dataclass
class Entry:
    """One compiled transaction: what a core's operation does from one line state."""

    next: int
    cycles: int
    miss: bool
    counts: dict[tuple[str, str, str], int]
    messages: dict[str, int]


@dataclass
class Compiled:
    states: list[tuple]  # line state id -> (caches, home, cold)
    entries: list[Entry]
    table: list[int]  # (state * cores + core) * OPS + op -> entry id (-1: fence / unused)


def compile_protocol(machine: Machine, lat: Mapping[str, int]) -> Compiled:
    """Every line state reachable from the initial one by any core's load, store or RMW,
    and the transaction each takes (the machine's protocol engine, run to quiescence)."""
    cores = machine.cores
    cold = ((Cache(machine.cache.states[0], 0),) * cores, Home(machine.home.states[0], 0), True)
    states = [cold]
    index = {cold: 0}
    entries: list[Entry] = []
    table: list[int] = []
    sid = 0
    while sid < len(states):
        for c in range(cores):
            for op in range(OPS):
                if op == FENCE:
                    table.append(-1)
                    continue
                caches, home, is_cold, served_by_home, cycles, counts, messages = _transaction(
                    machine, states[sid], c, op, lat
                )
                key = (caches, home, is_cold and not served_by_home)
                if key not in index:
                    index[key] = len(states)
                    states.append(key)
                table.append(len(entries))
                entries.append(Entry(index[key], cycles, cycles != lat["l1"] or op == RMW, counts, messages))
        sid += 1
    return Compiled(states, entries, table)


def _transaction(machine: Machine, state, c: int, op: int, lat: Mapping[str, int]):
    """Core `c`'s `op` from line state `state`: the machine's transaction (its protocol
    engine, run to quiescence) and what it costs in cycles."""
    caches, home, cold = state
    perms = machine.cache.permissions
    event = "Load" if op == LOAD else "Store"
    hit = "hit" in machine.cache.cell(caches[c].state, event).actions
    owner_elsewhere = any("o" in perms[caches[o].state] for o in range(machine.cores) if o != c)
    readers_elsewhere = any("r" in perms[caches[o].state] for o in range(machine.cores) if o != c)
    line, tally, problem = machine.transaction(Line(caches, home, 0), c, event)
    if problem is not None:
        raise UsageError(
            f"protocol {machine.protocol.name} ({machine.protocol.interconnect}) error in timed mode: "
            f"{problem} (run --exhaustive for the shortest execution)"
        )
    if hit:
        cycles, served_by_home = lat["l1"], False
    elif owner_elsewhere or (op != LOAD and readers_elsewhere):
        cycles, served_by_home = lat["c2c"], False
    else:
        cycles, served_by_home = (lat["memory"] if cold else lat["llc"]), True
    if op == RMW:
        cycles += lat["rmw"]
    return (line.caches, line.home, cold, served_by_home, cycles, tally.cells, tally.messages)


@dataclass
class TimedResult:
    protocol: str
    interconnect: str
    iterations: int
    latencies: dict[str, int]
    store_buffers: bool
    operations: int
    cycles: int  # the last core's finishing time
    per_thread: list[dict[str, Any]]
    transitions: dict[str, dict[str, dict[str, int]]]
    messages: dict[str, int]
    seconds: float
    line_states: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ops_per_second(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else float("inf")

    def cycles_per_iteration(self) -> float:
        """Mean over threads of cycles per loop body."""
        per = [t["cycles_per_iteration"] for t in self.per_thread if t["operations"]]
        return sum(per) / len(per) if per else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "interconnect": self.interconnect,
            "iterations": self.iterations,
            "store_buffers": self.store_buffers,
            "latencies": self.latencies,
            "operations": self.operations,
            "cycles": self.cycles,
            "cycles_per_operation": round(self.cycles_per_operation(), 3),
            "cycles_per_iteration": round(self.cycles_per_iteration(), 3),
            "threads": self.per_thread,
            "transitions": self.transitions,
            "messages": self.messages,
            "line_states": self.line_states,
            "simulated_ops_per_second": round(self.ops_per_second),
            "seconds": round(self.seconds, 6),
            **self.extra,
        }

    def cycles_per_operation(self) -> float:
        total_ops = sum(t["operations"] for t in self.per_thread)
        total = sum(t["cycles"] for t in self.per_thread)
        return total / total_ops if total_ops else 0.0


def run(
    program: Program, config: Config, iterations: int, lat: Mapping[str, int] | None = None, kernel: str = "auto"
) -> TimedResult:
    """Each thread of `program` (engine level) runs its code `iterations` times. `kernel`
    "c" runs the hot loop compiled (the C compiler `incref run` uses), "python" in Python;
    both compute the same numbers (tests/test_simulator_timed.py); "auto" is "c" when a C
    compiler is available, else "python" (slower: the result says which ran)."""
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise UsageError(
            f"--iterations must be between 1 and {MAX_ITERATIONS:,} (got {iterations:,}): "
            "at tens of millions of simulated operations per second, more would run for hours"
        )
    if kernel not in KERNELS:
        raise UsageError(f"unknown kernel {kernel!r} (known: {', '.join(KERNELS)})")
    lat = latencies(lat)
    machine = Machine(program, config)
    compiled = compile_protocol(machine, lat)
    traces = [trace(program, i, machine.loc_index) for i in range(machine.cores)]
    if kernel == "auto":
        kernel = "c" if _have_compiler() else "python"
    loop = _run_c if kernel == "c" else _run
    if kernel == "c":
        _kernel()  # compile (or load from the cache) before the clock starts
    started = time.perf_counter()
    hits, clocks, forwarded = loop(
        compiled, traces, iterations, machine.cores, len(machine.locs), config.store_buffers, lat
    )
    seconds = time.perf_counter() - started
    counts: dict[tuple[str, str, str], int] = {}
    messages: dict[str, int] = {}
    for e, n in enumerate(hits):
        if n:
            for k, v in compiled.entries[e].counts.items():
                counts[k] = counts.get(k, 0) + v * n
            for k, v in compiled.entries[e].messages.items():
                messages[k] = messages.get(k, 0) + v * n
    per_thread = []
    for i, tr in enumerate(traces):
        ops = len(tr) * iterations
        per_thread.append(
            {
                "thread": machine.tids[i],
                "operations": ops,
                "cycles": clocks[i],
                "cycles_per_operation": round(clocks[i] / ops, 3) if ops else 0.0,
                "cycles_per_iteration": round(clocks[i] / iterations, 3),
            }
        )
    return TimedResult(
        protocol=config.protocol.name,
        interconnect=config.protocol.interconnect,
        iterations=iterations,
        latencies=dict(lat),
        store_buffers=config.store_buffers,
        operations=sum(len(t) for t in traces) * iterations,
        cycles=max(clocks, default=0),
        per_thread=per_thread,
        transitions=transitions_count(counts),
        messages=dict(sorted(messages.items())),
        seconds=seconds,
        line_states=len(compiled.states),
        extra={"kernel": kernel, "loads_forwarded": forwarded},
    )


def _run(
    compiled: Compiled, traces, iterations: int, cores: int, nlines: int, store_buffers: bool, lat: Mapping[str, int]
) -> tuple[list[int], list[int], int]:
    """The hot loop: ints and lists only. Returns how often each entry was taken, each
    core's finishing clock, and how many loads were forwarded from a store buffer."""
    table = compiled.table
    nxt = [e.next for e in compiled.entries]
    cost = [e.cycles for e in compiled.entries]
    miss = [e.miss for e in compiled.entries]
    hits = [0] * len(compiled.entries)
    codes = [[line * OPS + op for op, line in tr] for tr in traces]
    clocks = [0] * cores
    drained = [0] * cores  # when each store buffer will be empty
    line_state = [0] * nlines
    line_free = [0] * nlines
    pending = [0] * (cores * nlines)  # when core c's newest store to a line leaves its buffer
    forwarded = 0
    l1 = lat["l1"]
    pos = [0] * cores
    left = [len(tr) * iterations for tr in traces]
    active = [c for c in range(cores) if left[c]]
    fence = lat["fence"]
    stride = cores * OPS
    while active:
        c = active[0]
        if len(active) > 1:
            for d in active:
                if clocks[d] < clocks[c]:
                    c = d
        code = codes[c]
        p = pos[c]
        k = code[p]
        p += 1
        pos[c] = p if p < len(code) else 0
        left[c] -= 1
        if not left[c]:
            active.remove(c)
        op = k % OPS
        line = k // OPS
        now = clocks[c]
        if op == FENCE:
            clocks[c] = max(now, drained[c]) + fence
            continue
        if op == LOAD and pending[c * nlines + line] > now:
            forwarded += 1
            clocks[c] = now + l1
            continue
        e = table[line_state[line] * stride + c * OPS + op]
        hits[e] += 1
        line_state[line] = nxt[e]
        if op == STORE and store_buffers:
            start = drained[c] if drained[c] > now else now
            if miss[e] and line_free[line] > start:
                start = line_free[line]
            end = start + cost[e]
            drained[c] = end
            pending[c * nlines + line] = end
            if miss[e]:
                line_free[line] = end
            clocks[c] = now + 1
            continue
        if op == RMW and drained[c] > now:
            now = drained[c]
        if miss[e] and line_free[line] > now:
            now = line_free[line]
        now += cost[e]
        if miss[e]:
            line_free[line] = now
        clocks[c] = now
    clocks = [max(clocks[c], drained[c]) for c in range(cores)]
    return hits, clocks, forwarded


# The same loop as `_run`, in C: the entries are arrays, the traces one flat array with an
# offset per core. Built and cached by the hardware layer's compiler driver.
KERNEL_SOURCE = r"""
#include <stdint.h>
void incref_timed(const int32_t *table, const int32_t *nxt, const int64_t *cost, const uint8_t *miss,
                  const int32_t *codes, const int64_t *offset, const int64_t *length, int64_t iterations,
                  int32_t cores, int32_t nlines, int32_t store_buffers, int64_t fence, int64_t l1,
                  int64_t *hits, int64_t *clocks, int32_t *line_state, int64_t *line_free,
                  int64_t *pending, int64_t *forwarded) {
    int64_t drained[64] = {0}, pos[64] = {0}, left[64];
    int32_t active = 0, stride = cores * 4;
    for (int c = 0; c < cores; c++) { left[c] = length[c] * iterations; clocks[c] = 0; if (left[c]) active++; }
    for (int l = 0; l < nlines; l++) { line_state[l] = 0; line_free[l] = 0; }
    for (int l = 0; l < cores * nlines; l++) pending[l] = 0;
    *forwarded = 0;
    while (active) {
        int c = -1;
        for (int d = 0; d < cores; d++)
            if (left[d] && (c < 0 || clocks[d] < clocks[c])) c = d;
        int32_t k = codes[offset[c] + pos[c]];
        if (++pos[c] == length[c]) pos[c] = 0;
        if (--left[c] == 0) active--;
        int32_t op = k % 4, line = k / 4;
        int64_t now = clocks[c];
        if (op == 3) { clocks[c] = (now > drained[c] ? now : drained[c]) + fence; continue; }
        if (op == 0 && pending[c * nlines + line] > now) { ++*forwarded; clocks[c] = now + l1; continue; }
        int32_t e = table[line_state[line] * stride + c * 4 + op];
        hits[e]++;
        line_state[line] = nxt[e];
        if (op == 1 && store_buffers) {
            int64_t start = drained[c] > now ? drained[c] : now;
            if (miss[e] && line_free[line] > start) start = line_free[line];
            drained[c] = start + cost[e];
            pending[c * nlines + line] = drained[c];
            if (miss[e]) line_free[line] = drained[c];
            clocks[c] = now + 1;
            continue;
        }
        if (op == 2 && drained[c] > now) now = drained[c];
        if (miss[e] && line_free[line] > now) now = line_free[line];
        now += cost[e];
        if (miss[e]) line_free[line] = now;
        clocks[c] = now;
    }
    for (int c = 0; c < cores; c++) if (drained[c] > clocks[c]) clocks[c] = drained[c];
}
"""


def _have_compiler() -> bool:
    from incref.hardware.compile import CompilerError, find_compiler

    try:
        find_compiler()
    except CompilerError:
        return False
    return True


@lru_cache(maxsize=1)
def _kernel():
    from incref.hardware.compile import build

    return ctypes.CDLL(str(build(KERNEL_SOURCE)))


def _run_c(
    compiled: Compiled, traces, iterations: int, cores: int, nlines: int, store_buffers: bool, lat: Mapping[str, int]
) -> tuple[list[int], list[int]]:
    if cores > 64:
        raise UsageError("the timed kernel takes at most 64 cores")
    lib = _kernel()
    i32, i64 = ctypes.c_int32, ctypes.c_int64
    arr = lambda t, xs: (t * max(len(xs), 1))(*xs)  # noqa: E731
    flat = [line * OPS + op for tr in traces for op, line in tr]
    offsets, at = [], 0
    for tr in traces:
        offsets.append(at)
        at += len(tr)
    hits = arr(i64, [0] * len(compiled.entries))
    clocks = arr(i64, [0] * cores)
    forwarded = i64(0)
    lib.incref_timed(
        arr(i32, compiled.table),
        arr(i32, [e.next for e in compiled.entries]),
        arr(i64, [e.cycles for e in compiled.entries]),
        arr(ctypes.c_uint8, [int(e.miss) for e in compiled.entries]),
        arr(i32, flat),
        arr(i64, offsets),
        arr(i64, [len(t) for t in traces]),
        i64(iterations),
        i32(cores),
        i32(nlines),
        i32(int(store_buffers)),
        i64(lat["fence"]),
        i64(lat["l1"]),
        hits,
        clocks,
        arr(i32, [0] * nlines),
        arr(i64, [0] * nlines),
        arr(i64, [0] * (cores * nlines)),
        ctypes.byref(forwarded),
    )
    return list(hits), list(clocks), forwarded.value
