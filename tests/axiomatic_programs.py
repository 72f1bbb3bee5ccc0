"""Small random programs for cross-validating the axiomatic engine against the
operational one (a Hypothesis strategy), shared by `tests/test_axiomatic_crossval.py` and
`benchmarks/bench_axiomatic.py` (which runs it longer)."""

from __future__ import annotations

from hypothesis import strategies as st

from incref.ir.program import (
    BinOp,
    Cas,
    Const,
    Fence,
    Load,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    reg_key,
)

LOCATIONS = ("x", "y")
STORE_ORDERS = (Order.NA, Order.RLX, Order.REL, Order.SC)
LOAD_ORDERS = (Order.NA, Order.RLX, Order.ACQ, Order.SC)
RMW_ORDERS = (Order.RLX, Order.ACQ, Order.REL, Order.ACQ_REL, Order.SC)
FENCES = (Fence(Order.SC), Fence(Order.SC, "mfence"), Fence(Order.ACQ), Fence(Order.REL))


@st.composite
def instruction(draw, reg: str):
    kind = draw(st.sampled_from(("load", "store", "store-reg", "rmw", "cas", "fence")))
    loc = draw(st.sampled_from(LOCATIONS))
    if kind == "load":
        return Load(reg, loc, draw(st.sampled_from(LOAD_ORDERS)))
    if kind == "store":
        return Store(loc, Const(draw(st.integers(1, 2))), draw(st.sampled_from(STORE_ORDERS)))
    if kind == "store-reg":  # a data dependency on the thread's first register
        return Store(loc, BinOp("+", Reg("r0"), Const(1)), draw(st.sampled_from(STORE_ORDERS)))
    if kind == "rmw":
        op = draw(st.sampled_from(("add", "xchg")))
        return Rmw(reg, loc, op, Const(1 if op == "add" else 2), draw(st.sampled_from(RMW_ORDERS)))
    if kind == "cas":
        return Cas(reg, loc, Const(0), Const(2), draw(st.sampled_from(RMW_ORDERS)), Order.RLX)
    return draw(st.sampled_from(FENCES))


@st.composite
def programs(draw, max_threads: int = 3, max_instrs: int = 3) -> Program:
    """2..max_threads threads of 1..max_instrs instructions over two locations; every
    register and location is observed, so final states are compared in full."""
    nthreads = draw(st.integers(2, max_threads))
    threads = []
    observed = list(LOCATIONS)
    for tid in range(nthreads):
        size = draw(st.integers(1, max_instrs))
        code = tuple(draw(instruction(f"r{i}")) for i in range(size))
        threads.append(Thread(tid, code))
        regs = sorted({i.reg for i in code if getattr(i, "reg", None)})
        observed += [reg_key(tid, r) for r in regs]
    return Program("random", {loc: 0 for loc in LOCATIONS}, tuple(threads), observed=tuple(observed))
