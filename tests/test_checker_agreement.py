"""Property: where the operational and the axiomatic engine cover the same model (sc,
tso, pso) they find the same final states and the same violation kinds on random small
programs (DESIGN.md: "that agreement is itself a test"). Store buffers (Sewell et al.,
CACM 2010) and execution graphs (Alglave, Maranget, Tautschnig, TOPLAS 2014) are two
definitions of one model; a disagreement is a bug in one of them."""

from hypothesis import given, settings
from hypothesis import strategies as st

from checker_scenarios import programs
from incref.checker import check


@settings(max_examples=20, deadline=None)
@given(programs(), st.sampled_from(["sc", "tso", "pso"]))
def test_operational_and_axiomatic_engines_agree_on_random_programs(program, model):
    operational = check(program, model)
    axiomatic = check(program, model, engine="axiomatic")
    assert operational.states() == axiomatic.states()
    assert operational.violation_kinds() == axiomatic.violation_kinds()
