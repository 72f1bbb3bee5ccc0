"""Per-thread paths: what one thread does for each choice of the values its reads return.

An axiomatic execution is a choice of one path per thread plus `rf` and `co`. A read's
value decides branches, registers and `index` addresses, so a thread's path is fixed by
its read values. A read may return its thread's own latest write to the location (else
the initial value) -- anything older breaks coherence, which every model here has -- or
a value another thread may write. Those values come from a fixpoint over all threads
(`value_sets`), an over-approximation kept small by *depth*: a value that needs a chain
of k dependent writes is dropped when k exceeds the dependent writes one execution can
hold. Spurious values cost little: a read must later be matched with a write of exactly
its value (`search.py`), which rules them out.

Events here are local to the thread (indices into `Path.events`); `graph.py` numbers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from incref.errors import InputError
from incref.ir.program import (
    RMW_OPS,
    Assert,
    Assign,
    Assume,
    Branch,
    Cas,
    Const,
    Fence,
    Free,
    Instr,
    Load,
    Lock,
    LoopBound,
    ObjOp,
    Order,
    Program,
    Rmw,
    Store,
    Thread,
    Unlock,
    describe,
    desugar_locks,
    evaluate,
    names_in,
)

MAX_STEPS = 2000  # instructions one path may execute before we call it a loop bound


@dataclass(frozen=True, slots=True)
class LocalEvent:
    """One event of a thread path. `kind` is R, W or F; `deps` masks are over the indices
    of earlier read events of the same path (address, data and control dependencies);
    `rmw_of` is the index of the read a write is atomic with (RMW, CAS, exclusive pair)."""

    kind: str
    loc: str | None
    value: int
    order: Order
    instr: Instr
    addr: int = 0
    data: int = 0
    ctrl: int = 0
    rmw_of: int | None = None
    locked: bool = False
    flavour: str = ""  # "ldapr" for LDAPR loads
    free_of: str | None = None  # the object a Free event frees
    depth: int = 0  # dependent writes behind this value (see `value_sets`)


@dataclass(frozen=True)
class Path:
    """One complete run of a thread for one choice of read values."""

    events: tuple[LocalEvent, ...]
    regs: Mapping[str, int]
    deltas: Mapping[str, int]  # object -> sum of ObjOp deltas executed
    failed_assert: str | None = None
    loop_bound: str | None = None


class Pending(NamedTuple):
    """A read the thread is about to make (a load, RMW or CAS), waiting for its value."""

    instr: Instr
    loc: str
    addr: int


@dataclass
class _State:
    pc: int = 0
    regs: dict[str, int] = field(default_factory=dict)
    taint: dict[str, int] = field(default_factory=dict)  # register -> read-event mask
    ctrl: int = 0
    events: list[LocalEvent] = field(default_factory=list)
    deltas: dict[str, int] = field(default_factory=dict)
    excl: int | None = None  # index of the pending exclusive load
    steps: int = 0
    own: dict[str, tuple[int, int]] = field(default_factory=dict)  # location -> latest own (value, depth)

    def fork(self) -> _State:
        return _State(
            self.pc,
            dict(self.regs),
            dict(self.taint),
            self.ctrl,
            list(self.events),
            dict(self.deltas),
            self.excl,
            self.steps,
            dict(self.own),
        )

    def write(self, event: LocalEvent) -> None:
        """Record a write; its depth is one more than the deepest read its value uses."""
        depth = 0
        mask = event.data
        while mask:
            low = mask & -mask
            mask ^= low
            depth = max(depth, self.events[low.bit_length() - 1].depth + 1)
        if depth:
            event = replace(event, depth=depth)
        self.events.append(event)
        self.own[event.loc] = (event.value, depth)


def _split_orders(order: Order) -> tuple[Order, Order]:
    """The modes of the read and the write of an RMW of `order` (C11: an acq_rel RMW is an
    acquire read and a release write)."""
    read = {Order.REL: Order.RLX, Order.ACQ_REL: Order.ACQ}.get(order, order)
    write = {Order.ACQ: Order.RLX, Order.ACQ_REL: Order.REL}.get(order, order)
    return read, write


class ThreadPaths:
    """Enumerates the paths of one thread of an engine-level program."""

    def __init__(self, program: Program, thread: Thread):
        self.program = program
        self.tid = thread.tid
        self.code = desugar_locks(thread.code, thread.tid)
        self.locked_instrs = _lock_positions(thread.code)

    def initial(self) -> _State:
        regs = {r: v for (t, r), v in self.program.init_regs.items() if t == self.tid}
        return _State(regs=regs)

    def paths(self, others: Mapping[str, Mapping[int, int]], tick: Callable[[], None] | None = None) -> Iterator[Path]:
        """Every path when a read of `loc` may return its coherent local value (the
        thread's own latest write to `loc`, else the initial value: reading anything
        older breaks coherence, which every model here has) or any value in
        `others[loc]` (value -> depth), what the other threads may write; `tick()` is
        called per path
        (the search's budget check)."""
        stack = [self.initial()]
        while stack:
            st = stack.pop()
            for path in self._run(st, others, stack):
                if tick is not None:
                    tick()
                yield path

    def _loc(self, instr, st: _State) -> tuple[str, int]:
        if instr.index is None:
            return instr.loc, 0
        i = evaluate(instr.index, st.regs)
        loc = self.program.location_at(instr.loc, i)
        if loc is None:
            raise InputError(f"thread {self.tid}: {describe(instr)} reaches {self.program.no_location(instr.loc, i)}")
        return loc, self._taint(instr.index, st)

    def _taint(self, expr, st: _State) -> int:
        mask = 0
        for name in names_in(expr):
            mask |= st.taint.get(name, 0)
        return mask

    def _read_choices(self, loc: str, others: Mapping[str, Mapping[int, int]], st: _State) -> list[tuple[int, int]]:
        """(value, depth) pairs a read of `loc` may return."""
        value, depth = st.own.get(loc, (self.program.locations.get(loc, 0), 0))
        choices = dict(others.get(loc, {}))
        choices[value] = min(depth, choices.get(value, depth))
        return sorted(choices.items())

    def _run(self, st: _State, values, stack) -> Iterator[Path]:
        while True:
            step = self.advance(st, stack)
            if step is None:
                return
            if type(step) is Path:
                yield step
                return
            if type(step) is Pending:
                choices = self._read_choices(step.loc, values, st)
                for choice in choices[1:]:
                    other = st.fork()
                    self.read(other, step, *choice)
                    stack.append(other)
                self.read(st, step, *choices[0])

    def advance(self, st: _State, stack: list | None = None) -> Pending | Path | bool | None:
        """Run `st` to its next event: True once a write or fence is appended to
        `st.events`, a `Pending` read when the thread needs a value (`read` gives it), the
        thread's `Path` when it ends, None when an `Assume` blocks it. A store-exclusive
        may fail: its failing run is pushed on `stack` (the thread's other path); without
        a stack it is a usage error of the caller (the engines route exclusives to the
        value-enumerating search)."""
        code = self.code
        while True:
            if st.pc >= len(code):
                return Path(tuple(st.events), st.regs, st.deltas)
            st.steps += 1
            if st.steps > MAX_STEPS:
                return Path(tuple(st.events), st.regs, st.deltas, loop_bound=f"more than {MAX_STEPS} steps")
            instr = code[st.pc]
            st.pc += 1
            locked = st.pc - 1 in self.locked_instrs
            t = type(instr)
            if t is Load or t is Rmw or t is Cas:
                loc, addr = self._loc(instr, st)
                return Pending(instr, loc, addr)
            if t is Store:
                loc, addr = self._loc(instr, st)
                value = evaluate(instr.value, st.regs)
                data = self._taint(instr.value, st)
                if instr.status is None:
                    # a seq_cst store is compiled to XCHG on x86 (C11 -> x86 mapping,
                    # Batty et al. POPL 2011 / the Cambridge mappings page): a locked write
                    st.write(
                        LocalEvent(
                            "W",
                            loc,
                            value,
                            instr.order,
                            instr,
                            addr,
                            data,
                            st.ctrl,
                            locked=locked or instr.order is Order.SC,
                        )
                    )
                    return True
                pair = st.excl
                st.excl = None
                fail = st.fork()
                fail.regs[instr.status] = 1
                fail.taint[instr.status] = 0
                stack.append(fail)
                if pair is None or st.events[pair].loc != loc:
                    return None  # a store-exclusive with no matching load-exclusive only fails
                st.write(LocalEvent("W", loc, value, instr.order, instr, addr, data, st.ctrl, rmw_of=pair))
                st.regs[instr.status] = 0
                st.taint[instr.status] = 0
                return True
            if t is Fence:
                st.events.append(LocalEvent("F", None, 0, instr.order, instr, ctrl=st.ctrl, locked=locked))
                return True
            if t is Assign:
                st.regs[instr.reg] = evaluate(instr.value, st.regs)
                st.taint[instr.reg] = self._taint(instr.value, st)
            elif t is Branch:
                st.ctrl |= self._taint(instr.cond, st)
                if evaluate(instr.cond, st.regs):
                    st.pc = instr.target
            elif t is Assume:
                st.ctrl |= self._taint(instr.cond, st)
                if not evaluate(instr.cond, st.regs):
                    return None
            elif t is Assert:
                if not evaluate(instr.cond, st.regs):
                    message = instr.message or f"assert {instr.cond}"
                    return Path(tuple(st.events), st.regs, st.deltas, failed_assert=message)
            elif t is LoopBound:
                return Path(tuple(st.events), st.regs, st.deltas, loop_bound=instr.message or "loop bound")
            elif t is Free:
                # free() enters the allocator through a lock: like a locked write on TSO/PSO
                st.write(
                    LocalEvent(
                        "W", f"{instr.obj}.freed", 1, Order.NA, instr, ctrl=st.ctrl, locked=True, free_of=instr.obj
                    )
                )
                return True
            elif t is ObjOp:
                st.deltas[instr.obj] = st.deltas.get(instr.obj, 0) + instr.delta
            else:
                raise NotImplementedError(f"axiomatic engine: instruction {instr!r}")

    def read(self, st: _State, pending: Pending, value: int, depth: int = 0) -> None:
        """Give the `pending` read its value: a load appends its read event, an RMW or CAS
        its read and (when it succeeds) its write."""
        instr = pending.instr
        if type(instr) is Load:
            self._load(st, instr, pending.loc, pending.addr, value, depth)
        else:
            rd, wr = _split_orders(instr.order)
            self._rmw(st, instr, pending.loc, pending.addr, (value, depth), rd, wr)

    def _load(self, st: _State, instr: Load, loc: str, addr: int, value: int, depth: int) -> None:
        index = len(st.events)
        st.events.append(
            LocalEvent("R", loc, value, instr.order, instr, addr, 0, st.ctrl, flavour=instr.kind, depth=depth)
        )
        if instr.exclusive:
            st.excl = index
        if instr.reg is not None:
            st.regs[instr.reg] = value
            st.taint[instr.reg] = 1 << index

    def _rmw(self, st: _State, instr, loc: str, addr: int, choice: tuple[int, int], rd: Order, wr: Order) -> None:
        old, depth = choice
        index = len(st.events)
        if type(instr) is Rmw:
            new = RMW_OPS[instr.op](old, evaluate(instr.operand, st.regs))
            data = self._taint(instr.operand, st) | (1 << index)
            success = True
        else:
            success = old == evaluate(instr.expected, st.regs)
            new = evaluate(instr.desired, st.regs)
            data = self._taint(instr.desired, st) | self._taint(instr.expected, st)
            if not success:
                rd = instr.fail_order
        st.events.append(LocalEvent("R", loc, old, rd, instr, addr, 0, st.ctrl, locked=True, depth=depth))
        if success:
            st.write(LocalEvent("W", loc, new, wr, instr, addr, data, st.ctrl, rmw_of=index, locked=True))
        if instr.reg is not None:
            st.regs[instr.reg] = old
            st.taint[instr.reg] = 1 << index


def _lock_positions(code) -> set[int]:
    """Positions, in the desugared code, of the stores that implement `Unlock`: the
    operational engines drain the store buffer there, so TSO/PSO treat them as locked."""
    out, pos = set(), 0
    for instr in code:
        if isinstance(instr, Unlock):
            out.add(pos)
        pos += 2 if isinstance(instr, Lock) else 1
    return out


def value_sets(
    program: Program, threads: list[ThreadPaths], tick: Callable[[], None] | None = None
) -> list[dict[str, dict[int, int]]]:
    """Per thread, the values it may write to each location, each with its depth: the
    fewest dependent writes (writes whose value uses a read) a chain producing it needs.
    A fixpoint in which each thread reads what the others may write. A chain uses each
    write event once, and one execution has at most the sum over threads of their
    longest path's dependent writes, so deeper values are dropped: that bounds the
    fixpoint and keeps spurious values few."""
    writable: list[dict[str, dict[int, int]]] = [{} for _ in threads]
    # constants a store may write, reachable or not: C11 allows a value to come out of
    # thin air (`if (r) y = 1` read back as the cause of r), and a spurious value is
    # ruled out later by the models that forbid it
    for k, tp in enumerate(threads):
        for instr in tp.code:
            constant = _constant_written(instr)
            if constant is not None:
                writable[k].setdefault(instr.loc, {})[constant] = 0
    while True:
        snapshot = [{loc: dict(vs) for loc, vs in w.items()} for w in writable]
        found: list[dict[str, dict[int, int]]] = [{} for _ in threads]
        chain = 0
        for k, tp in enumerate(threads):
            longest = 0
            for path in tp.paths(others_of(snapshot, k), tick):
                dependent = 0
                for ev in path.events:
                    if ev.kind == "W":
                        dependent += ev.depth > 0
                        seen = found[k].setdefault(ev.loc, {})
                        seen[ev.value] = min(ev.depth, seen.get(ev.value, ev.depth))
                longest = max(longest, dependent)
            chain += longest
        grew = False
        for k, w in enumerate(found):
            for loc, vs in w.items():
                have = writable[k].setdefault(loc, {})
                for value, depth in vs.items():
                    if depth <= chain and depth < have.get(value, chain + 1):
                        have[value] = depth
                        grew = True
        if not grew:
            return writable


def others_of(writable: list[dict[str, dict[int, int]]], k: int) -> dict[str, dict[int, int]]:
    """What the threads other than `k` may write, by location (value -> least depth)."""
    out: dict[str, dict[int, int]] = {}
    for j, w in enumerate(writable):
        if j != k:
            for loc, vs in w.items():
                merged = out.setdefault(loc, {})
                for value, depth in vs.items():
                    merged[value] = min(depth, merged.get(value, depth))
    return out


def _constant_written(instr) -> int | None:
    if getattr(instr, "index", None) is not None:
        return None
    t = type(instr)
    if t is Store and type(instr.value) is Const:
        return instr.value.value
    if t is Rmw and instr.op == "xchg" and type(instr.operand) is Const:
        return instr.operand.value
    if t is Cas and type(instr.desired) is Const:
        return instr.desired.value
    return None
