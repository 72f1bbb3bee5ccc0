"""A seq_cst store under TSO/PSO is compiled as x86 compilers compile it (XCHG, or MOV;
MFENCE: the C11 -> x86 mapping), so store buffering with seq_cst accesses is forbidden —
and both engines must say so."""

import pytest

from incref.checker import check
from incref.ir.program import BinOp, Condition, Const, Load, Order, Program, Store, Thread, Var


def sb(order: Order) -> Program:
    t0 = Thread(0, (Store("x", Const(1), order), Load("r0", "y", order)))
    t1 = Thread(1, (Store("y", Const(1), order), Load("r0", "x", order)))
    both_zero = BinOp("&&", BinOp("==", Var("0:r0"), Const(0)), BinOp("==", Var("1:r0"), Const(0)))
    return Program("SB", {"x": 0, "y": 0}, (t0, t1), condition=Condition("exists", both_zero))


@pytest.mark.parametrize("engine", ["operational", "axiomatic"])
@pytest.mark.parametrize("model", ["tso", "pso"])
def test_seq_cst_stores_forbid_store_buffering(model, engine):
    assert check(sb(Order.SC), model, engine=engine).condition_holds is False


@pytest.mark.parametrize("engine", ["operational", "axiomatic"])
@pytest.mark.parametrize("model", ["tso", "pso"])
def test_release_stores_still_allow_store_buffering(model, engine):
    assert check(sb(Order.REL), model, engine=engine).condition_holds is True
