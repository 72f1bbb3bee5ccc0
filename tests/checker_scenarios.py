"""Scenario-level programs built directly from the IR, for the checker tests and the
checker benchmark: the same stories as the bundled examples (incref-race,
incref-decref, sb, mp), so the checker can be tested without the scenario parser."""

from __future__ import annotations

from incref.ir.program import (
    BinOp, Condition, Const, Decref, Fence, Incref, Load, Order, Program, Store, Thread, Var,
    default_object, use_code,
)
from incref.schemes import apply_scheme, get


def incref_race(threads: int = 2, ops: int = 1, scheme: str = "plain") -> Program:
    """`threads` threads each incref `obj` (count 1) `ops` times."""
    info, locs = default_object("obj", 1)
    code = tuple(Incref("obj") for _ in range(ops))
    prog = Program("incref-race", locs, tuple(Thread(t, code) for t in range(threads)), {"obj": info})
    return apply_scheme(prog, get(scheme))


def two_objects(threads_per_object: int = 2, ops: int = 1, scheme: str = "atomic") -> Program:
    """Objects `a` and `b`, each incref'd by its own group of threads: the threads of one
    group never touch the other object, so a partial-order reduction has work to save."""
    ia, la = default_object("a", 1)
    ib, lb = default_object("b", 1)
    threads = []
    for obj in ("a", "b"):
        for _ in range(threads_per_object):
            threads.append(Thread(len(threads), tuple(Incref(obj) for _ in range(ops))))
    return apply_scheme(Program("two-objects", {**la, **lb}, tuple(threads), {"a": ia, "b": ib}), get(scheme))


def incref_decref(scheme: str = "plain") -> Program:
    """Two owners of `obj` (count 2): thread 0 takes a temporary reference, uses the
    object, drops it, then drops its own; thread 1 drops its own."""
    info, locs = default_object("obj", 2)
    t0 = (Incref("obj"), *use_code("obj", "r0"), Decref("obj"), Decref("obj"))
    t1 = (Decref("obj"),)
    prog = Program("incref-decref", locs, (Thread(0, t0), Thread(1, t1)), {"obj": info})
    return apply_scheme(prog, get(scheme))


def _cond(text_prop):
    return Condition("exists", text_prop)


def sb(fence: bool = False) -> Program:
    """Store buffering: x = 1; r0 = y || y = 1; r0 = x; exists (0:r0 = 0 /\\ 1:r0 = 0)."""
    def thread(tid, mine, other):
        body = [Store(mine, Const(1), Order.NA)]
        if fence:
            body.append(Fence(Order.SC, "mfence"))
        body.append(Load("r0", other, Order.NA))
        return Thread(tid, tuple(body))
    prop = BinOp("&&", BinOp("==", Var("0:r0"), Const(0)), BinOp("==", Var("1:r0"), Const(0)))
    return Program("sb", {"x": 0, "y": 0}, (thread(0, "x", "y"), thread(1, "y", "x")),
                   condition=_cond(prop), scheme="plain")


def mp(fence: bool = False) -> Program:
    """Message passing: x = 1; y = 1 || r0 = y; r1 = x; exists (1:r0 = 1 /\\ 1:r1 = 0)."""
    writer = [Store("x", Const(1))]
    if fence:
        writer.append(Fence(Order.SC, "mfence"))
    writer.append(Store("y", Const(1)))
    reader = (Load("r0", "y"), Load("r1", "x"))
    prop = BinOp("&&", BinOp("==", Var("1:r0"), Const(1)), BinOp("==", Var("1:r1"), Const(0)))
    return Program("mp", {"x": 0, "y": 0}, (Thread(0, tuple(writer)), Thread(1, reader)),
                   condition=_cond(prop), scheme="plain")
