"""Scenario-level programs built directly from the IR, for the checker tests and the
checker benchmark: the same stories as the bundled examples (incref-race,
incref-decref, sb, mp), so the checker can be tested without the scenario parser."""

from __future__ import annotations

from hypothesis import strategies as st

from incref.ir.program import (
    BinOp,
    Condition,
    Const,
    Decref,
    Fence,
    Free,
    Incref,
    Load,
    Lock,
    ObjOp,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    Unlock,
    Var,
    default_object,
    use_code,
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
    return Program(
        "sb", {"x": 0, "y": 0}, (thread(0, "x", "y"), thread(1, "y", "x")), condition=_cond(prop), scheme="plain"
    )


def mp(fence: bool = False) -> Program:
    """Message passing: x = 1; y = 1 || r0 = y; r1 = x; exists (1:r0 = 1 /\\ 1:r1 = 0)."""
    writer = [Store("x", Const(1))]
    if fence:
        writer.append(Fence(Order.SC, "mfence"))
    writer.append(Store("y", Const(1)))
    reader = (Load("r0", "y"), Load("r1", "x"))
    prop = BinOp("&&", BinOp("==", Var("1:r0"), Const(1)), BinOp("==", Var("1:r1"), Const(0)))
    return Program(
        "mp", {"x": 0, "y": 0}, (Thread(0, tuple(writer)), Thread(1, reader)), condition=_cond(prop), scheme="plain"
    )


# Random small programs for property tests: two or three threads of loads, stores
# (relaxed and release), fetch-adds, fences, frees and critical sections over two plain
# locations and one object's fields.

LOCS = ("x", "y", "obj.refcnt", "obj.payload")

instr = st.one_of(
    st.builds(lambda loc: Load("r0", loc), st.sampled_from(LOCS)),
    st.builds(lambda loc, v: Store(loc, BinOp("+", Reg("r0"), Const(v))), st.sampled_from(LOCS), st.integers(0, 2)),
    st.builds(
        lambda loc, order: Store(loc, Const(1), order), st.sampled_from(LOCS), st.sampled_from([Order.RLX, Order.REL])
    ),
    st.builds(lambda loc: Rmw("r1", loc, "add", Const(1)), st.sampled_from(LOCS)),
    st.just(Fence(Order.SC, "mfence")),
    st.just(Fence(Order.REL)),
    st.just(Free("obj")),
    st.just(ObjOp("decref", "obj", -1)),
)
critical = st.lists(instr, min_size=1, max_size=2).map(lambda body: [Lock("m"), *body, Unlock("m")])
thread_code = st.lists(st.one_of(instr.map(lambda i: [i]), critical), min_size=1, max_size=3).map(
    lambda parts: tuple(i for part in parts for i in part)
)


@st.composite
def programs(draw):
    info, locs = default_object("obj", 1)
    codes = draw(st.lists(thread_code, min_size=2, max_size=3))
    return Program(
        "random",
        {**locs, "x": 0, "y": 0, "m": 0},
        tuple(Thread(i, c) for i, c in enumerate(codes)),
        {"obj": info},
        scheme="plain",
    )
