"""The scenario format compiles to the IR the engines expect: one test per construct,
each stating the instructions a reader of docs/FORMAT.md would predict."""

import pytest

from incref import examples
from incref.frontends import load_program
from incref.frontends.scenario import parse_text
from incref.ir.program import (
    Assert,
    Assign,
    Assume,
    BinOp,
    Branch,
    Cas,
    Const,
    Decref,
    Fence,
    Free,
    Incref,
    Load,
    Lock,
    LoopBound,
    ObjOp,
    Order,
    Reg,
    Rmw,
    Store,
    Unlock,
    Var,
)


def code(text, params=None, tid=0):
    return parse_text(text, params).threads[tid].code


def test_incref_race_with_parameters_has_three_threads_of_two_increfs():
    program = load_program("incref-race", {"threads": 3, "ops": 2})
    assert [t.code for t in program.threads] == [(Incref("obj"), Incref("obj"))] * 3
    assert [t.tid for t in program.threads] == [0, 1, 2]
    assert program.locations == {"obj.refcnt": 1, "obj.payload": 0, "obj.freed": 0}
    assert program.condition.prop == BinOp("==", Var("obj.refcnt"), Const(7))
    assert program.meta["params"] == {"threads": 3, "ops": 2}


def test_incref_race_defaults():
    program = load_program("incref-race")
    assert len(program.threads) == 2
    assert all(t.code == (Incref("obj"),) for t in program.threads)


@pytest.mark.parametrize("name", examples.names())
def test_every_bundled_example_parses_with_a_description(name):
    program = load_program(name)
    assert program.name == name
    assert program.threads
    assert program.meta["description"]


def test_required_examples_are_bundled():
    assert {"incref-race", "incref-decref", "sb", "mp"} <= set(examples.names())


def test_incref_decref_story():
    program = load_program("incref-decref")
    assert program.objects["obj"].initial_count == 2
    borrower, other = (t.code for t in program.threads)
    assert borrower[0] == Incref("obj") and borrower[-2:] == (Decref("obj"), Decref("obj"))
    assert any(isinstance(i, Load) and i.loc == "obj.payload" for i in borrower)
    assert other == (Decref("obj"),)


@pytest.mark.parametrize("name", ["sb", "mp"])
def test_fence_parameter_adds_one_sc_fence_per_thread(name):
    without = load_program(name)
    with_fence = load_program(name, {"fence": 1})
    for plain, fenced in zip(without.threads, with_fence.threads):
        assert not any(isinstance(i, (Fence, Branch)) for i in plain.code)
        assert [i for i in fenced.code if isinstance(i, Fence)] == [Fence(Order.SC)]


def test_memory_orders_and_defaults():
    text = """
    shared x = 0
    thread t {
      a = load x
      b = load.acq x
      c = load.relaxed x
      store x = a + 1
      store.rel x = 2
      d = fetch_add x, 1
      e = fetch_sub.rlx x, b
      exchange.acq_rel x, 7
      f = cas x, 0 -> 1
      g = cas.acq_rel x, 1 -> 2
      h = cas.rel.rlx x, 2 -> 3
      fence
      fence.acq
    }"""
    assert code(text) == (
        Load("a", "x", Order.NA),
        Load("b", "x", Order.ACQ),
        Load("c", "x", Order.RLX),
        Store("x", BinOp("+", Reg("a"), Const(1)), Order.NA),
        Store("x", Const(2), Order.REL),
        Rmw("d", "x", "add", Const(1), Order.SC),
        Rmw("e", "x", "sub", Reg("b"), Order.RLX),
        Rmw(None, "x", "xchg", Const(7), Order.ACQ_REL),
        Cas("f", "x", Const(0), Const(1), Order.SC, Order.SC),
        Cas("g", "x", Const(1), Const(2), Order.ACQ_REL, Order.ACQ),
        Cas("h", "x", Const(2), Const(3), Order.REL, Order.RLX),
        Fence(Order.SC),
        Fence(Order.ACQ),
    )


def test_object_operations_locks_and_attributes():
    text = """
    object obj = 3 (owner=1, immortal=0)
    mutex m
    thread t { lock m incref obj use obj decref obj free obj unlock m }
    """
    program = parse_text(text)
    assert program.objects["obj"].attrs == {"owner": 1, "immortal": 0}
    assert program.locations["m"] == 0 and program.locations["obj.refcnt"] == 3
    ops = [i for i in program.threads[0].code if not isinstance(i, ObjOp)]
    assert ops[0] == Lock("m") and ops[1] == Incref("obj") and ops[-1] == Unlock("m")
    assert isinstance(ops[2], Load) and ops[2].loc == "obj.payload"
    assert ops[3] == Decref("obj")
    assert isinstance(ops[4], Free) and ops[4].obj == "obj"


def test_if_else_branches_around_both_arms():
    body = code("shared x = 0 thread t { r = load x if r == 1 { store x = 2 } else { store x = 3 } }")
    assert body[1] == Branch(BinOp("!=", Reg("r"), Const(1)), 4)
    assert body[2] == Store("x", Const(2))
    assert body[3] == Branch(Const(1), 5)
    assert body[4] == Store("x", Const(3))
    assert len(body) == 5


def test_if_on_a_parameter_is_decided_at_compile_time():
    text = "param p = 0 shared x = 0 thread t { if p { store x = 1 } else { store x = 2 } }"
    assert code(text) == (Store("x", Const(2)),)
    assert code(text, {"p": 5}) == (Store("x", Const(1)),)


