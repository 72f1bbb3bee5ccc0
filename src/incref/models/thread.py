"""The operational reading of a thread, shared by every engine that runs threads step by
step: the operational checker (`incref.checker.operational`) and the cache simulator
(`incref.simulator.machine`). Both import it from here, so the two cannot read a thread
differently (and neither reaches into the other).

`Threads` compiles an engine-level program's threads once for one operational model
(`incref.models.operational`, which owns the store buffer: which instructions drain it,
forwarding, which entry flushes next). A thread's state in an engine is its program
counter, its register tuple (laid out by `Threads.regs[i]`), its store buffer and a
status (`RUNNING`, `DONE`, `WAITS_FOREVER`, `CUT_SHORT`). Memory events (load, store,
read-modify-write, CAS, draining fence, lock, unlock, free) are each engine's own: the
checker reads memory, the simulator a cache line. Everything else a thread does touches
only itself — register arithmetic, branches, `ObjOp` markers, assertions, assumes, loop
bounds — and `run_local` runs it at once after the thread's previous memory event: those
steps commute with everything another thread does, so interleaving them would only
multiply states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from incref import budget
from incref.errors import InputError, Unsupported
from incref.ir.program import (
    ADDRESSED,
    BINARY_OPS,
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

# a thread's status in an engine state
RUNNING, DONE, WAITS_FOREVER, CUT_SHORT = 0, 1, 2, 3

LOCAL_INSTRUCTIONS = (Assign, Branch, ObjOp, Assert, Assume, LoopBound)
EXPR_FIELDS = ("value", "operand", "expected", "desired", "cond", "index")

Resources = tuple[frozenset[str], frozenset[str]]  # (locations read, locations written)
_NOTHING: Resources = (frozenset(), frozenset())


class LocalRun(NamedTuple):
    """A thread after `Threads.run_local`: where it stopped, its registers and status, the
    objects' summed `ObjOp` deltas, and the messages of the assertions that failed."""

    pc: int
    regs: tuple[int, ...]
    status: int
    deltas: tuple[int, ...]
    failed: tuple[str, ...]


def thread_registers(program: Program, tid: int, code: Iterable[Instr]) -> tuple[str, ...]:
    """Every register thread `tid` writes or reads (its initial registers included), in a
    stable order: the layout of a thread's register tuple in an engine state."""
    names: set[str] = {r for (t, r) in program.init_regs if t == tid}
    for instr in code:
        for attr in ("reg", "status"):
            r = getattr(instr, attr, None)
            if isinstance(r, str) and r:
                names.add(r)
        for attr in EXPR_FIELDS:
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


