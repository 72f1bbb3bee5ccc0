"""An engine-level `Program` under an operational model, as a `TransitionSystem` for the
generic explorer.

A state is a tuple of plain values (hashable, picklable):
`(memory, threads, deltas, flags)` where `memory` holds one value per location (in
`locations` order), each thread is `(pc, registers, store buffer, status)`, `deltas` is
the sum of executed `ObjOp.delta` per object, and `flags` remembers the violations met on
a step (use after free, double free, failed assertion) so that they are visible at the end
of the execution (see `incref.checker.explore` on why).

Instructions that touch only the thread itself (register arithmetic, branches, `ObjOp`
markers, assertions, assumes, loop bounds) run at once after the thread's previous
transition: they commute with everything another thread does, so interleaving them would
only multiply states.  Each transition therefore is one memory event (load, store, RMW,
CAS, fence, lock, unlock, free) or one store-buffer flush, and traces show exactly those.
After each step, registers that no later step reads are reset to 0 (see
`_dead_registers`), so states that differ only in dead values are stored once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from incref import budget
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
from incref.errors import InputError, Unsupported
from incref.ir.program import (
    ADDRESSED,
    BINARY_OPS,
    RMW_OPS,
    UNARY_OPS,
    Assert,
    Assign,
    Assume,
    BinOp,
    Branch,
    Cas,
    Const,
    Expr,
    Fence,
    Free,
    Instr,
    Load,
    Lock,
    LoopBound,
    ObjOp,
    Program,
    Reg,
    Rmw,
    Store,
    Unlock,
    UnOp,
    Var,
    describe,
    evaluate,
    names_in,
)
from incref.models.operational import OperationalModel

RUNNING, DONE, WAITS_FOREVER, CUT_SHORT = 0, 1, 2, 3

_FLAG_BITS = {"use-after-free": 1, "double-free": 2, "assertion": 4}
_LOCAL = (Assign, Branch, ObjOp, Assert, Assume, LoopBound)
_FLUSH = "flush"


def thread_registers(program: Program, tid: int, code: Iterable[Instr]) -> tuple[str, ...]:
    """Every register thread `tid` writes or reads (its initial registers included), in a
    stable order: the layout of a thread's register tuple in an engine state."""
    names: set[str] = {r for (t, r) in program.init_regs if t == tid}
    for instr in code:
        for attr in ("reg", "status"):
            r = getattr(instr, attr, None)
            if isinstance(r, str) and r:
                names.add(r)
        for attr in ("value", "operand", "expected", "desired", "cond", "index"):
            expr = getattr(instr, attr, None)
            if expr is not None and not isinstance(expr, (int, str)):
                names |= names_in(expr)
    return tuple(sorted(names))


def compile_expr(expr: Expr, index: Mapping[str, int]) -> Callable[[Sequence[int]], int]:
    """`expr` as a function of a register tuple laid out by `index` (a name missing from
    it reads 0, as `evaluate` does): the same meaning as `evaluate`, without building a
    dictionary per step. Built from closures, never from source text."""
    if type(expr) is Const:
        value = expr.value
        return lambda regs: value
    if type(expr) is Reg or type(expr) is Var:
        k = index.get(expr.name)
        if k is None:
            return lambda regs: 0
        return lambda regs: regs[k]
    if type(expr) is BinOp:
        op, left, right = BINARY_OPS[expr.op], compile_expr(expr.left, index), compile_expr(expr.right, index)
        return lambda regs: op(left(regs), right(regs))
    if type(expr) is UnOp:
        op, operand = UNARY_OPS[expr.op], compile_expr(expr.operand, index)
        return lambda regs: op(operand(regs))
    return lambda regs: evaluate(expr, {})


_EXPR_FIELDS = ("value", "operand", "expected", "desired", "cond", "index")


