"""What a refcount scheme is, and how one is applied to a scenario-level program.

A scheme is a small object that says (1) how an object's count is laid out in memory,
(2) what the object's *logical* count is (later schemes keep it in several fields),
(3) which invariants it promises, and (4) how `incref` and `decref` expand into IR.
The checker knows no scheme: `apply_scheme` turns every `Incref`/`Decref` into plain IR
plus `ObjOp` markers, and engines only ever see the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from incref import budget
from incref.ir.program import (
    INVARIANTS,
    BinOp,
    Branch,
    Const,
    Decref,
    Expr,
    Free,
    Gil,
    Incref,
    Instr,
    Label,
    Load,
    Lock,
    ObjectInfo,
    ObjOp,
    Order,
    Program,
    Thread,
    Unlock,
    Var,
    link,
)


@dataclass
class Expansion:
    """What a scheme needs while expanding one operation in one thread: fresh register
    and label names that cannot clash with the scenario's own."""

    tid: int
    nthreads: int
    _counter: list[int] = field(default_factory=lambda: [0])
    holds_gil: bool = False  # the thread is between PyGILState_Ensure and Release here

    def reg(self, hint: str = "t") -> str:
        self._counter[0] += 1
        return f"__{hint}{self._counter[0]}"

    def label(self, hint: str = "L") -> str:
        self._counter[0] += 1
        return f"__{hint}{self._counter[0]}"


class Scheme:
    """Base class: one field `<obj>.refcnt` holding the count, every invariant applies.
    Subclasses override `incref`/`decref` and, when they keep the count elsewhere,
    `layout` and `count`."""

    name: str = ""
    promise: str = ""
    source: str = ""
    invariants: frozenset[str] = frozenset(INVARIANTS)

    def layout(self, obj: ObjectInfo, nthreads: int) -> dict[str, int]:
        """Count fields of `obj` with their initial values (payload and freed flag are
        added by `apply_scheme`)."""
        return {obj.refcnt: obj.initial_count}

    def count(self, obj: ObjectInfo, nthreads: int) -> Expr:
        """The logical count, an expression over final values of locations."""
        return Var(obj.refcnt)

    def object_invariants(self, obj: ObjectInfo) -> frozenset[str]:
        """The invariants that apply to one object (an immortal object's count counts
        nothing, so lost update and leak do not apply to it)."""
        return frozenset(self.invariants)

    def globals(self, program: Program) -> dict[str, int]:
        """Scheme-wide locations (a global lock), with initial values."""
        return {}

    def incref(self, obj: ObjectInfo, x: Expansion) -> list[Instr]:
        raise NotImplementedError

    def decref(self, obj: ObjectInfo, x: Expansion) -> list[Instr]:
        raise NotImplementedError

    def gil(self, acquire: bool, x: Expansion) -> list[Instr]:
        """`PyGILState_Ensure`/`Release` (a C program's `Gil`): the free-threaded builds
        have no GIL, so by default nothing; the classic builds' schemes take the lock."""
        return []

    def thread_exit(self, objects: Mapping[str, ObjectInfo], x: Expansion) -> list[Instr]:
        """Code a thread runs after its scenario code ends: biased counting merges the
        objects queued to their owner (CPython `_Py_brc_remove_thread`), sharded counting
        passes its grace period there. Most schemes do nothing."""
        return []


def dealloc(obj: ObjectInfo, origin: str = "") -> list[Instr]:
    """Destroy `obj`: the destructor reads the payload (CPython `tp_dealloc`, Rust
    `drop_in_place`, C++ `_M_dispose`), then the memory is freed. The read is what makes
    a payload written by another thread without ordering a stale read (a use after free
    in the axiomatic models, a data race under RC11)."""
    return [
        Load(None, obj.payload, Order.NA, origin=origin),
        Free(obj.name, origin=origin),
    ]


def free_when_zero(obj: ObjectInfo, value: Expr, x: Expansion, origin: str) -> list[Instr]:
    """CPython's `if (--op->ob_refcnt == 0) _Py_Dealloc(op)`: free when the count this
    thread computed (`value`, in a register) is zero."""
    skip = x.label("keep")
    return [
        Branch(BinOp("!=", value, Const(0)), skip, origin=origin),
        *dealloc(obj, origin),
        Label(skip),
    ]


def apply_scheme(program: Program, scheme: Scheme) -> Program:
    """Expand `Incref`/`Decref` with `scheme`; re-lay object fields; keep branch targets."""
    if program.scheme is not None and program.is_expanded and not _has_ops(program):
        return replace(program, scheme=scheme.name)
    nthreads = len(program.threads)
    locations = dict(program.locations)
    objects: dict[str, ObjectInfo] = {}
    memory = {name: obj for name, obj in program.objects.items() if not obj.attrs.get("refcounted", 1)}
    for name, obj in program.objects.items():
        if name in memory:
            continue  # a C program's malloc block: freed by free(), no count to lay out
        for loc in (obj.refcnt,):
            locations.pop(loc, None)
        count_fields = scheme.layout(obj, nthreads)
        locations.update(count_fields)
        others = tuple(f for f in obj.fields if f != obj.refcnt)
        objects[name] = replace(
            obj,
            fields=tuple(count_fields) + others,
            count=scheme.count(obj, nthreads),
            invariants=scheme.object_invariants(obj),
        )
    locations.update(scheme.globals(program))
    threads = []
    for t in program.threads:
        budget.check(f"expanding the {scheme.name} scheme")
        threads.append(Thread(t.tid, _expand_thread(t, objects, scheme, Expansion(t.tid, nthreads)), t.name))
    for t in threads:
        for instr in t.code:
            if isinstance(instr, (Lock, Unlock)):
                locations.setdefault(instr.lock, 0)
    return replace(
        program, locations=locations, objects={**objects, **memory}, threads=tuple(threads), scheme=scheme.name
    )


def _has_ops(program: Program) -> bool:
    return any(isinstance(i, (Incref, Decref, Gil)) for t in program.threads for i in t.code)


def _expand_thread(thread: Thread, objects: dict[str, ObjectInfo], scheme: Scheme, x: Expansion) -> tuple[Instr, ...]:
    out: list[Instr] = []
    for index, instr in enumerate(thread.code):
        out.append(Label(f"@{index}"))
        if isinstance(instr, Branch) and isinstance(instr.target, int):
            instr = replace(instr, target=f"@{instr.target}")
        if isinstance(instr, Incref):
            obj = objects[instr.obj]
            out.append(ObjOp("incref", obj.name, +1))
            out.extend(_tag(scheme.incref(obj, x), instr.origin or f"incref {obj.name}"))
        elif isinstance(instr, Decref):
            obj = objects[instr.obj]
            out.append(ObjOp("decref", obj.name, -1))
            out.extend(_tag(scheme.decref(obj, x), instr.origin or f"decref {obj.name}"))
        elif isinstance(instr, Gil):
            x.holds_gil = instr.acquire
            out.extend(_tag(scheme.gil(instr.acquire, x), instr.origin))
        else:
            out.append(instr)
    out.append(Label(f"@{len(thread.code)}"))
    out.extend(_tag(scheme.thread_exit(objects, x), "thread exit"))
    return link(out)


def _tag(code: Iterable[Instr], origin: str) -> list[Instr]:
    """Mark every expanded instruction with the operation it implements (for traces)."""
    return [
        i if isinstance(i, (Label, ObjOp)) or getattr(i, "origin", None) else replace(i, origin=origin) for i in code
    ]
