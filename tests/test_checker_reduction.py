"""Property: on random small programs the partial-order reduction changes neither the
set of final states, nor the violations found, nor the length of the shortest trace of
each (Godefroid 1996, ch. 6: persistent sets preserve every deadlock, i.e. every final
state, through an equivalent execution of the same length)."""

from hypothesis import given, settings, strategies as st

from incref.checker import check
from incref.ir.program import (
    BinOp, Const, Fence, Free, Load, Lock, ObjOp, Order, Program, Reg, Rmw, Store, Thread, Unlock,
    default_object,
)

LOCS = ("x", "y", "obj.refcnt", "obj.payload")

instr = st.one_of(
    st.builds(lambda loc: Load("r0", loc), st.sampled_from(LOCS)),
    st.builds(lambda loc, v: Store(loc, BinOp("+", Reg("r0"), Const(v))), st.sampled_from(LOCS), st.integers(0, 2)),
    st.builds(lambda loc, order: Store(loc, Const(1), order), st.sampled_from(LOCS), st.sampled_from([Order.RLX, Order.REL])),
    st.builds(lambda loc: Rmw("r1", loc, "add", Const(1)), st.sampled_from(LOCS)),
    st.just(Fence(Order.SC, "mfence")),
    st.just(Fence(Order.REL)),
    st.just(Free("obj")),
    st.just(ObjOp("decref", "obj", -1)),
)
critical = st.lists(instr, min_size=1, max_size=2).map(lambda body: [Lock("m"), *body, Unlock("m")])
thread_code = st.lists(st.one_of(instr.map(lambda i: [i]), critical), min_size=1, max_size=3).map(
    lambda parts: tuple(i for part in parts for i in part))


@st.composite
def programs(draw):
    info, locs = default_object("obj", 1)
    codes = draw(st.lists(thread_code, min_size=2, max_size=3))
    return Program("random", {**locs, "x": 0, "y": 0, "m": 0},
                   tuple(Thread(i, c) for i, c in enumerate(codes)), {"obj": info}, scheme="plain")


@settings(max_examples=60, deadline=None)
@given(programs(), st.sampled_from(["sc", "tso", "pso"]))
def test_reduction_preserves_states_violations_and_shortest_traces(program, model):
    on = check(program, model)
    off = check(program, model, reduction=False)
    assert on.states() == off.states()
    assert {v.kind: len(v.trace) for v in on.violations} == {v.kind: len(v.trace) for v in off.violations}
    assert on.stats.executions <= off.stats.executions
