"""The IR's own promises: expressions, linking, conditions, projection, scheme expansion."""

import pytest

from incref.errors import InputError, UsageError
from incref.ir.program import (
    Assume,
    BinOp,
    Branch,
    Cas,
    Condition,
    Const,
    Decref,
    Free,
    Incref,
    IRError,
    Label,
    Load,
    Lock,
    ObjOp,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    Unlock,
    Var,
    default_object,
    desugar_locks,
    evaluate,
    link,
    names_in,
)
from incref.schemes import apply_scheme, get, names


def test_expressions_evaluate_with_missing_names_as_zero():
    e = BinOp("+", Reg("r0"), BinOp("*", Const(2), Reg("r1")))
    assert evaluate(e, {"r0": 1, "r1": 3}) == 7
    assert evaluate(e, {}) == 0
    assert names_in(e) == {"r0", "r1"}


def test_unknown_operator_is_rejected():
    with pytest.raises(IRError):
        BinOp("**", Const(1), Const(2))


def test_link_resolves_labels_and_branch_to_end():
    code = link([Branch(Const(1), "end"), Store("x", Const(1)), Label("end")])
    assert code == (Branch(Const(1), 2), Store("x", Const(1)))
    with pytest.raises(IRError):
        link([Branch(Const(1), "nowhere")])


def test_condition_quantifiers():
    p = BinOp("==", Var("x"), Const(1))
    states = [{"x": 0}, {"x": 1}]
    assert Condition("exists", p).holds(states)
    assert not Condition("~exists", p).holds(states)
    assert not Condition("forall", p).holds(states)
    assert Condition("forall", p).is_violated_by({"x": 0})
    assert not Condition("exists", p).is_violated_by({"x": 0})


def test_final_state_projects_locations_and_condition_registers():
    prog = Program(
        "t",
        {"x": 0, "y": 5},
        (Thread(0, (Load("r0", "x"),)),),
        condition=Condition("exists", BinOp("==", Var("0:r0"), Const(1))),
    )
    assert prog.state_keys() == ("x", "y", "0:r0")
    assert prog.final_state({"x": 1}, {0: {"r0": 1}}) == {"x": 1, "y": 5, "0:r0": 1}


def test_desugared_lock_is_an_acquire_cas_that_must_succeed():
    code = desugar_locks([Lock("m"), Unlock("m")], 0)
    assert isinstance(code[0], Cas) and code[0].order is Order.ACQ
    assert isinstance(code[1], Assume)
    assert code[2] == Store("m", Const(0), Order.REL)


def _two_thread_race():
    info, locs = default_object("obj", 1)
    threads = (Thread(0, (Incref("obj"), Decref("obj"))), Thread(1, (Incref("obj"),)))
    return Program("race", locs, threads, objects={"obj": info})


@pytest.mark.parametrize("scheme", names())
def test_every_scheme_expands_every_object_operation(scheme):
    prog = apply_scheme(_two_thread_race(), get(scheme))
    assert prog.is_expanded and prog.scheme == scheme
    markers = [i for t in prog.threads for i in t.code if isinstance(i, ObjOp)]
    assert [m.delta for m in markers] == [1, -1, 1]
    for t in prog.threads:
        for i in t.code:
            if isinstance(i, Branch):
                assert isinstance(i.target, int) and 0 <= i.target <= len(t.code)
            if isinstance(i, (Load, Store, Rmw, Cas)):
                assert i.loc in prog.locations, f"{scheme}: undeclared location {i.loc}"


def test_plain_decref_frees_on_the_value_it_computed():
    prog = apply_scheme(_two_thread_race(), get("plain"))
    code = prog.threads[0].code
    frees = [i for i in code if isinstance(i, Free)]
    assert len(frees) == 1 and frees[0].obj == "obj"


def test_branches_in_scenario_code_keep_their_targets_after_expansion():
    info, locs = default_object("obj", 1)
    code = (Branch(Const(1), 2), Incref("obj"), Store("obj.payload", Const(7)))
    prog = apply_scheme(Program("b", locs, (Thread(0, code),), objects={"obj": info}), get("plain"))
    branch = prog.threads[0].code[0]
    assert prog.threads[0].code[branch.target] == Store("obj.payload", Const(7))


def test_unknown_scheme_names_the_known_ones():
    with pytest.raises(UsageError, match="plain"):
        get("nope")


def test_input_error_points_into_the_input():
    err = InputError("unexpected '}'", "a.inc", 3, 5, "  x = }\n")
    assert str(err) == "a.inc:3:5: unexpected '}'"
    assert err.with_caret().splitlines()[-1] == "        ^"
