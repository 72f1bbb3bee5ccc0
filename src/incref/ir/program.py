"""The intermediate representation every front end produces and every engine consumes.

A `Program` is a finite concurrent program: shared locations with initial values, threads
of instructions, objects whose fields are locations, and an optional final condition in
herd7's style (`exists` / `~exists` / `forall` over final values).

Two levels share these classes:

* a *scenario-level* program may contain the object operations `Incref` and `Decref`;
* an *engine-level* program has had them expanded by a refcount scheme
  (`incref.schemes.apply_scheme`), so it holds only memory instructions, `Free`
  and `ObjOp` markers (which carry the expected-count bookkeeping and the trace labels).

Engines accept only engine-level programs (`Program.is_expanded`).

Memory orders are C11's (`na` is a non-atomic access, kept apart from `rlx` because
RC11 gives a race on a non-atomic location undefined behaviour; Lahav et al., PLDI 2017,
section 3). Architecture front ends map their instructions onto these orders and record
the flavour of a fence (`mfence`, `dmb.ld`, ...) in `Fence.kind`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property


class IRError(ValueError):
    """A program that is not well formed (an engine bug or a front end bug, never user input:
    front ends report user errors with a location before building IR)."""


class Order(str, Enum):
    NA = "na"
    RLX = "rlx"
    ACQ = "acq"
    REL = "rel"
    ACQ_REL = "acq_rel"
    SC = "sc"

    @property
    def is_atomic(self) -> bool:
        return self is not Order.NA

    @property
    def acquires(self) -> bool:
        return self in (Order.ACQ, Order.ACQ_REL, Order.SC)

    @property
    def releases(self) -> bool:
        return self in (Order.REL, Order.ACQ_REL, Order.SC)


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Const:
    value: int

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Reg:
    """A thread-local register (in thread code)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Var:
    """A key of a final state: a location (`x`, `obj.refcnt`) or a register `T:reg`.
    Used only in conditions, filters and an object's logical-count expression."""

    name: str

    def __str__(self) -> str:
        return self.name


_WORD = 2**63  # values are signed 64-bit words, as in the hardware back end's C (`int64_t`)


def _word(value: int) -> int:
    """`value` wrapped to a signed 64-bit word (two's complement), as `(u64)a op (u64)b`
    is in the generated C: the engines and real cores compute the same numbers, and no
    loop of multiplications or shifts can grow a Python integer without bound."""
    return value if -_WORD <= value < _WORD else ((value + _WORD) % (2 * _WORD)) - _WORD


def _shift_left(a: int, b: int) -> int:
    """C's `shl_` of the hardware back end: a count outside 0..63 gives 0 (C leaves it
    undefined; the generated C and every engine agree on 0 instead)."""
    return _word(a << b) if 0 <= b <= 63 else 0


def _shift_right(a: int, b: int) -> int:
    """Arithmetic shift as the back end's `shr_`: a negative count gives 0, a count over 63
    the sign (0 or -1)."""
    if b < 0:
        return 0
    return a >> min(b, 63)


BINARY_OPS = {
    "+": lambda a, b: _word(a + b),
    "-": lambda a, b: _word(a - b),
    "*": lambda a, b: _word(a * b),
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "<<": _shift_left,
    ">>": _shift_right,
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
    "&&": lambda a, b: int(bool(a) and bool(b)),
    "||": lambda a, b: int(bool(a) or bool(b)),
    "=>": lambda a, b: int((not a) or bool(b)),
}

UNARY_OPS = {
    "!": lambda a: int(not a),
    "-": lambda a: _word(-a),
}


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        if self.op not in BINARY_OPS:
            raise IRError(f"unknown binary operator {self.op!r}")

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass(frozen=True, slots=True)
class UnOp:
    op: str
    operand: Expr

    def __post_init__(self) -> None:
        if self.op not in UNARY_OPS:
            raise IRError(f"unknown unary operator {self.op!r}")

    def __str__(self) -> str:
        return f"{self.op}{self.operand}"


Expr = Const | Reg | Var | BinOp | UnOp


def evaluate(expr: Expr, env: Mapping[str, int]) -> int:
    """Value of `expr`; `Reg` and `Var` names are looked up in `env` (missing names are 0,
    as registers and locations start at 0 unless initialised)."""
    if type(expr) is Const:
        return expr.value
    if type(expr) is Reg or type(expr) is Var:
        return env.get(expr.name, 0)
    if type(expr) is BinOp:
        return BINARY_OPS[expr.op](evaluate(expr.left, env), evaluate(expr.right, env))
    if type(expr) is UnOp:
        return UNARY_OPS[expr.op](evaluate(expr.operand, env))
    raise IRError(f"not an expression: {expr!r}")