class Threads:
    """The threads of `program` (engine level) compiled for `model`; thread `i` is
    `program.threads[i]`. Raises `InputError` for an undeclared location or object and
    `Unsupported` for an instruction the operational models have no meaning for
    (exclusive loads and stores)."""

    def __init__(self, program: Program, model: OperationalModel):
        if not program.is_expanded:
            raise InputError("the program still contains incref/decref: apply a refcount scheme first")
        self.program = program
        self.model = model
        file = program.meta.get("file")
        self.file = file if isinstance(file, str) else None
        self.locs = tuple(sorted(program.locations))
        self.loc_index = {loc: i for i, loc in enumerate(self.locs)}
        self.objects = {name: i for i, name in enumerate(sorted(program.objects))}
        self.codes = tuple(t.code for t in program.threads)
        self.tids = tuple(t.tid for t in program.threads)
        self.regs = tuple(thread_registers(program, t.tid, t.code) for t in program.threads)
        self.reg_index = tuple({r: i for i, r in enumerate(names)} for names in self.regs)
        for tid, code in zip(self.tids, self.codes):
            for instr in code:
                self._validate(instr, tid)
        self.freed_loc = {f: obj.freed for obj in program.objects.values() for f in obj.fields}
        # per thread and pc: whether the instruction is thread-local, its compiled
        # expressions, the register a memory event writes (-1: none)
        self.local = tuple(tuple(self._is_local(instr) for instr in code) for code in self.codes)
        self.exprs = tuple(
            tuple(
                {f: compile_expr(getattr(instr, f), self.reg_index[i]) for f in EXPR_FIELDS if _has(instr, f)}
                for instr in code
            )
            for i, code in enumerate(self.codes)
        )
        self.dest = tuple(
            tuple(
                self.reg_index[i][instr.reg] if getattr(instr, "reg", None) and not isinstance(instr, Assign) else -1
                for instr in code
            )
            for i, code in enumerate(self.codes)
        )
        self.futures = tuple(self._static_futures(code) for code in self.codes)
        self.live = tuple(self._live_registers(i, code) for i, code in enumerate(self.codes))

    # ------------------------------------------------------------------ a thread's state

    def initial_registers(self, i: int) -> tuple[int, ...]:
        return tuple(self.program.init_regs.get((self.tids[i], r), 0) for r in self.regs[i])

    def registers(self, i: int, regs: Sequence[int]) -> dict[str, int]:
        """Thread `i`'s register tuple by name."""
        return dict(zip(self.regs[i], regs))

    def location(self, i: int, instr: Load | Store | Rmw | Cas, regs: Sequence[int]) -> str:
        """The location thread `i`'s memory access `instr` touches with registers `regs`
        (an indexed or pointer access resolved by `Program.location_at`)."""
        if instr.index is None:
            return instr.loc
        idx = evaluate(instr.index, self.registers(i, regs))
        loc = self.program.location_at(instr.loc, idx)
        if loc is None:
            where = self.program.no_location(instr.loc, idx)
            raise InputError(f"thread {self.tids[i]}: {describe(instr)} reaches {where}", self.file)
        return loc

    def resources(self, instr: Instr) -> Resources:
        """What `instr` may touch, whatever its registers hold (an indexed access may touch
        any `loc[i]`): (locations read, locations written), an object's `freed` flag
        included where a field is accessed."""
        if isinstance(instr, (Load, Store, Rmw, Cas)):
            locs = self.program.may_touch(instr.loc, instr.index is not None)
            freed = {self.freed_loc[loc] for loc in locs if loc in self.freed_loc}
            return frozenset(locs | freed), frozenset() if isinstance(instr, Load) else frozenset(locs)
        if isinstance(instr, (Lock, Unlock)):
            return frozenset((instr.lock,)), frozenset((instr.lock,))
        if isinstance(instr, Free):
            f = frozenset((self.program.objects[instr.obj].freed,))
            return f, f
        return _NOTHING

    def forget_dead(self, i: int, pc: int, regs: tuple[int, ...]) -> tuple[int, ...]:
        """`regs` with the registers no later step of thread `i` reads from `pc` on set to
        0, so states that differ only in dead values are one state (dead variable
        reduction, as in SPIN: Holzmann, "The Model Checker SPIN", IEEE TSE 23(5), 1997).
        They have the same future, hence the same final states and executions."""
        keep = self.live[i][pc]
        return regs if keep is None else tuple(v if k else 0 for v, k in zip(regs, keep))

    def run_local(self, i: int, pc: int, regs: tuple[int, ...], status: int, deltas: tuple[int, ...]) -> LocalRun:
        """Run thread `i`'s thread-local instructions from `pc` up to its next memory
        event (or its end: `DONE`; an assume that fails: `WAITS_FOREVER`; a loop bound:
        `CUT_SHORT`)."""
        code = self.codes[i]
        local = self.local[i]
        exprs = self.exprs[i]
        deltas_l = None
        failed: tuple[str, ...] = ()
        while status == RUNNING:
            if pc >= len(code):
                status = DONE
                break
            if not local[pc]:
                break
            instr = code[pc]
            fns = exprs[pc]
            if isinstance(instr, Assign):
                k = self.reg_index[i][instr.reg]
                regs = regs[:k] + (fns["value"](regs),) + regs[k + 1 :]
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
                    failed += (instr.message or str(instr.cond),)
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
        return LocalRun(pc, regs, status, deltas, failed)

    def cut_reason(self, i: int, pc: int) -> str:
        """Why thread `i`, stopped `CUT_SHORT` at `pc`, was cut (its loop bound's message)."""
        instr = self.codes[i][pc]
        message = getattr(instr, "message", "")
        return f"loop bound reached in thread {self.tids[i]}" + (f": {message}" if message else "")

    # ------------------------------------------------------------------ set-up

    def _validate(self, instr: Instr, tid: int) -> None:
        if isinstance(instr, Load) and instr.exclusive or isinstance(instr, Store) and instr.status:
            raise Unsupported(
                f"exclusive load/store (thread {tid}) under {self.model.name}: it is an ARMv8 feature", self.file
            )
        loc = getattr(instr, "loc", None) or getattr(instr, "lock", None)
        if loc == ADDRESSED and getattr(instr, "index", None) is not None:
            return
        if loc is not None and loc not in self.loc_index:
            raise InputError(f"thread {tid}: location {loc!r} is not declared", self.file)
        if isinstance(instr, Free) and instr.obj not in self.program.objects:
            raise InputError(f"thread {tid}: free of unknown object {instr.obj!r}", self.file)

    def _is_local(self, instr: Instr) -> bool:
        """Touches only the thread itself (a fence that drains nothing under this model
        included)."""
        return isinstance(instr, LOCAL_INSTRUCTIONS) or isinstance(instr, Fence) and not self.model.drains(instr)

    def _static_futures(self, code: tuple[Instr, ...]) -> tuple[Resources, ...]:
        """For each pc (and the end), the union of the resources of every instruction
        reachable from it — everything the thread may still touch: the least solution of
        future(pc) = own(pc) ∪ future(successors), found by sweeping backwards until nothing
        changes (a backward dataflow analysis, as `_live_registers`; linear per sweep where
        a search from every pc was quadratic)."""
        n = len(code)
        own = [self.resources(i) for i in code]
        reads: list[frozenset[str]] = [frozenset()] * (n + 1)
        writes: list[frozenset[str]] = [frozenset()] * (n + 1)
        changed = True
        while changed:
            budget.check("preparing the search")
            changed = False
            for pc in range(n - 1, -1, -1):
                instr = code[pc]
                succs: tuple[int, ...] = () if isinstance(instr, LoopBound) else (pc + 1,)
                if isinstance(instr, Branch):
                    succs = (*succs, min(instr.target, n))
                r = own[pc][0].union(*(reads[s] for s in succs))
                w = own[pc][1].union(*(writes[s] for s in succs))
                if r != reads[pc] or w != writes[pc]:
                    reads[pc], writes[pc] = r, w
                    changed = True
        return tuple(zip(reads, writes))

    def _live_registers(self, i: int, code: tuple[Instr, ...]) -> tuple[tuple[bool, ...] | None, ...]:
        """For each pc (and the end), which registers are live there: read later before
        being overwritten, or shown in the final state or filter (a backward data-flow
        fixpoint). None where every register is live."""
        names = self.regs[i]
        tid = self.tids[i]
        keys = set(self.program.state_keys()) | {str(n) for n in names_in(self.program.filter)}
        observed = frozenset(r for r in names if f"{tid}:{r}" in keys)
        uses = [
            frozenset().union(*(names_in(getattr(instr, f)) for f in EXPR_FIELDS if _has(instr, f))) for instr in code
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
                succs: tuple[int, ...] = () if isinstance(instr, LoopBound) else (pc + 1,)
                if isinstance(instr, Branch):
                    succs = (pc + 1, instr.target)
                out = frozenset().union(*(live[s] for s in succs))
                new = uses[pc] | (out - defs[pc])
                if new != live[pc]:
                    live[pc] = new
                    changed = True
        masks = tuple(tuple(r in here for r in names) for here in live)
        return tuple(None if all(m) else m for m in masks)


def _has(instr: Instr, field: str) -> bool:
    return getattr(instr, field, None) is not None
