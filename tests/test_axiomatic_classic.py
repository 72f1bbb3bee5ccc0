"""Classic litmus tests, built as IR, against their published verdicts under every
axiomatic model.

Sources of the verdicts: SB, MP, LB, IRIW, 2+2W and the coherence shapes under SC and
x86-TSO -- Owens, Sarkar, Sewell, TPHOLs 2009 (section 2) and Alglave et al., "Herding
cats", TOPLAS 2014 (section 8, table 4/5); PSO -- the SPARC v9 manual, appendix D (stores
to different locations reorder, loads do not); ARMv8 -- Pulte et al., POPL 2018
(sections 2-4: LB and IRIW allowed, dependencies and barriers forbid them, the model is
multi-copy atomic); RC11 -- Lahav et al., PLDI 2017 (section 3: LB forbidden by
no-thin-air, SB+SC fences forbidden, release/acquire message passing); C11 -- Batty et
al., POPL 2016 (load buffering allowed).
"""

from __future__ import annotations

import pytest

from incref.checker.axiomatic import check
from incref.ir.program import (
    Assume,
    BinOp,
    Condition,
    Const,
    Fence,
    Load,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    Var,
    conj,
)

RLX, ACQ, REL, SC = Order.RLX, Order.ACQ, Order.REL, Order.SC
MODELS = ("sc", "tso", "pso", "armv8", "rc11", "c11")


def W(loc, value, order=RLX):
    return Store(loc, Const(value), order)


def R(reg, loc, order=RLX):
    return Load(reg, loc, order)


def Wdata(loc, reg, order=RLX):
    """Store 1 with a data dependency on `reg` (herd's `EOR W2,W0,W0; ADD W2,W2,#1`)."""
    return Store(loc, BinOp("+", BinOp("^", Reg(reg), Reg(reg)), Const(1)), order)


def Raddr(reg, loc, dep, order=RLX):
    """A load whose address depends on `dep` (index `dep ^ dep`, always 0)."""
    return Load(reg, loc, order, index=BinOp("^", Reg(dep), Reg(dep)))


def litmus(name, *threads, cond):
    return Program(name, {"x": 0, "y": 0}, tuple(Thread(i, tuple(t)) for i, t in enumerate(threads)), condition=cond)


def reg_exists(**state) -> Condition:
    """`exists` over final values: `p1_r0=1` is `1:r0 = 1`, `x=1` the location x."""
    eqs = [
        BinOp("==", Var(k[1:].replace("_", ":")), Const(v)) if k.startswith("p") else BinOp("==", Var(k), Const(v))
        for k, v in state.items()
    ]
    return Condition("exists", conj(*eqs))