class OperationalSystem:
    """`program` (engine level) under `model`, ready for `incref.checker.explore.explore`."""

    def __init__(self, program: Program, model: OperationalModel):
        if not program.is_expanded:
            raise InputError("the program still contains incref/decref: apply a refcount scheme first")
        self.program = program
        self.model = model
        file = program.meta.get("file")
        self._file = file if isinstance(file, str) else None
        self.locs = tuple(sorted(program.locations))
        self.loc_index = {loc: i for i, loc in enumerate(self.locs)}
        self.objects = {name: i for i, name in enumerate(sorted(program.objects))}
        self.codes = tuple(t.code for t in program.threads)
        self.regs = tuple(thread_registers(program, t.tid, t.code) for t in program.threads)
        self.reg_index = tuple({r: i for i, r in enumerate(names)} for names in self.regs)
        self.tids = tuple(t.tid for t in program.threads)
        for tid, code in zip(self.tids, self.codes):
            for instr in code:
                self._validate(instr, tid)
        self.acyclic = not any(
            isinstance(i, Branch) and i.target <= pc for code in self.codes for pc, i in enumerate(code)
        )
        self._freed_loc = {f: obj.freed for obj in program.objects.values() for f in obj.fields}
        self._futures = tuple(self._static_futures(code) for code in self.codes)
        self._transitions: dict[tuple, Transition] = {}
        self._local = tuple(tuple(self._is_local(instr) for instr in code) for code in self.codes)
        self._drains = tuple(tuple(model.drains(instr) for instr in code) for code in self.codes)
        self._lock_slot = tuple(
            tuple(self.loc_index[instr.lock] if isinstance(instr, Lock) else -1 for instr in code)
            for code in self.codes
        )
        self._indexed = any(getattr(i, "index", None) is not None for code in self.codes for i in code)
        self._dest = tuple(
            tuple(
                self.reg_index[i][instr.reg] if getattr(instr, "reg", None) and not isinstance(instr, Assign) else -1
                for instr in code
            )
            for i, code in enumerate(self.codes)
        )
        self._keep = tuple(self._dead_registers(i, code) for i, code in enumerate(self.codes))
        self._exprs = tuple(
            tuple(
                {
                    f: compile_expr(getattr(instr, f), self.reg_index[i])
                    for f in _EXPR_FIELDS
                    if getattr(instr, f, None) is not None
                }
                for instr in code
            )
            for i, code in enumerate(self.codes)
        )
        # the transition of each instruction whose location does not depend on registers
        self._fixed = tuple(
            tuple(
                None if local or getattr(instr, "index", None) is not None else self._transition(i, instr, ())
                for instr, local in zip(code, self._local[i])
            )
            for i, code in enumerate(self.codes)
        )
        self._lock_slots = sorted({self.loc_index[i.lock] for code in self.codes for i in code if isinstance(i, Lock)})

    # ------------------------------------------------------------------ set-up

    def _validate(self, instr: Instr, tid: int) -> None:
        if isinstance(instr, Load) and instr.exclusive or isinstance(instr, Store) and instr.status:
            raise Unsupported(
                f"exclusive load/store (thread {tid}) under {self.model.name}: it is an ARMv8 feature", self._file
            )
        loc = getattr(instr, "loc", None) or getattr(instr, "lock", None)
        if loc == ADDRESSED and getattr(instr, "index", None) is not None:
            return
        if loc is not None and loc not in self.loc_index:
            raise InputError(f"thread {tid}: location {loc!r} is not declared", self._file)
        if isinstance(instr, Free) and instr.obj not in self.program.objects:
            raise InputError(f"thread {tid}: free of unknown object {instr.obj!r}", self._file)

    def _resources(self, instr: Instr) -> Footprint:
        """What `instr` may touch, whatever its registers hold (an indexed access may touch
        any `loc[i]`)."""
        if isinstance(instr, (Load, Store, Rmw, Cas)):
            locs = self.program.may_touch(instr.loc, instr.index is not None)
            freed = {self._freed_loc[loc] for loc in locs if loc in self._freed_loc}
            reads = frozenset(locs | freed)
            writes = frozenset() if isinstance(instr, Load) else frozenset(locs)
            return Footprint(reads, writes)
        if isinstance(instr, (Lock, Unlock)):
            return Footprint(frozenset((instr.lock,)), frozenset((instr.lock,)))
        if isinstance(instr, Free):
            f = frozenset((self.program.objects[instr.obj].freed,))
            return Footprint(f, f)
        return Footprint()

    def _is_local(self, instr: Instr) -> bool:
        """Touches only the thread itself (a fence that drains nothing under this model
        included)."""
        return isinstance(instr, _LOCAL) or isinstance(instr, Fence) and not self.model.drains(instr)

    def _static_futures(self, code: tuple[Instr, ...]) -> tuple[Footprint, ...]:
        """For each pc (and the end), the union of the resources of every instruction
        reachable from it: the least solution of future(pc) = own(pc) ∪ future(successors),
        found by sweeping backwards until nothing changes (a backward dataflow analysis, as
        `_dead_registers`; linear per sweep where a search from every pc was quadratic)."""
        n = len(code)
        own = [self._resources(i) for i in code]
        reads: list[frozenset[str]] = [frozenset()] * (n + 1)
        writes: list[frozenset[str]] = [frozenset()] * (n + 1)
        changed = True
        while changed:
            budget.check("preparing the search")
            changed = False
            for pc in range(n - 1, -1, -1):
                instr = code[pc]
                succs = () if isinstance(instr, LoopBound) else (pc + 1,)
                if isinstance(instr, Branch):
                    succs = (*succs, min(instr.target, n))
                r = own[pc].reads.union(*(reads[s] for s in succs))
                w = own[pc].writes.union(*(writes[s] for s in succs))
                if r != reads[pc] or w != writes[pc]:
                    reads[pc], writes[pc] = r, w
                    changed = True
        return tuple(Footprint(r, w) for r, w in zip(reads, writes))

    def _dead_registers(self, i: int, code: tuple[Instr, ...]) -> tuple[tuple[bool, ...] | None, ...]:
        """For each pc (and the end), which registers to keep: those live there (read
        later before being overwritten, or shown in the final state or filter). Dead ones
        are set to 0, so states that differ only in values no step will read again are one
        state (dead variable reduction, as in SPIN: Holzmann, "The Model Checker SPIN",
        IEEE TSE 23(5), 1997). They have the same future, hence the same final states and
        the same number of executions through them. None where every register is live."""
        names = self.regs[i]
        tid = self.tids[i]
        keys = set(self.program.state_keys()) | {str(n) for n in names_in(self.program.filter)}
        observed = frozenset(r for r in names if f"{tid}:{r}" in keys)
        uses = [
            frozenset().union(
                *(names_in(getattr(instr, f)) for f in _EXPR_FIELDS if getattr(instr, f, None) is not None)
            )
            for instr in code
        ]
        defs = [
            frozenset(r for r in (getattr(instr, "reg", None), getattr(instr, "status", None)) if r) for instr in code
        ]
        live = [frozenset()] * len(code) + [observed]
        changed = True
        while changed:
            budget.check("preparing the search")
            changed = False
            for pc in range(len(code) - 1, -1, -1):
                instr = code[pc]
                succs = () if isinstance(instr, LoopBound) else (pc + 1,)
                if isinstance(instr, Branch):
                    succs = (pc + 1, instr.target)
                out = frozenset().union(*(live[s] for s in succs))
                new = uses[pc] | (out - defs[pc])
                if new != live[pc]:
                    live[pc] = new
                    changed = True
        masks = tuple(tuple(r in here for r in names) for here in live)
        return tuple(None if all(m) else m for m in masks)

    # ------------------------------------------------------------------ the interface

    def initial(self):
        memory = tuple(self.program.locations[loc] for loc in self.locs)
        threads = []
        for i, names in enumerate(self.regs):
            regs = tuple(self.program.init_regs.get((self.tids[i], r), 0) for r in names)
            threads.append((0, regs, (), RUNNING))
        deltas, flags = (0,) * len(self.objects), 0
        for i, (pc, regs, buf, status) in enumerate(threads):
            pc, regs, status, deltas, flags = self._run_local(i, pc, regs, status, deltas, flags, None)
            keep = self._keep[i][pc]
            if keep is not None:
                regs = tuple(v if k else 0 for v, k in zip(regs, keep))
            threads[i] = (pc, regs, buf, status)
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
                key = (i, pc, self._location(i, instr, regs))
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
            tid = statuses.index(CUT_SHORT)
            instr = self.codes[tid][threads[tid][0]]
            reason = f"loop bound reached in thread {self.tids[tid]}" + (f": {instr.message}" if instr.message else "")
            return Ending(CUT, None, sticky, reason)
        if any(s != DONE for s in statuses):
            return Ending(BLOCKED, None, sticky)
        mem = dict(zip(self.locs, memory))
        regs = {self.tids[i]: dict(zip(self.regs[i], t[1])) for i, t in enumerate(threads)}
        if not self.program.passes_filter(mem, regs):
            return Ending(COMPLETE, None)
        outcome = self.program.final_state(mem, regs)
        net = dict(zip(sorted(self.program.objects), deltas))
        return Ending(COMPLETE, outcome, sticky + tuple(invariants.end_of_execution(self.program, mem, net, outcome)))

    # ------------------------------------------------------------------ semantics

    def _freed_of(self, loc: str) -> frozenset[str]:
        flag = self._freed_loc.get(loc)
        return frozenset((flag,)) if flag else frozenset()

    def _location(self, i: int, instr, regs) -> str:
        if instr.index is None:
            return instr.loc
        idx = evaluate(instr.index, dict(zip(self.regs[i], regs)))
        loc = self.program.location_at(instr.loc, idx)
        if loc is None:
            raise InputError(
                f"thread {self.tids[i]}: {describe(instr)} reaches {self.program.no_location(instr.loc, idx)}",
                self._file,
            )
        return loc

    def _transition(self, i: int, instr: Instr, regs) -> Transition:
        origin = getattr(instr, "origin", "")
        label = f"[{origin}] {describe(instr)}" if origin else describe(instr)
        if isinstance(instr, (Load, Store, Rmw, Cas)):
            loc = self._location(i, instr, regs)
            freed = self._freed_of(loc)
            reads = frozenset((loc,)) | freed
            if isinstance(instr, Load):
                return Transition(i, ("exec", loc), label, reads)
            if isinstance(instr, Store) and self.model.buffers(instr):
                return Transition(i, ("exec", loc), label)
            return Transition(i, ("exec", loc), label, reads, frozenset((loc,)))
        fp = self._resources(instr)
        return Transition(i, ("exec", None), label, fp.reads, fp.writes)

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
            fns = self._exprs[i][pc]
            dest = self._dest[i][pc]
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
            keep = self._keep[i][pc]
            if keep is not None:
                regs = tuple(v if k else 0 for v, k in zip(regs, keep))
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
        """Run thread `i`'s thread-local instructions up to its next memory event;
        returns the new `(pc, regs, status, deltas, flags)`."""
        code = self.codes[i]
        local = self._local[i]
        exprs = self._exprs[i]
        deltas_l = None
        while status == RUNNING:
            if pc >= len(code):
                status = DONE
                break
            if not local[pc]:
                break
            instr = code[pc]
            fns = exprs[pc]
            if isinstance(instr, Assign):
                regs = _set(regs, self.reg_index[i][instr.reg], fns["value"](regs))
            elif isinstance(instr, Branch):
                if fns["cond"](regs):
                    pc = instr.target
                    continue
            elif isinstance(instr, ObjOp):
                if instr.delta:
                    if deltas_l is None:
                        deltas_l = list(deltas)
                    deltas_l[self.objects[instr.obj]] += instr.delta
            elif isinstance(instr, Assert):
                if not fns["cond"](regs):
                    flags |= _FLAG_BITS["assertion"]
                    if notes is not None:
                        notes.append(invariants.assertion(instr.message or str(instr.cond), self.tids[i]))
            elif isinstance(instr, Assume):
                if not fns["cond"](regs):
                    status = WAITS_FOREVER
                    break
            elif isinstance(instr, LoopBound):
                status = CUT_SHORT
                break
            pc += 1
        if deltas_l is not None:
            deltas = tuple(deltas_l)
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