def names_in(expr: Expr | None) -> frozenset[str]:
    """Register (or Var) names an expression reads: the source of data, address and
    control dependencies."""
    if expr is None or type(expr) is Const:
        return frozenset()
    if type(expr) is Reg or type(expr) is Var:
        return frozenset((expr.name,))
    if type(expr) is BinOp:
        return names_in(expr.left) | names_in(expr.right)
    assert type(expr) is UnOp
    return names_in(expr.operand)


def conj(*exprs: Expr) -> Expr:
    """The conjunction of `exprs` (`1` when empty)."""
    out: Expr | None = None
    for e in exprs:
        out = e if out is None else BinOp("&&", out, e)
    return out if out is not None else Const(1)


# --------------------------------------------------------------------------- instructions
#
# Memory instructions name a location statically (`loc`) and may add a dynamic `index`
# (an address dependency, as in the litmus catalogue's `LDR W2,[X3,W4]`): the effective
# location is `loc` when the index evaluates to 0 and `loc[i]` otherwise, which must be a
# declared location.  With `loc=ADDRESSED` the index is a pointer value, an address from
# `Program.addresses` (a C program's `*p`).  `origin` names the scenario-level operation an instruction came from
# ("incref obj"), for traces.

ADDRESSED = "*"

RMW_OPS = {
    "add": lambda old, v: old + v,
    "sub": lambda old, v: old - v,
    "and": lambda old, v: old & v,
    "or": lambda old, v: old | v,
    "xor": lambda old, v: old ^ v,
    "clr": lambda old, v: old & ~v,
    "xchg": lambda old, v: v,
}


@dataclass(frozen=True, slots=True)
class Load:
    reg: str | None
    loc: str
    order: Order = Order.NA
    index: Expr | None = None
    exclusive: bool = False  # AArch64 LDXR/LDAXR: pairs with the next exclusive store
    kind: str = ""  # architecture flavour where the order alone does not say it: "ldapr"
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Store:
    loc: str
    value: Expr
    order: Order = Order.NA
    index: Expr | None = None
    status: str | None = None  # exclusive store (STXR): register set to 0 on success, 1 on failure
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Rmw:
    """An indivisible read-modify-write: `reg` receives the old value, memory gets
    `RMW_OPS[op](old, operand)`."""

    reg: str | None
    loc: str
    op: str
    operand: Expr
    order: Order = Order.SC
    index: Expr | None = None
    origin: str = ""

    def __post_init__(self) -> None:
        if self.op not in RMW_OPS:
            raise IRError(f"unknown read-modify-write operation {self.op!r}")


@dataclass(frozen=True, slots=True)
class Cas:
    """Strong compare-and-swap: `reg` receives the old value; memory gets `desired` iff
    old == `expected`. A failed CAS is a read with `fail_order`."""

    reg: str | None
    loc: str
    expected: Expr
    desired: Expr
    order: Order = Order.SC
    fail_order: Order = Order.SC
    index: Expr | None = None
    origin: str = ""


FENCE_KINDS = ("", "mfence", "dmb.sy", "dmb.ld", "dmb.st", "isb")


