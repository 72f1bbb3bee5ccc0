"""Property: for random small two-thread programs of loads, stores, fences and atomic
read-modify-writes, every outcome real cores produce is one x86-TSO allows. A failure
means the generated C does not do what the IR says (a reordering the compiler was
allowed, a lost fence, a wrong order) — or a bug in the model."""

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hardware_support import needs_cc_on_x86
from incref.compose import Options, escapes, hardware_column, model_column
from incref.ir.program import Const, Fence, Load, Order, Program, Rmw, Store, Thread

LOCS = ("x", "y")


def instruction(tid: int, k: int):
    reg = f"r{k}"
    return st.one_of(
        st.builds(
            lambda loc, order: Load(reg, loc, order),
            st.sampled_from(LOCS),
            st.sampled_from([Order.NA, Order.ACQ, Order.SC]),
        ),
        st.builds(
            lambda loc, order: Store(loc, Const(tid + 1), order),
            st.sampled_from(LOCS),
            st.sampled_from([Order.NA, Order.REL, Order.SC]),
        ),
        st.builds(lambda loc: Rmw(reg, loc, "add", Const(1), Order.SC), st.sampled_from(LOCS)),
        st.just(Fence(Order.SC, "mfence")),
    )


@st.composite
def programs(draw):
    threads = []
    for tid in range(2):
        n = draw(st.integers(1, 3))
        threads.append(Thread(tid, tuple(draw(instruction(tid, k)) for k in range(n))))
    regs = tuple(f"{t.tid}:r{k}" for t in threads for k, i in enumerate(t.code) if isinstance(i, (Load, Rmw)))
    return Program("random", {loc: 0 for loc in LOCS}, tuple(threads), observed=LOCS + regs)


@pytest.mark.slow
@needs_cc_on_x86
# every example compiles a library, so: few examples, and no shrinking (the falsifying
# program is printed as generated)
@settings(
    max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow]
)
@given(programs())
def test_random_programs_on_hardware_stay_within_tso(program):
    options = Options("tso", 2_000)
    model = model_column(program, options)
    assert model.complete
    hardware = hardware_column(program, options)
    assert escapes({"model": model, "hardware": hardware}) == []
