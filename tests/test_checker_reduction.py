"""Property: on random small programs the partial-order reduction changes neither the
set of final states, nor the violations found, nor the length of the shortest trace of
each (Godefroid 1996, ch. 6: persistent sets preserve every deadlock, i.e. every final
state, through an equivalent execution of the same length)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from checker_scenarios import programs
from incref.checker import check


@settings(max_examples=60, deadline=None)
@given(programs(), st.sampled_from(["sc", "tso", "pso"]))
def test_reduction_preserves_states_violations_and_shortest_traces(program, model):
    on = check(program, model)
    off = check(program, model, reduction=False)
    assert on.states() == off.states()
    assert {v.kind: len(v.trace) for v in on.violations} == {v.kind: len(v.trace) for v in off.violations}
    assert on.stats.executions <= off.stats.executions
