"""Object invariants in the axiomatic engine (GenMC-style: a free that does not come
after an access in the model's order is a use after free), honest verdicts, and the
witness execution graph."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from incref.checker.axiomatic import check
from incref.frontends import load_program
from incref.ir.program import (
    Assert,
    BinOp,
    Condition,
    Const,
    Free,
    Load,
    LoopBound,
    ObjOp,
    Order,
    Program,
    Reg,
    Store,
    Thread,
    Var,
    default_object,
)
from incref.reports import graph
from incref.schemes import apply_scheme, get


def expanded(example: str, scheme: str) -> Program:
    return apply_scheme(load_program(example), get(scheme))


def test_plain_incref_decref_under_rc11_races_and_uses_after_free():
    result = check(expanded("incref-decref", "plain"), "rc11")
    kinds = result.violation_kinds()
    assert "data-race" in kinds and "use-after-free" in kinds
    assert "double-free" not in kinds
    race = next(v for v in result.violations if v.kind == "data-race")
    assert race.trace and all(step.thread in (0, 1) for step in race.trace)


def test_cli_reports_the_race_and_the_use_after_free():
    incref = Path(sys.executable).with_name("incref")
    out = subprocess.run(
        [str(incref), "check", "incref-decref", "--scheme", "plain", "--model", "rc11", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads(out.stdout)
    kinds = {v["kind"] for v in doc["violations"]}
    assert {"data-race", "use-after-free"} <= kinds
    assert out.returncode == 1


@pytest.mark.parametrize("model", ["rc11", "armv8", "tso"])
def test_atomic_counts_are_safe(model):
    result = check(expanded("incref-decref", "atomic"), model)
    assert result.verdict == "safe", result.violations


def test_relaxed_decrement_frees_too_early_on_armv8_but_not_on_tso():
    program = expanded("incref-decref", "arc-relaxed")
    assert "use-after-free" in check(program, "armv8").violation_kinds()
    assert "use-after-free" not in check(program, "tso").violation_kinds()


def _object_program(threads, **extra) -> Program:
    info, locs = default_object("obj", 1)
    return Program(
        "objects",
        locs,
        tuple(Thread(i, tuple(c)) for i, c in enumerate(threads)),
        objects={"obj": info},
        scheme="test",
        **extra,
    )


def test_two_frees_are_a_double_free():
    free = [ObjOp("free", "obj"), Free("obj")]
    assert "double-free" in check(_object_program([free, free]), "sc").violation_kinds()


def test_failed_assertion_and_refuted_condition():
    program = _object_program(
        [[Load("r0", "obj.payload"), Assert(BinOp("==", Reg("r0"), Const(1)), "payload is 1")]],
        condition=Condition("forall", BinOp("==", Var("obj.payload"), Const(1))),
    )
    kinds = check(program, "sc").violation_kinds()
    assert "assertion" in kinds and "condition" in kinds


def test_loop_bound_makes_the_verdict_incomplete():
    program = _object_program([[Store("obj.payload", Const(1), Order.RLX), LoopBound("spin")]])
    result = check(program, "sc")
    assert result.verdict == "incomplete" and "spin" in result.incomplete_reason


def test_state_budget_makes_the_verdict_incomplete():
    result = check(expanded("incref-race", "plain"), "tso", max_states=3)
    assert not result.stats.complete and result.incomplete_reason


def test_witness_satisfies_the_condition_and_renders_as_text_and_dot():
    sb = Program(
        "SB",
        {"x": 0, "y": 0},
        (Thread(0, (Store("x", Const(1)), Load("r0", "y"))), Thread(1, (Store("y", Const(1)), Load("r0", "x")))),
        condition=Condition(
            "exists", BinOp("&&", BinOp("==", Var("0:r0"), Const(0)), BinOp("==", Var("1:r0"), Const(0)))
        ),
    )
    result = check(sb, "tso")
    assert result.witness.satisfies and result.witness.state["0:r0"] == 0
    text = graph.render_text(sb, result.witness)
    assert "fr:" in text and "P1" in text
    dot = graph.render_dot(sb, result.witness)
    assert dot.startswith("digraph") and "fr" in dot and dot.count("{") == dot.count("}")
    # under SC no execution satisfies it: the witness then refutes the condition
    assert not check(sb, "sc").witness.satisfies