@dataclass(frozen=True, slots=True)
class Fence:
    order: Order = Order.SC
    kind: str = ""  # "" is a C11 fence of `order`; the others are architecture fences
    origin: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FENCE_KINDS:
            raise IRError(f"unknown fence kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Lock:
    """Acquire a mutex (a location, 0 = free): waits until free, takes it with acquire
    ordering. Operational engines drain store buffers; `desugar_locks` gives its RMW form."""

    lock: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Unlock:
    lock: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Assign:
    reg: str
    value: Expr
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Branch:
    """Jump to instruction index `target` when `cond` is non-zero (after `link`)."""

    cond: Expr
    target: int | str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Assume:
    """Block this execution unless `cond` holds: a side-effect-free spin loop folded into
    "wait until the condition holds" (executions in which it never holds are not counted)."""

    cond: Expr
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Assert:
    cond: Expr
    message: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class LoopBound:
    """Reached when a bounded loop runs out of iterations: the exploration of this
    execution is cut, so the verdict can be at best `incomplete`."""

    message: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Label:
    """A branch target in unlinked code; `link` removes it."""

    name: str


@dataclass(frozen=True, slots=True)
class Incref:
    """Scenario level: take a reference to `obj` (expanded by a scheme)."""

    obj: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Decref:
    """Scenario level: drop a reference; the scheme frees the object when the count it
    computed reaches zero."""

    obj: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Gil:
    """Scenario level: the C API's `PyGILState_Ensure` (acquire) / `PyGILState_Release`.
    The scheme says what it is: the GIL of the classic builds (a lock), nothing in the
    free-threaded ones (CPython 3.13t: attaching a thread state takes no global lock)."""

    acquire: bool
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Free:
    """Release `obj`'s memory: writes 1 to `obj.freed`. Any later (operational) or
    not-happens-before (axiomatic) access to one of the object's fields is a use after
    free; a second `Free` is a double free."""

    obj: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ObjOp:
    """Engine-level marker, no memory effect: thread begins the scenario operation `kind`
    (incref, decref, use, free) on `obj`. `delta` is what the operation adds to the
    expected logical count (+1, -1, 0); engines sum the deltas of the markers executed."""

    kind: str
    obj: str
    delta: int = 0


Instr = (
    Load
    | Store
    | Rmw
    | Cas
    | Fence
    | Lock
    | Unlock
    | Assign
    | Branch
    | Assume
    | Assert
    | LoopBound
    | Label
    | Incref
    | Decref
    | Gil
    | Free
    | ObjOp
)

MEMORY_INSTRS = (Load, Store, Rmw, Cas)
SCENARIO_LEVEL = (Incref, Decref, Gil)


# --------------------------------------------------------------------------- objects, threads


INVARIANTS = ("lost-update", "use-after-free", "double-free", "leak")


@dataclass(frozen=True)
class ObjectInfo:
    """A refcounted object. `fields` are its location names (every access to one after the
    free is a use after free); `count` is the scheme's logical count over final values
    (`Var` names are locations); `invariants` are the checks the scheme says apply."""

    name: str
    initial_count: int
    fields: tuple[str, ...]
    count: Expr
    invariants: frozenset[str] = frozenset(INVARIANTS)
    attrs: Mapping[str, int] = field(default_factory=dict)  # scheme inputs: owner, immortal, ...

    @property
    def refcnt(self) -> str:
        return f"{self.name}.refcnt"

    @property
    def payload(self) -> str:
        return f"{self.name}.payload"

    @property
    def freed(self) -> str:
        return f"{self.name}.freed"


@dataclass(frozen=True)
class Thread:
    tid: int
    code: tuple[Instr, ...]
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"P{self.tid}")


QUANTIFIERS = ("exists", "~exists", "forall")


@dataclass(frozen=True)
class Condition:
    """herd7's final condition. `prop` ranges over final-state keys (`Var`)."""

    quantifier: str
    prop: Expr
    text: str = ""

    def __post_init__(self) -> None:
        if self.quantifier not in QUANTIFIERS:
            raise IRError(f"unknown quantifier {self.quantifier!r}")
        if not self.text:
            object.__setattr__(self, "text", f"{self.quantifier} {self.prop}")

    def satisfied_by(self, state: Mapping[str, int]) -> bool:
        return bool(evaluate(self.prop, state))

    def holds(self, states: Iterable[Mapping[str, int]]) -> bool:
        """Whether the condition holds over the set of final states of all executions."""
        sat = [self.satisfied_by(s) for s in states]
        if self.quantifier == "exists":
            return any(sat)
        if self.quantifier == "~exists":
            return not any(sat)
        return all(sat)

    def is_violated_by(self, state: Mapping[str, int]) -> bool:
        """One execution ending in `state` refutes a `~exists` or `forall` condition."""
        if self.quantifier == "~exists":
            return self.satisfied_by(state)
        if self.quantifier == "forall":
            return not self.satisfied_by(state)
        return False


def reg_key(tid: int, reg: str) -> str:
    """The final-state key of a register, as herd7 writes it: `0:r0`."""
    return f"{tid}:{reg}"


