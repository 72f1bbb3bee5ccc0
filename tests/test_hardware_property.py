"""Property: for random small two-thread programs of loads, stores, fences and atomic
read-modify-writes, every outcome real cores produce is one x86-TSO allows. A failure
means the generated C does not do what the IR says (a reordering the compiler was
allowed, a lost fence, a wrong order) — or a bug in the model."""

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from conftest import programs
from hardware_support import needs_cc_on_x86
from incref.compose import Options, escapes, hardware_column, model_column


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