CASES = {
    # name: (program, {model: allowed})
    "SB": (
        litmus("SB", [W("x", 1), R("r0", "y")], [W("y", 1), R("r0", "x")], cond=reg_exists(p0_r0=0, p1_r0=0)),
        dict(sc=False, tso=True, pso=True, armv8=True, rc11=True, c11=True),
    ),
    "SB+fences": (
        litmus(
            "SB+fences",
            [W("x", 1), Fence(SC), R("r0", "y")],
            [W("y", 1), Fence(SC), R("r0", "x")],
            cond=reg_exists(p0_r0=0, p1_r0=0),
        ),
        dict(sc=False, tso=False, pso=False, armv8=False, rc11=False, c11=False),
    ),
    "SB+scs": (
        litmus(
            "SB+scs",
            [W("x", 1, SC), R("r0", "y", SC)],
            [W("y", 1, SC), R("r0", "x", SC)],
            cond=reg_exists(p0_r0=0, p1_r0=0),
        ),
        dict(sc=False, armv8=False, rc11=False, c11=False),
    ),
    "MP": (
        litmus("MP", [W("x", 1), W("y", 1)], [R("r0", "y"), R("r1", "x")], cond=reg_exists(p1_r0=1, p1_r1=0)),
        dict(sc=False, tso=False, pso=True, armv8=True, rc11=True, c11=True),
    ),
    "MP+rel+acq": (
        litmus(
            "MP+rel+acq",
            [W("x", 1), W("y", 1, REL)],
            [R("r0", "y", ACQ), R("r1", "x")],
            cond=reg_exists(p1_r0=1, p1_r1=0),
        ),
        dict(sc=False, tso=False, pso=False, armv8=False, rc11=False, c11=False),
    ),
    "MP+dmb.st+addr": (
        litmus(
            "MP+dmb.st+addr",
            [W("x", 1), Fence(SC, "dmb.st"), W("y", 1)],
            [R("r0", "y"), Raddr("r1", "x", "r0")],
            cond=reg_exists(p1_r0=1, p1_r1=0),
        ),
        dict(armv8=False),
    ),
    "MP+dmb.st+po": (
        litmus(
            "MP+dmb.st+po",
            [W("x", 1), Fence(SC, "dmb.st"), W("y", 1)],
            [R("r0", "y"), R("r1", "x")],
            cond=reg_exists(p1_r0=1, p1_r1=0),
        ),
        dict(armv8=True),
    ),
    "LB": (
        litmus("LB", [R("r0", "x"), W("y", 1)], [R("r0", "y"), W("x", 1)], cond=reg_exists(p0_r0=1, p1_r0=1)),
        dict(sc=False, tso=False, pso=False, armv8=True, rc11=False, c11=True),
    ),
    "LB+datas": (
        litmus(
            "LB+datas",
            [R("r0", "x"), Wdata("y", "r0")],
            [R("r0", "y"), Wdata("x", "r0")],
            cond=reg_exists(p0_r0=1, p1_r0=1),
        ),
        dict(sc=False, tso=False, armv8=False, rc11=False),
    ),
    "IRIW": (
        litmus(
            "IRIW",
            [W("x", 1)],
            [R("r0", "x"), R("r1", "y")],
            [R("r0", "y"), R("r1", "x")],
            [W("y", 1)],
            cond=reg_exists(p1_r0=1, p1_r1=0, p2_r0=1, p2_r1=0),
        ),
        dict(sc=False, tso=False, pso=False, armv8=True, rc11=True, c11=True),
    ),
    "IRIW+addrs": (
        litmus(
            "IRIW+addrs",
            [W("x", 1)],
            [R("r0", "x"), Raddr("r1", "y", "r0")],
            [R("r0", "y"), Raddr("r1", "x", "r0")],
            [W("y", 1)],
            cond=reg_exists(p1_r0=1, p1_r1=0, p2_r0=1, p2_r1=0),
        ),
        dict(armv8=False),
    ),
    "IRIW+scs": (
        litmus(
            "IRIW+scs",
            [W("x", 1, SC)],
            [R("r0", "x", SC), R("r1", "y", SC)],
            [R("r0", "y", SC), R("r1", "x", SC)],
            [W("y", 1, SC)],
            cond=reg_exists(p1_r0=1, p1_r1=0, p2_r0=1, p2_r1=0),
        ),
        dict(sc=False, armv8=False, rc11=False, c11=False),
    ),
    "WRC": (
        litmus(
            "WRC",
            [W("x", 1)],
            [R("r0", "x"), W("y", 1)],
            [R("r0", "y"), R("r1", "x")],
            cond=reg_exists(p1_r0=1, p2_r0=1, p2_r1=0),
        ),
        dict(sc=False, tso=False, pso=False, armv8=True, rc11=True),
    ),
    "WRC+data+addr": (
        litmus(
            "WRC+data+addr",
            [W("x", 1)],
            [R("r0", "x"), Wdata("y", "r0")],
            [R("r0", "y"), Raddr("r1", "x", "r0")],
            cond=reg_exists(p1_r0=1, p2_r0=1, p2_r1=0),
        ),
        dict(armv8=False),
    ),
    "WRC+rel+acq": (
        litmus(
            "WRC+rel+acq",
            [W("x", 1)],
            [R("r0", "x"), W("y", 1, REL)],
            [R("r0", "y", ACQ), R("r1", "x")],
            cond=reg_exists(p1_r0=1, p2_r0=1, p2_r1=0),
        ),
        dict(armv8=False, rc11=False, c11=False),
    ),
    "2+2W": (
        litmus("2+2W", [W("x", 1), W("y", 2)], [W("y", 1), W("x", 2)], cond=reg_exists(x=1, y=1)),
        dict(sc=False, tso=False, pso=True, armv8=True, rc11=True, c11=True),
    ),
    "CoRR": (
        litmus("CoRR", [W("x", 1)], [R("r0", "x"), R("r1", "x")], cond=reg_exists(p1_r0=1, p1_r1=0)),
        dict.fromkeys(MODELS, False),
    ),
    "CoWR": (
        litmus("CoWR", [W("x", 1), R("r0", "x")], [W("x", 2)], cond=reg_exists(p0_r0=2, x=1)),
        dict.fromkeys(MODELS, False),
    ),
    "CoRW": (
        litmus("CoRW", [R("r0", "x"), W("x", 1)], [W("x", 2)], cond=reg_exists(p0_r0=2, x=2)),
        dict.fromkeys(MODELS, False),
    ),
    "CoWW": (litmus("CoWW", [W("x", 1), W("x", 2)], cond=reg_exists(x=1)), dict.fromkeys(MODELS, False)),
    "2xINC+rmw": (
        litmus(
            "2xINC+rmw",
            [Rmw("r0", "x", "add", Const(1), RLX)],
            [Rmw("r0", "x", "add", Const(1), RLX)],
            cond=reg_exists(x=1),
        ),
        dict.fromkeys(MODELS, False),
    ),
    "2xINC+plain": (
        litmus(
            "2xINC+plain",
            [R("r0", "x"), Store("x", BinOp("+", Reg("r0"), Const(1)))],
            [R("r0", "x"), Store("x", BinOp("+", Reg("r0"), Const(1)))],
            cond=reg_exists(x=1),
        ),
        dict.fromkeys(MODELS, True),
    ),
}

