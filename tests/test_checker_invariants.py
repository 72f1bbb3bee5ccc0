"""Each invariant on a small program built for it, and what it must not report."""

from dataclasses import replace

import pytest

from checker_scenarios import incref_race
from incref.checker import check
from incref.errors import Unsupported, UsageError
from incref.ir.program import (
    Assert,
    BinOp,
    Condition,
    Const,
    Free,
    Load,
    ObjOp,
    Program,
    Reg,
    Store,
    Thread,
    Var,
    default_object,
)


def obj_program(*threads, count=1, condition=None):
    info, locs = default_object("obj", count)
    return Program(
        "t",
        locs,
        tuple(Thread(i, tuple(c)) for i, c in enumerate(threads)),
        {"obj": info},
        condition=condition,
        scheme="plain",
    )


def kinds(program, model="sc"):
    return check(program, model).violation_kinds()


def test_double_free():
    prog = obj_program([ObjOp("decref", "obj", -1), Free("obj")], [Free("obj")], count=1)
    result = check(prog, "sc")
    assert "double-free" in result.violation_kinds()
    df = next(v for v in result.violations if v.kind == "double-free")
    assert "already freed" in df.message


def test_single_free_after_the_last_reference_is_clean():
    prog = obj_program([ObjOp("decref", "obj", -1), Store("obj.refcnt", Const(0)), Free("obj")])
    assert kinds(prog) == []


def test_leak_when_every_reference_is_dropped_but_nothing_frees():
    prog = obj_program([ObjOp("decref", "obj", -1), Store("obj.refcnt", Const(0))])
    assert kinds(prog) == ["leak"]


def test_lost_update_only_where_the_scheme_says_it_applies():
    prog = obj_program([ObjOp("incref", "obj", +1)])  # count never written: 1, expected 2
    assert kinds(prog) == ["lost-update"]
    quiet = replace(prog, objects={"obj": replace(prog.objects["obj"], invariants=frozenset())})
    assert kinds(quiet) == []


def test_use_after_free_on_a_load():
    prog = obj_program([Free("obj"), Load("r0", "obj.payload")], count=0)
    result = check(prog, "sc")
    assert result.violation_kinds() == ["use-after-free"]
    assert "load of obj.payload" in result.violations[0].message


def test_use_after_free_is_checked_when_a_buffered_store_reaches_memory():
    # thread 0's store sits in its buffer; under TSO it can reach memory after thread 1's free
    prog = obj_program([Store("obj.payload", Const(7))], [Free("obj")], count=0)
    sc = check(prog, "sc")
    tso = check(prog, "tso")
    assert sc.violation_kinds() == ["use-after-free"]
    uaf = next(v for v in tso.violations if v.kind == "use-after-free")
    assert "flush of obj.payload" in uaf.message
    assert uaf.trace[-1].step == "flush" and "use-after-free" in uaf.trace[-1].detail


def test_failed_assertion():
    prog = Program(
        "t",
        {"x": 0},
        (Thread(0, (Load("r0", "x"), Assert(BinOp("==", Reg("r0"), Const(1)), "x is one"))),),
        scheme="plain",
    )
    result = check(prog, "sc")
    assert result.violation_kinds() == ["assertion"]
    assert "x is one" in result.violations[0].message


@pytest.mark.parametrize(
    "quantifier,value,violated,holds",
    [
        ("exists", 1, False, True),
        ("exists", 0, False, False),
        ("~exists", 1, True, False),
        ("~exists", 0, False, True),
        ("forall", 1, False, True),
        ("forall", 0, True, False),
    ],
)
def test_condition(quantifier, value, violated, holds):
    # the only final state has x == 1; the condition asks about x == value
    cond = Condition(quantifier, BinOp("==", Var("x"), Const(value)))
    prog = Program("t", {"x": 0}, (Thread(0, (Store("x", Const(1)),)),), condition=cond, scheme="plain")
    result = check(prog, "sc")
    assert ("condition" in result.violation_kinds()) is violated
    assert result.condition_holds is holds


def test_exclusive_access_is_unsupported_and_unknown_model_is_a_usage_error():
    prog = Program("t", {"x": 0}, (Thread(0, (Load("r0", "x", exclusive=True),)),), scheme="plain")
    with pytest.raises(Unsupported):
        check(prog, "tso")
    with pytest.raises(UsageError):
        check(incref_race(), "weird")
    with pytest.raises(UsageError):
        check(incref_race(), "armv8", engine="operational")