@dataclass(frozen=True)
class Program:
    """A concurrent program ready for a scheme (scenario level) or an engine (expanded).

    `locations` maps every shared location (object fields included) to its initial value;
    `init_regs` gives registers initial values (`{(tid, reg): value}`); `observed`, when
    set, lists the final-state keys an outcome shows (herd7's `locations` plus the
    condition's keys), otherwise every location and the registers the condition names.
    `addresses` gives locations an integer address (distinct, non-zero), the values of
    pointers an access with `loc=ADDRESSED` dereferences. `meta` carries front-end facts
    (`arch`, `file`, `params`, litmus key=value lines)."""

    name: str
    locations: Mapping[str, int]
    threads: tuple[Thread, ...]
    objects: Mapping[str, ObjectInfo] = field(default_factory=dict)
    condition: Condition | None = None
    filter: Expr | None = None
    observed: tuple[str, ...] | None = None
    init_regs: Mapping[tuple[int, str], int] = field(default_factory=dict)
    scheme: str | None = None
    meta: Mapping[str, object] = field(default_factory=dict)
    addresses: Mapping[str, int] = field(default_factory=dict)

    # ---- derived facts

    @property
    def is_expanded(self) -> bool:
        return not any(isinstance(i, SCENARIO_LEVEL) for t in self.threads for i in t.code)

    def location_at(self, loc: str, index: int) -> str | None:
        """The location an access naming `loc` with a computed `index` touches (`loc`
        itself at index 0, else `loc[index]`; for `loc=ADDRESSED` the location whose
        address is `index`), or None when that is no declared location (a null or
        dangling pointer). Every engine resolves a dynamic address here, so they cannot
        disagree on one."""
        if loc == ADDRESSED:
            return self._by_address.get(index)
        name = loc if index == 0 else f"{loc}[{index}]"
        return name if name in self.locations else None

    def no_location(self, loc: str, index: int) -> str:
        """What an access that `location_at` cannot resolve reaches, for its message."""
        if loc == ADDRESSED:
            return f"address {index}, which is no location (a null or dangling pointer)"
        return f"undeclared location {loc}[{index}]"

    @cached_property
    def _by_address(self) -> dict[int, str]:
        return {a: loc for loc, a in self.addresses.items()}

    def may_touch(self, loc: str, indexed: bool) -> frozenset[str]:
        """Every location an access naming `loc` may reach, whatever its index evaluates
        to (for partial-order reduction and static footprints)."""
        if not indexed:
            return frozenset((loc,))
        if loc == ADDRESSED:
            return frozenset(self.addresses)
        return frozenset((loc,)) | {other for other in self.locations if other.startswith(loc + "[")}

    def state_keys(self) -> tuple[str, ...]:
        """Keys of an outcome's `state`, in a stable order."""
        if self.observed is not None:
            keys = list(self.observed)
        else:
            keys = sorted(self.locations)
        if self.condition is not None:
            for name in sorted(names_in(self.condition.prop)):
                if name not in keys:
                    keys.append(name)
        return tuple(keys)

    def final_state(self, memory: Mapping[str, int], regs: Mapping[int, Mapping[str, int]]) -> dict[str, int]:
        """The outcome `state` of an execution that ended with `memory` and thread
        registers `regs` (`{tid: {reg: value}}`): the one projection every engine uses."""
        state: dict[str, int] = {}
        for key in self.state_keys():
            tid, sep, reg = key.partition(":")
            if sep:
                state[key] = regs.get(int(tid), {}).get(reg, self.init_regs.get((int(tid), reg), 0))
            else:
                state[key] = memory.get(key, self.locations.get(key, 0))
        return state

    def passes_filter(self, memory: Mapping[str, int], regs: Mapping[int, Mapping[str, int]]) -> bool:
        if self.filter is None:
            return True
        env = dict(memory)
        for tid, rs in regs.items():
            for r, v in rs.items():
                env[reg_key(tid, r)] = v
        return bool(evaluate(self.filter, env))

    def with_threads(self, threads: Iterable[Thread], **changes) -> Program:
        return replace(self, threads=tuple(threads), **changes)


def link(code: Iterable[Instr]) -> tuple[Instr, ...]:
    """Resolve `Label`s: drop them and turn `Branch` targets into instruction indices
    (a branch to the end of the code targets `len(code)`)."""
    code = list(code)
    targets: dict[str, int] = {}
    out: list[Instr] = []
    for instr in code:
        if isinstance(instr, Label):
            if instr.name in targets:
                raise IRError(f"label {instr.name!r} defined twice")
            targets[instr.name] = len(out)
        else:
            out.append(instr)
    linked = []
    for instr in out:
        if isinstance(instr, Branch) and isinstance(instr.target, str):
            if instr.target not in targets:
                raise IRError(f"branch to undefined label {instr.target!r}")
            instr = replace(instr, target=targets[instr.target])
        linked.append(instr)
    return tuple(linked)