def test_registers_of_a_dropped_branch_stay_declared():
    text = "param p = 0 shared x = 0 thread t { if p { r = load x } assert r == 0 }"
    assert code(text) == (Assert(BinOp("==", Reg("r"), Const(0)), "r == 0"),)
    assert code(text, {"p": 1})[0] == Load("r", "x")


def test_load_program_sends_litmus_files_to_the_litmus_front_end():
    from pathlib import Path

    import incref

    path = Path(incref.__file__).parent / "catalogue" / "c" / "SB+scs.litmus"
    program = load_program(str(path))
    assert program.name == "SB+scs" and len(program.threads) == 2 and program.is_expanded


def test_repeat_unrolls_and_nests():
    body = code("param n = 2 shared x = 0 thread t { repeat n { repeat 3 { store x = 1 } } }", {"n": 4})
    assert body == (Store("x", Const(1)),) * 12
    assert code("shared x = 0 thread t { repeat 0 { store x = 1 } store x = 2 }") == (Store("x", Const(2)),)


def test_while_unrolls_k_guarded_iterations_then_a_loop_bound():
    body = code("thread t { i = 0 while i < 3 max 2 { i = i + 1 } }")
    exit_test = Branch(BinOp(">=", Reg("i"), Const(3)), 7)  # past the LoopBound
    step = Assign("i", BinOp("+", Reg("i"), Const(1)))
    assert body[1:] == (exit_test, step, exit_test, step, exit_test, body[-1])
    assert isinstance(body[-1], LoopBound)


@pytest.mark.parametrize(
    "body",
    [
        "r = load.acq flag while r == 0 max 1 { r = load.acq flag }",
        "r = load flag while r != 1 max 1 { s = load flag r = s & 1 }",
    ],
)
def test_a_while_that_only_reloads_is_a_spin_loop_with_no_bound(body):
    loop = code("shared flag = 0 thread t { %s }" % body)
    assert not any(isinstance(i, LoopBound) for i in loop)
    assert isinstance(loop[-1], Assume)
    assert [i for i in loop if isinstance(i, Branch)] == [Branch(loop[1].cond, len(loop))]


@pytest.mark.parametrize(
    "body",
    [
        "i = 0 while r == 0 max 1 { r = load flag i = i + 1 }",  # depends on earlier iterations
        "while r == 0 max 1 { r = load flag store flag = 2 }",  # writes memory
        "while r == 0 max 1 { }",  # never reloads: spinning here is a hang, not a wait
    ],
)
def test_loops_with_effects_keep_their_bound(body):
    loop = code("shared flag = 0 thread t { r = load flag %s }" % body)
    assert isinstance(loop[-1], LoopBound)


def test_await_is_a_load_and_an_assume_never_a_branch():
    body = code("shared flag = 0 shared y = 0 thread t { await.acq flag == 1 && y != flag }")
    assert not any(isinstance(i, Branch) for i in body)
    (load_flag, load_y, assume) = body
    assert load_flag.loc == "flag" and load_flag.order is Order.ACQ
    assert load_y.loc == "y" and load_y.order is Order.ACQ
    f, y = Reg(load_flag.reg), Reg(load_y.reg)
    assert assume == Assume(BinOp("&&", BinOp("==", f, Const(1)), BinOp("!=", y, f)), origin=assume.origin)


def test_assert_keeps_its_text():
    body = code("shared x = 0 thread t { r = load x assert r <= 1 || r == 5 }")
    assert body[1] == Assert(
        BinOp("||", BinOp("<=", Reg("r"), Const(1)), BinOp("==", Reg("r"), Const(5))), "r <= 1 || r == 5"
    )


def test_herd_condition_syntax_equals_native_syntax():
    threads = "shared x = 0 thread a { r = load x } thread b { r = load x }"
    herd = parse_text(threads + " ~exists (0:r = 1 /\\ ~(1:r = 0)) \\/ x = 2").condition
    native = parse_text(threads + " ~exists 0:r == 1 && !(1:r == 0) || x == 2").condition
    assert herd.quantifier == native.quantifier == "~exists"
    assert herd.prop == native.prop
    assert herd.satisfied_by({"0:r": 1, "1:r": 1, "x": 0})
    assert not herd.satisfied_by({"0:r": 1, "1:r": 0, "x": 0})


def test_condition_names_single_threads_by_name():
    program = parse_text(
        "shared x = 0 thread main { r = load x } thread helper { s = load x } exists main:r == 1 => helper:s == 1"
    )
    assert program.condition.prop == BinOp("=>", BinOp("==", Var("0:r"), Const(1)), BinOp("==", Var("1:s"), Const(1)))


def test_copies_are_named_and_numbered():
    program = parse_text("thread w * 3 { r = 1 } thread solo { r = 2 }")
    assert [t.name for t in program.threads] == ["w.0", "w.1", "w.2", "solo"]
    assert [t.tid for t in program.threads] == [0, 1, 2, 3]


def test_parameters_may_build_on_earlier_ones_and_fold():
    program = parse_text("param a = 2 param b = a * 3 + 1 shared x = b << 1 thread t { store x = -b }", {"a": 1})
    assert program.meta["params"] == {"a": 1, "b": 4}
    assert program.locations["x"] == 8
    assert program.threads[0].code == (Store("x", Const(-4)),)


def test_comments_and_semicolons_are_ignored():
    assert code("shared x = 0 # a comment\nthread t { store x = 1; ; store x = 2 # end\n}") == (
        Store("x", Const(1)),
        Store("x", Const(2)),
    )