PARAMS = [(name, model, allowed) for name, (_, verdicts) in CASES.items() for model, allowed in verdicts.items()]


@pytest.mark.parametrize("name,model,allowed", PARAMS, ids=[f"{n}-{m}" for n, m, _ in PARAMS])
def test_published_verdict(name, model, allowed):
    result = check(CASES[name][0], model)
    assert result.stats.complete
    assert result.condition_holds is allowed, f"{name} under {model}: {result.outcomes}"


def test_sb_final_states_under_sc_are_the_three_interleavings():
    result = check(CASES["SB"][0], "sc")
    pairs = {(o.state["0:r0"], o.state["1:r0"]) for o in result.outcomes}
    assert pairs == {(0, 1), (1, 0), (1, 1)}


def test_relaxed_race_on_non_atomics_is_flagged_only_in_c_models():
    prog = litmus(
        "MP+na",
        [Store("x", Const(1), Order.NA), W("y", 1)],
        [R("r0", "y"), Load("r1", "x", Order.NA)],
        cond=reg_exists(p1_r0=1, p1_r1=0),
    )
    for model in ("rc11", "c11"):
        assert "data-race" in check(prog, model).violation_kinds()
    for model in ("sc", "tso", "armv8"):
        assert "data-race" not in check(prog, model).violation_kinds()
    guarded = litmus(
        "MP+na+rel+acq+ctrl",
        [Store("x", Const(1), Order.NA), W("y", 1, REL)],
        [R("r0", "y", ACQ), Assume(BinOp("==", Reg("r0"), Const(1))), Load("r1", "x", Order.NA)],
        cond=reg_exists(p1_r1=0),
    )
    # reading x only after acquiring the flag is race free, and never stale
    result = check(guarded, "rc11")
    assert result.violation_kinds() == [] and result.condition_holds is False