def desugar_locks(code: Iterable[Instr], tid: int) -> tuple[Instr, ...]:
    """`Lock(l)` as an acquire CAS 0→1 that must succeed (spin loop folded into an
    assume) and `Unlock(l)` as a release store of 0: the form axiomatic engines need.
    Linked branch targets are moved to follow the longer code."""
    out: list[Instr] = []
    moved: list[int] = []  # old instruction index -> new index
    for instr in code:
        moved.append(len(out))
        if isinstance(instr, Lock):
            reg = f"__lock_{instr.lock}"
            out.append(Cas(reg, instr.lock, Const(0), Const(1), Order.ACQ, Order.ACQ, origin=instr.origin))
            out.append(Assume(BinOp("==", Reg(reg), Const(0)), origin=instr.origin))
        elif isinstance(instr, Unlock):
            out.append(Store(instr.lock, Const(0), Order.REL, origin=instr.origin))
        else:
            out.append(instr)
    moved.append(len(out))
    return tuple(
        replace(i, target=moved[i.target]) if isinstance(i, Branch) and isinstance(i.target, int) else i for i in out
    )


def describe(instr: Instr) -> str:
    """One readable line for an instruction, used in traces and listings."""
    idx = lambda i: f"[{i.index}]" if getattr(i, "index", None) is not None else ""  # noqa: E731
    match instr:
        case Load(reg=r, loc=l, order=o):
            return f"{r or '_'} = load{'.excl' if instr.exclusive else ''}.{o.value} {l}{idx(instr)}"
        case Store(loc=l, value=v, order=o):
            st = f"{instr.status} = " if instr.status else ""
            return f"{st}store{'.excl' if instr.status else ''}.{o.value} {l}{idx(instr)} = {v}"
        case Rmw(reg=r, loc=l, op=op, operand=v, order=o):
            return f"{r or '_'} = fetch_{op}.{o.value} {l}{idx(instr)}, {v}"
        case Cas(reg=r, loc=l, expected=e, desired=d, order=o):
            return f"{r or '_'} = cas.{o.value} {l}{idx(instr)}, {e} -> {d}"
        case Fence(order=o, kind=k):
            return f"fence {k}" if k else f"fence.{o.value}"
        case Lock(lock=l):
            return f"lock {l}"
        case Unlock(lock=l):
            return f"unlock {l}"
        case Assign(reg=r, value=v):
            return f"{r} = {v}"
        case Branch(cond=c, target=t):
            return f"if {c} goto {t}"
        case Assume(cond=c):
            return f"await {c}"
        case Assert(cond=c):
            return f"assert {c}"
        case LoopBound():
            return "loop bound reached"
        case Label(name=n):
            return f"{n}:"
        case Incref(obj=o):
            return f"incref {o}"
        case Decref(obj=o):
            return f"decref {o}"
        case Free(obj=o):
            return f"free {o}"
        case Gil(acquire=a):
            return "PyGILState_Ensure" if a else "PyGILState_Release"
        case ObjOp(kind=k, obj=o):
            return f"-- {k} {o}"
    raise IRError(f"not an instruction: {instr!r}")


def default_object(name: str, initial_count: int, payload: int = 0, **attrs: int) -> tuple[ObjectInfo, dict[str, int]]:
    """A scenario-level object (count in `refcnt`, a `payload`, a `freed` flag) and its
    locations with initial values; a scheme may re-lay the count fields."""
    info = ObjectInfo(
        name=name,
        initial_count=initial_count,
        fields=(f"{name}.refcnt", f"{name}.payload"),
        count=Var(f"{name}.refcnt"),
        attrs=dict(attrs),
    )
    return info, {f"{name}.refcnt": initial_count, f"{name}.payload": payload, f"{name}.freed": 0}


def use_code(obj: str, reg: str) -> tuple[Instr, ...]:
    """`use obj`: touch the payload (a plain load), as a scenario-level operation."""
    return (ObjOp("use", obj), Load(reg, f"{obj}.payload", Order.NA, origin=f"use {obj}"))


def free_code(obj: str) -> tuple[Instr, ...]:
    """`free obj` written by the scenario itself (not by a decref)."""
    return (ObjOp("free", obj), Free(obj, origin=f"free {obj}"))
