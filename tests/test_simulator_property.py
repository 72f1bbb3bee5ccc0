"""Property: for random small two-thread programs of loads, stores, fences and locked
read-modify-writes, the coherent machine with store buffers has exactly x86-TSO's final
states, and without store buffers exactly SC's, on every protocol and interconnect — and
SWMR and the data-value invariant hold in every reachable state. A failure is a protocol
table bug, a machine bug, or a checker bug; the falsifying program is printed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import programs
from incref.checker import check
from incref.simulator.exhaustive import coherent, simulate
from incref.simulator.machine import Config
from incref.simulator.protocols import INTERCONNECTS, load, names


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.sampled_from(names()), st.sampled_from(INTERCONNECTS), st.booleans())
def test_random_programs_have_the_models_outcomes(program, proto, interconnect, store_buffers):
    result = simulate(program, Config(load(proto, interconnect), store_buffers=store_buffers))
    assert coherent(result), [v.message for v in result.violations]
    assert result.stats.complete
    assert result.states() == check(program, "tso" if store_buffers else "sc").states()
