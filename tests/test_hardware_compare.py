"""hardware ⊆ model: every outcome this machine shows for a bundled example or an X86
test of our catalogue is one the model of this machine (x86-TSO) allows — and `compare`
says so loudly when it is not (here provoked by asking for SC, which forbids SB's (0, 0))."""

import json
import sys
from pathlib import Path

import pytest

import incref
from hardware_support import needs_cc_on_x86
from incref import examples
from incref.compose import Column, Options, escapes, hardware_column, model_column, prepare
from incref.errors import Unsupported
from incref.hardware import codegen
from incref.ir.results import Outcome
from incref.schemes import names as scheme_names

CATALOGUE = Path(incref.__file__).parent / "catalogue" / "x86"
SPECS = examples.names() + sorted(str(p) for p in CATALOGUE.glob("*.litmus"))


@needs_cc_on_x86
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: Path(s).stem)
def test_hardware_outcomes_are_allowed_by_tso(spec):
    program = prepare(spec, "plain")
    try:
        codegen.check_expressible(program)
    except Unsupported as exc:
        pytest.skip(f"not expressible on this machine: {exc}")
    options = Options("tso", 300 if len(program.threads) > 2 else 1_000)
    model = model_column(program, options)
    if not model.complete:
        pytest.skip("the model checker did not finish")
    hardware = hardware_column(program, options)
    assert (
        hardware.detail["iterations"] + hardware.detail["blocked"] + hardware.detail["filtered"] == options.iterations
    )
    assert escapes({"model": model, "hardware": hardware}) == []


def column(engine, states, complete=True, exhaustive=True):
    return Column(engine, [Outcome({"r": s}, 1) for s in states], complete, exhaustive)


def test_only_a_complete_exhaustive_engine_can_forbid():
    hardware = column("hardware", [0, 1, 2], exhaustive=False)
    found = escapes({"model": column("model (tso)", [0, 1]), "hardware": hardware})
    assert [e.outcome.state for e in found] == [{"r": 2}]
    assert "forbids" in found[0].message() and "1 times" in found[0].message()
    assert escapes({"model": column("model (tso)", [0], complete=False), "hardware": hardware}) == []


@needs_cc_on_x86
def test_compare_is_loud_when_hardware_shows_what_the_model_forbids(capsys, monkeypatch):
    from incref.cli import main

    monkeypatch.setattr(sys, "argv", ["incref", "compare", "sb", "--model", "sc", "--iterations", "30000", "--json"])
    with pytest.raises(SystemExit) as exit_:
        main()
    doc = json.loads(capsys.readouterr().out)
    assert exit_.value.code == 1 and doc["verdict"] == "violation"
    # the store-buffering outcome escapes the model and the simulator (whose cores are SC under --model sc)
    assert {tuple(sorted(v["state"].items())) for v in doc["violations"]} == {
        (("0:r0", 0), ("1:r0", 0), ("x", 1), ("y", 1))
    }
    assert {v["outside"] for v in doc["violations"]} == {"model (sc)", "simulator (mesi bus)"}
    assert doc["violations"][0]["count"] > 0
    monkeypatch.setattr(sys, "argv", ["incref", "compare", "sb", "--iterations", "2000"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0, capsys.readouterr().err


@needs_cc_on_x86
@pytest.mark.parametrize("scheme", scheme_names())
def test_every_scheme_on_hardware_stays_within_tso_and_never_blocks(scheme):
    """incref-decref frees the object; CAS retry loops and test-and-set locks are folded
    into assumes in the IR, and the hardware re-runs them instead of dropping the run."""
    program = prepare("incref-decref", scheme)
    options = Options("tso", 500)
    model = model_column(program, options)
    hardware = hardware_column(program, options)
    assert model.complete
    assert escapes({"model": model, "hardware": hardware}) == []
    assert hardware.detail["blocked"] == 0 and hardware.detail["iterations"] == 500
