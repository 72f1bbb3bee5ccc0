"""The axiomatic and operational engines compute SC, x86-TSO and PSO independently
(execution graphs and acyclicity axioms versus store-buffer machines); on every program
both can run, they must reach exactly the same final states. Hand-written programs cover
each drain rule of the operational models; Hypothesis adds random small programs
(`tests/axiomatic_programs.py`, also run longer by `benchmarks/bench_axiomatic.py`)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from axiomatic_programs import programs
from incref.checker import check
from incref.ir.program import (
    BinOp,
    Const,
    Fence,
    Load,
    Lock,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    Unlock,
    reg_key,
)

MODELS = ("sc", "tso", "pso")


def _program(name, *threads):
    observed = ["x", "y"] + [
        reg_key(t, i.reg) for t, code in enumerate(threads) for i in code if getattr(i, "reg", None)
    ]
    return Program(
        name,
        {"x": 0, "y": 0, "m": 0},
        tuple(Thread(t, tuple(c)) for t, c in enumerate(threads)),
        observed=tuple(dict.fromkeys(observed)),
    )


def _same_states(program):
    for model in MODELS:
        axiomatic = check(program, model, engine="axiomatic")
        operational = check(program, model, engine="operational")
        assert axiomatic.stats.complete and operational.stats.complete
        assert axiomatic.states() == operational.states(), (
            f"{program.name} under {model}: axiomatic only {axiomatic.states() - operational.states()}, "
            f"operational only {operational.states() - axiomatic.states()}"
        )


inc = [Load("r0", "x"), Store("x", BinOp("+", Reg("r0"), Const(1)))]
HAND_WRITTEN = [
    _program("SB", [Store("x", Const(1)), Load("r0", "y")], [Store("y", Const(1)), Load("r0", "x")]),
    _program(
        "SB+mfence",
        [Store("x", Const(1)), Fence(Order.SC, "mfence"), Load("r0", "y")],
        [Store("y", Const(1)), Load("r0", "x")],
    ),
    _program(
        "SB+acq-fence",
        [Store("x", Const(1)), Fence(Order.ACQ), Load("r0", "y")],
        [Store("y", Const(1)), Fence(Order.ACQ), Load("r0", "x")],
    ),
    _program("MP+rel", [Store("x", Const(1)), Store("y", Const(1), Order.REL)], [Load("r0", "y"), Load("r1", "x")]),
    _program("2+2W", [Store("x", Const(1)), Store("y", Const(2))], [Store("y", Const(1)), Store("x", Const(2))]),
    _program(
        "forwarding",
        [Store("x", Const(1)), Load("r0", "x"), Load("r1", "y")],
        [Store("y", Const(1)), Load("r0", "y"), Load("r1", "x")],
    ),
    _program(
        "locked-inc",
        [Rmw("r0", "x", "add", Const(1)), Load("r1", "y")],
        [Store("y", Const(1)), Rmw("r0", "x", "add", Const(1)), Load("r1", "x")],
    ),
    _program(
        "lock", [Lock("m"), *inc, Unlock("m"), Load("r1", "y")], [Store("y", Const(1)), Lock("m"), *inc, Unlock("m")]
    ),
    _program("3xINC", inc, inc, inc),
    _program(
        "rel-store-drains",
        [Store("x", Const(1)), Store("y", Const(1), Order.REL), Load("r0", "y")],
        [Store("y", Const(2)), Load("r0", "x")],
    ),
]


@pytest.mark.parametrize("program", HAND_WRITTEN, ids=[p.name for p in HAND_WRITTEN])
def test_engines_agree_on_hand_written_programs(program):
    _same_states(program)


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(programs())
def test_engines_agree_on_random_programs(program):
    _same_states(program)
