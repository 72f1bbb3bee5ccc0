"""One rule for every engine: after an incomplete search a condition is decided only by an
execution the search found (an `exists` witnessed, a `~exists` or `forall` refuted), and a
verdict of `safe` needs a complete search. The operational checker, the axiomatic engine
and the cache simulator all build their results with `incref.ir.results.result_of`."""

from __future__ import annotations

from pathlib import Path

import pytest

import incref
from incref.checker import check
from incref.frontends import load_program
from incref.ir.program import BinOp, Condition, Const, Var
from incref.ir.results import Outcome, condition_verdict
from incref.schemes import apply_scheme, get
from incref.simulator.exhaustive import simulate
from incref.simulator.machine import Config
from incref.simulator.protocols import load

SB = str(Path(incref.__file__).parent / "catalogue" / "aarch64" / "SB.litmus")


def _condition(quantifier: str) -> Condition:
    return Condition(quantifier, BinOp("==", Var("x"), Const(1)))


@pytest.mark.parametrize(
    ("quantifier", "seen", "complete", "verdict"),
    [
        # a complete search decides every condition from the states it saw
        ("exists", [0], True, False),
        ("~exists", [0], True, True),
        ("forall", [1], True, True),
        # an incomplete one only what a found execution proves ...
        ("exists", [0, 1], False, True),
        ("~exists", [1], False, False),
        ("forall", [0], False, False),
        # ... and nothing the unseen executions could overturn
        ("exists", [0], False, None),
        ("~exists", [0], False, None),
        ("forall", [1], False, None),
        ("forall", [], False, None),
    ],
)
def test_condition_verdict(quantifier, seen, complete, verdict):
    outcomes = [Outcome({"x": x}, 1) for x in seen]
    assert condition_verdict(_condition(quantifier), outcomes, complete) is verdict


def test_the_axiomatic_engine_leaves_the_condition_undecided_when_its_budget_runs_out():
    # SB's `exists` is witnessed on armv8, but three partial graphs show no final state
    result = check(load_program(SB), "armv8", max_states=3)
    assert result.verdict == "incomplete" and result.condition_holds is None
    assert check(load_program(SB), "armv8").condition_holds is True


def test_the_axiomatic_engine_is_not_safe_after_a_timeout():
    program = apply_scheme(load_program("incref-race", {"threads": 5, "ops": 3}), get("plain"))
    result = check(program, "armv8", timeout=0.2)
    assert result.verdict == "incomplete" and result.exit_code == 3
    assert result.condition_holds is None and not result.stats.complete


def test_the_operational_checker_leaves_the_condition_undecided_when_its_budget_runs_out():
    result = check(load_program(SB), "tso", engine="operational", max_states=3)
    assert result.verdict == "incomplete" and result.condition_holds is None


def test_the_simulator_leaves_the_condition_undecided_when_its_budget_runs_out():
    program = apply_scheme(load_program("sb"), get("plain"))
    result = simulate(program, Config(load("mesi", "bus")), max_states=3)
    assert result.verdict == "incomplete" and result.condition_holds is None
    assert simulate(program, Config(load("mesi", "bus"))).condition_holds is not None
