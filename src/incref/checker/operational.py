"""An engine-level `Program` under an operational model, as a `TransitionSystem` for the
generic explorer.

A state is a tuple of plain values (hashable, picklable):
`(memory, threads, deltas, flags)` where `memory` holds one value per location (in
`locations` order), each thread is `(pc, registers, store buffer, status)`, `deltas` is
the sum of executed `ObjOp.delta` per object, and `flags` remembers the violations met on
a step (use after free, double free, failed assertion) so that they are visible at the end
of the execution (see `incref.checker.explore` on why).

A thread is read by the shared thread interpreter (`incref.models.thread.Threads`, which
the cache simulator uses too): instructions that touch only the thread itself run at once
after the thread's previous transition, so each transition is one memory event (load,
store, RMW, CAS, fence, lock, unlock, free) or one store-buffer flush, and traces show
exactly those. After each step, registers that no later step reads are reset to 0
(`Threads.forget_dead`), so states that differ only in dead values are stored once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from incref.checker import invariants
from incref.checker.explore import (
    BLOCKED,
    COMPLETE,
    CUT,
    Ending,
    Finding,
    Footprint,
    Transition,
)
from incref.ir.program import (
    RMW_OPS,
    Branch,
    Cas,
    Fence,
    Free,
    Instr,
    Load,
    Lock,
    Program,
    Rmw,
    Store,
    Unlock,
    describe,
)
from incref.models.operational import OperationalModel
from incref.models.thread import CUT_SHORT, DONE, RUNNING, Threads

_FLAG_BITS = {"use-after-free": 1, "double-free": 2, "assertion": 4}
_FLUSH = "flush"


class OperationalSystem:
    """`program` (engine level) under `model`, ready for `incref.checker.explore.explore`."""

    def __init__(self, program: Program, model: OperationalModel):
        self.program = program
        self.model = model
        self.code = Threads(program, model)  # registers and thread-local steps
        self.locs = self.code.locs
        self.loc_index = self.code.loc_index
        self.codes = self.code.codes
        self.tids = self.code.tids
        self.acyclic = not any(
            isinstance(i, Branch) and i.target <= pc for code in self.codes for pc, i in enumerate(code)
        )
        self._freed_loc = self.code.freed_loc
        self._futures = tuple(tuple(Footprint(r, w) for r, w in future) for future in self.code.futures)
        self._transitions: dict[tuple, Transition] = {}
        self._local = self.code.local
        self._drains = tuple(tuple(model.drains(instr) for instr in code) for code in self.codes)
        self._lock_slot = tuple(
            tuple(self.loc_index[instr.lock] if isinstance(instr, Lock) else -1 for instr in code)
            for code in self.codes
        )
        self._indexed = any(getattr(i, "index", None) is not None for code in self.codes for i in code)
        # the transition of each instruction whose location does not depend on registers
        self._fixed = tuple(
            tuple(
                None if local or getattr(instr, "index", None) is not None else self._transition(i, instr, ())
                for instr, local in zip(code, self._local[i])
            )
            for i, code in enumerate(self.codes)
        )
        self._lock_slots = sorted({self.loc_index[i.lock] for code in self.codes for i in code if isinstance(i, Lock)})

    # ------------------------------------------------------------------ the interface

    def initial(self):
        memory = tuple(self.program.locations[loc] for loc in self.locs)
        threads = []
        deltas, flags = (0,) * len(self.code.objects), 0
        for i in range(len(self.codes)):
            pc, regs, status, deltas, flags = self._run_local(
                i, 0, self.code.initial_registers(i), RUNNING, deltas, flags, None
            )
            threads.append((pc, self.code.forget_dead(i, pc, regs), (), status))
        return (memory, tuple(threads), deltas, flags)

    def threads(self, state) -> Iterable[int]:
        return [i for i, (_, _, buf, status) in enumerate(state[1]) if status == RUNNING or buf]

    def enabled(self, state) -> list[Transition]:
        out: list[Transition] = []
        memory = state[0]
        for i, (pc, regs, buf, status) in enumerate(state[1]):
            if buf:
                for k in self.model.flushable(buf):
                    key = (_FLUSH, i, k, buf[k][0])  # apart from an exec key (i, pc, loc)
                    t = self._transitions.get(key)
                    if t is None:
                        loc = buf[k][0]
                        t = self._transitions[key] = Transition(
                            i, (_FLUSH, k), _FLUSH, self._freed_of(loc), frozenset((loc,))
                        )
                    out.append(t)
            if status != RUNNING:
                continue
            if buf and self._drains[i][pc]:
                continue
            slot = self._lock_slot[i][pc]
            if slot >= 0 and memory[slot]:
                continue
            t = self._fixed[i][pc]
            if t is None:
                instr = self.codes[i][pc]
                key = (i, pc, self.code.location(i, instr, regs))
                t = self._transitions.get(key)
                if t is None:
                    t = self._transitions[key] = self._transition(i, instr, regs)
            out.append(t)
        return out

    def waiting(self, state, thread: int) -> bool:
        pc, _, buf, status = state[1][thread]
        if status != RUNNING or buf:
            return False
        instr = self.codes[thread][pc]
        return isinstance(instr, Lock) and bool(state[0][self.loc_index[instr.lock]])

    def future(self, state, thread: int) -> Footprint:
        pc, _, buf, status = state[1][thread]
        static = self._futures[thread][pc] if status == RUNNING else Footprint()
        if not buf:
            return static
        pending = frozenset(loc for loc, _ in buf)
        freed = frozenset().union(*(self._freed_of(loc) for loc in pending))
        return Footprint(static.reads | freed, static.writes | pending)

    def control(self, state):
        if self._indexed:
            return state
        memory = state[0]
        locks = tuple([memory[k] for k in self._lock_slots])
        if not self.model.buffered:
            return locks, tuple([(t[0], t[3]) for t in state[1]])
        return locks, tuple([(t[0], t[3], tuple([e[0] for e in t[2]]) if t[2] else ()) for t in state[1]])

    def step(self, state, transition: Transition):
        return self._exec(state, transition, None)

    def explain(self, state, transition: Transition) -> tuple[str, tuple[Finding, ...]]:
        notes: list = []
        self._exec(state, transition, notes)
        details = [n for n in notes if isinstance(n, str)]
        return "; ".join(details), tuple(n for n in notes if isinstance(n, Finding))

    def finish(self, state) -> Ending:
        memory, threads, deltas, flags = state
        sticky = tuple(
            Finding(kind, f"{kind.replace('-', ' ')} (see trace)") for kind, bit in _FLAG_BITS.items() if flags & bit
        )
        statuses = [t[3] for t in threads]
        if CUT_SHORT in statuses:
            i = statuses.index(CUT_SHORT)
            return Ending(CUT, None, sticky, self.code.cut_reason(i, threads[i][0]))
        if any(s != DONE for s in statuses):
            return Ending(BLOCKED, None, sticky)
        mem = dict(zip(self.locs, memory))
        regs = {self.tids[i]: self.code.registers(i, t[1]) for i, t in enumerate(threads)}
        if not self.program.passes_filter(mem, regs):
            return Ending(COMPLETE, None)
        outcome = self.program.final_state(mem, regs)
        net = dict(zip(self.code.objects, deltas))
        return Ending(COMPLETE, outcome, sticky + tuple(invariants.end_of_execution(self.program, mem, net, outcome)))

    # ------------------------------------------------------------------ semantics

    def _freed_of(self, loc: str) -> frozenset[str]:
        flag = self._freed_loc.get(loc)
        return frozenset((flag,)) if flag else frozenset()

    def _transition(self, i: int, instr: Instr, regs) -> Transition:
        origin = getattr(instr, "origin", "")
        label = f"[{origin}] {describe(instr)}" if origin else describe(instr)
        if isinstance(instr, (Load, Store, Rmw, Cas)):
            loc = self.code.location(i, instr, regs)
            freed = self._freed_of(loc)
            reads = frozenset((loc,)) | freed
            if isinstance(instr, Load):
                return Transition(i, ("exec", loc), label, reads)
            if isinstance(instr, Store) and self.model.buffers(instr):
                return Transition(i, ("exec", loc), label)
            return Transition(i, ("exec", loc), label, reads, frozenset((loc,)))
        reads, writes = self.code.resources(instr)
        return Transition(i, ("exec", None), label, reads, writes)

    def _exec(self, state, transition: Transition, notes: list | None):
        """The state after `transition`; when `notes` is a list, append the detail lines
        and findings of this step to it (for traces)."""
        memory, threads, deltas, flags = state
        i = transition.thread
        pc, regs, buf, status = threads[i]
        kind, arg = transition.action
        tid = self.tids[i]
        slot = self.loc_index
        if kind == _FLUSH:
            loc, value = buf[arg]
            buf = buf[:arg] + buf[arg + 1 :]
            flags = self._touch(memory, loc, "flush", tid, flags, notes)
            memory = _set(memory, slot[loc], value)
            if notes is not None:
                notes.append(f"{loc} = {value} reaches memory")
        else:
            instr = self.codes[i][pc]
            fns = self.code.exprs[i][pc]
            dest = self.code.dest[i][pc]
            pc += 1
            if type(instr) is Load:
                loc = arg
                if loc in self._freed_loc:
                    flags = self._touch(memory, loc, "load", tid, flags, notes)
                fwd = self.model.forward(buf, loc) if buf else None
                value = memory[slot[loc]] if fwd is None else fwd
                if dest >= 0:
                    regs = _set(regs, dest, value)
                if notes is not None:
                    notes.append(f"read {loc} = {value}" + (" (from own store buffer)" if fwd is not None else ""))
            elif type(instr) is Store:
                loc = arg
                value = fns["value"](regs)
                if self.model.buffers(instr):
                    buf = self.model.enqueue(buf, loc, value)
                    if notes is not None:
                        notes.append(f"{loc} = {value} into the store buffer")
                else:
                    flags = self._touch(memory, loc, "store", tid, flags, notes)
                    memory = _set(memory, slot[loc], value)
                    if notes is not None:
                        notes.append(f"write {loc} = {value}")
            elif isinstance(instr, (Rmw, Cas)):
                loc = arg
                flags = self._touch(memory, loc, "read-modify-write", tid, flags, notes)
                old = memory[slot[loc]]
                if isinstance(instr, Rmw):
                    new = RMW_OPS[instr.op](old, fns["operand"](regs))
                else:
                    new = fns["desired"](regs) if old == fns["expected"](regs) else old
                memory = _set(memory, slot[loc], new)
                if dest >= 0:
                    regs = _set(regs, dest, old)
                if notes is not None:
                    notes.append(
                        f"read {loc} = {old}, write {new}"
                        if new != old or isinstance(instr, Rmw)
                        else f"read {loc} = {old} (compare failed, no write)"
                    )
            elif isinstance(instr, (Lock, Unlock)):
                memory = _set(memory, slot[instr.lock], int(isinstance(instr, Lock)))
                if notes is not None:
                    notes.append(f"{instr.lock} {'taken' if isinstance(instr, Lock) else 'released'}")
            elif isinstance(instr, Free):
                found = invariants.double_free(self.program, instr.obj, _MemoryView(self, memory), tid)
                if found is not None:
                    flags |= _FLAG_BITS[found.kind]
                    if notes is not None:
                        notes.append(found)
                memory = _set(memory, slot[self.program.objects[instr.obj].freed], 1)
                if notes is not None:
                    notes.append(f"{instr.obj} freed")
            elif isinstance(instr, Fence) and notes is not None:
                notes.append("store buffer empty" if self.model.buffered else "no effect under sc")
            local = self._local[i]
            if pc >= len(local) or local[pc]:
                pc, regs, status, deltas, flags = self._run_local(i, pc, regs, status, deltas, flags, notes)
            regs = self.code.forget_dead(i, pc, regs)
        threads = threads[:i] + ((pc, regs, buf, status),) + threads[i + 1 :]
        return (memory, threads, deltas, flags)

    def _touch(self, memory: tuple[int, ...], loc: str, what: str, tid: int, flags: int, notes: list | None) -> int:
        """`flags` after an access to `loc` reaches memory (a use after free sets a bit)."""
        flag = self._freed_loc.get(loc)
        if flag is None or not memory[self.loc_index[flag]]:
            return flags
        found = invariants.use_after_free(self.program, loc, _MemoryView(self, memory), what, tid)
        if found is None:
            return flags
        if notes is not None:
            notes.append(found)
        return flags | _FLAG_BITS[found.kind]

    def _run_local(self, i: int, pc: int, regs: tuple, status: int, deltas: tuple, flags: int, notes: list | None):
        """Thread `i`'s thread-local steps (`Threads.run_local`), a failed assertion kept
        as a flag bit; returns the new `(pc, regs, status, deltas, flags)`."""
        pc, regs, status, deltas, failed = self.code.run_local(i, pc, regs, status, deltas)
        if failed:
            flags |= _FLAG_BITS["assertion"]
            if notes is not None:
                notes.extend(invariants.assertion(message, self.tids[i]) for message in failed)
        return pc, regs, status, deltas, flags


def _set(values: tuple, k: int, value: int) -> tuple:
    return values[:k] + (value,) + values[k + 1 :]


class _MemoryView(Mapping[str, int]):
    """Memory values by location name, over the state's value list (for invariants)."""

    def __init__(self, system: OperationalSystem, memory: Sequence[int]):
        self._system = system
        self._memory = memory

    def __getitem__(self, loc: str) -> int:
        return self._memory[self._system.loc_index[loc]]

    def __iter__(self):
        return iter(self._system.locs)

    def __len__(self) -> int:
        return len(self._system.locs)
