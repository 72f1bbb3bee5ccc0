"""Pointer values: every location may have an integer address, and an access with
`loc=ADDRESSED` dereferences its index. `Program.location_at` resolves it for every engine,
so each must reach the same final states (the C front end's `*p`)."""

import pytest

from incref.checker import check
from incref.errors import InputError, Unsupported
from incref.hardware import codegen
from incref.ir.program import ADDRESSED, Assume, BinOp, Const, Load, Order, Program, Reg, Rmw, Store, Thread
from incref.simulator.exhaustive import simulate
from incref.simulator.machine import Config
from incref.simulator.protocols import load


def _through_pointer(target: int) -> Program:
    """P0: p = &target; *(&target) += 1. P1: waits for p, then reads through it."""
    return Program(
        "ptr",
        {"x": 0, "y": 0, "p": 0},
        (
            Thread(
                0, (Store("p", Const(target), Order.REL), Rmw(None, ADDRESSED, "add", Const(1), index=Const(target)))
            ),
            Thread(
                1,
                (
                    Load("q", "p", Order.ACQ),
                    Assume(BinOp("!=", Reg("q"), Const(0))),
                    Load("r", ADDRESSED, Order.RLX, index=Reg("q")),
                ),
            ),
        ),
        observed=("x", "y", "1:r"),
        addresses={"x": 1, "y": 2, "p": 3},
    )


def test_location_at_resolves_an_address_and_nothing_else():
    program = _through_pointer(2)
    assert program.location_at(ADDRESSED, 2) == "y"
    assert program.location_at(ADDRESSED, 0) is None
    assert "null or dangling" in program.no_location(ADDRESSED, 0)
    assert program.may_touch(ADDRESSED, True) == {"x", "y", "p"}


@pytest.mark.parametrize("model", ["sc", "tso", "pso", "armv8", "rc11"])
def test_every_checker_model_writes_through_the_pointer(model):
    result = check(_through_pointer(2), model)
    assert result.verdict == "safe"
    assert {(o.state["x"], o.state["y"], o.state["1:r"]) for o in result.outcomes} == {(0, 1, 0), (0, 1, 1)}


def test_the_axiomatic_engine_agrees_with_the_operational_one():
    program = _through_pointer(1)
    operational = check(program, "sc").states()
    assert operational == check(program, "sc", engine="axiomatic").states()
    assert {dict(s)["x"] for s in operational} == {1}


def test_the_simulator_reaches_the_same_states():
    program = _through_pointer(2)
    assert simulate(program, Config(load("mesi", "bus"), store_buffers=True)).states() == check(program, "tso").states()


def test_a_dangling_pointer_is_reported_not_guessed():
    with pytest.raises(InputError, match="address 7"):
        check(_through_pointer(7), "sc")
    with pytest.raises(InputError, match="address 7"):
        check(_through_pointer(7), "rc11")


def test_the_hardware_back_end_refuses_a_computed_address():
    with pytest.raises(Unsupported, match="computed addresses"):
        codegen.plan(_through_pointer(2))
