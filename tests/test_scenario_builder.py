"""The Python builder and the text format tell the same story in the same IR."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import incref
from incref import examples
from incref.errors import InputError, UsageError
from incref.frontends import load_program
from incref.frontends.scenario import ast, parse_text
from incref.frontends.scenario.compiler import RMW_OPS, compile_scenario
from incref.frontends.scenario.parser import parse, parse_expr, read_file
from incref.frontends.scenario.printer import format_scenario
from incref.ir.program import Branch, Label


def without_file(program):
    return replace(program, meta={k: v for k, v in program.meta.items() if k != "file"})


def incref_race():
    s = incref.Scenario("incref-race", "Two threads incref one object with a plain ++: can an increment be lost?")
    s.param("threads", 2).param("ops", 1)
    s.object("obj", 1)
    with s.thread("worker", copies="threads") as t:
        with t.repeat("ops"):
            t.incref("obj")
    s.forall("obj.refcnt == 1 + threads * ops")
    return s


def sb():
    s = incref.Scenario("sb", "Store buffering: can both threads read 0? (TSO: yes, unless each thread fences)")
    s.param("fence", 0).shared("x").shared("y")
    for name, mine, other in (("t0", "x", "y"), ("t1", "y", "x")):
        with s.thread(name) as t:
            t.store(mine, 1, order="rlx")
            with t.if_("fence"):
                t.fence("sc")
            t.load("r0", other, order="rlx")
    s.exists("0:r0 == 0 && 1:r0 == 0")
    return s


def cas_counter():
    s = incref.Scenario("cas-counter", "A compare-and-swap retry loop increments a shared counter: no update is lost")
    s.param("threads", 2).shared("counter", 0)
    with s.thread("worker", copies="threads") as t:
        t.load("seen", "counter", order="rlx")
        t.cas("counter", "seen", "seen + 1", reg="old", order="sc")
        with t.while_("old != seen", max="threads - 1"):
            t.assign("seen", "old")
            t.cas("counter", "seen", "seen + 1", reg="old", order="sc")
    s.forall("counter == threads")
    return s


def ttas_lock():
    s = incref.Scenario("ttas-lock", "A test-and-test-and-set spin lock protects a plain increment of a shared counter")
    s.param("threads", 2).shared("locked").shared("counter")
    with s.thread("worker", copies="threads") as t:
        t.await_("locked == 0", order="rlx")
        t.cas("locked", 0, 1, reg="got", order="acq")
        with t.while_("got != 0", max="threads - 1"):
            t.await_("locked == 0", order="rlx")
            t.cas("locked", 0, 1, reg="got", order="acq")
        t.load("n", "counter")
        t.store("counter", "n + 1")
        t.store("locked", 0, order="rel")
    s.forall("counter == threads")
    return s


def incref_decref():
    s = incref.Scenario(
        "incref-decref",
        "Two owners drop their references while one borrows the object: lost update, leak, use after free",
    )
    s.object("obj", 2)
    with s.thread("borrower") as t:
        t.incref("obj").use("obj").decref("obj").decref("obj")
    with s.thread("other") as t:
        t.decref("obj")
    return s


@pytest.mark.parametrize(
    "build, params",
    [
        (incref_race, {}),
        (incref_race, {"threads": 3, "ops": 2}),
        (sb, {}),
        (sb, {"fence": 1}),
        (cas_counter, {"threads": 3}),
        (ttas_lock, {}),
        (incref_decref, {}),
    ],
)
def test_builder_and_bundled_file_give_equal_programs(build, params):
    built = build().build(params)
    loaded = load_program(built.name, params)
    assert built == without_file(loaded)


def test_if_else_and_every_statement_kind_match_the_text():
    text = """scenario all
    param k = 2
    shared x = 0
    mutex m
    object o = 1 (owner=0)
    thread a {
      lock m
      r = load.acq x
      if r == 1 { store.rel x = 2 } else { s = fetch_add x, k }
      exchange.rlx x, 3
      cas.acq_rel.acq x, 0 -> 1
      fence.acq
      assert r <= k
      unlock m
      free o
    }
    thread b * k { decref o }
    ~exists 0:r == 1 /\\ x = 2
    """
    s = incref.Scenario("all").param("k", 2).shared("x").mutex("m").object("o", 1, owner=0)
    with s.thread("a") as t:
        t.lock("m").load("r", "x", "acq")
        with t.if_("r == 1"):
            t.store("x", 2, "rel")
        with t.else_():
            t.fetch_add("x", "k", reg="s")
        t.exchange("x", 3, order="rlx").cas("x", 0, 1, order="acq_rel", fail_order="acq")
        t.fence("acq").assert_("r <= k").unlock("m").free("o")
    with s.thread("b", copies="k") as t:
        t.decref("o")
    s.not_exists("0:r == 1 /\\ x = 2")
    assert s.build() == without_file(parse_text(text))
    assert s.build(k=3) == without_file(parse_text(text, {"k": 3}))


def test_builder_errors_are_usage_or_input_errors():
    s = incref.Scenario("bad")
    with s.thread("t") as t:
        with pytest.raises(UsageError, match="else_"):
            t.else_()
        with pytest.raises(UsageError, match="integer or an expression"):
            t.store("x", 1.5)
        with pytest.raises(InputError, match="unexpected"):
            t.store("x", "1 +")
        with pytest.raises(UsageError, match="needs the success order"):
            t.cas("x", 0, 1, fail_order="acq")
        t.store("x", 1)
    with pytest.raises(InputError, match="undefined shared location 'x'"):
        s.build()
    with pytest.raises(UsageError, match="no parameter 'n'"):
        s.build(n=1)


# ---- printing: the text of a condition parses back to the same tree

_names = st.sampled_from(["r", "x", "obj.refcnt", "threads"]).map(ast.Name)
_leaves = _names | st.integers(0, 99).map(ast.Num) | st.builds(ast.ThreadReg, st.sampled_from(["0", "1"]), st.just("r"))
_binary = ["=>", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-", "*"]
_exprs = st.recursive(
    _leaves,
    lambda inner: (
        st.builds(ast.Bin, st.sampled_from(_binary), inner, inner)
        | st.builds(ast.Un, st.sampled_from(["!", "-"]), inner)
    ),
    max_leaves=12,
)


@given(_exprs)
def test_printed_expressions_parse_back_to_the_same_tree(expr):
    text = ast.to_text(expr)
    assert parse_expr(text) == expr


# ---- printing whole scenarios: the .inc text of a tree parses back to the same tree


@pytest.mark.parametrize("name", examples.names())
def test_bundled_examples_print_and_parse_back(name):

    tree = parse(read_file(examples.path(name)))
    assert parse(format_scenario(tree)) == tree


@pytest.mark.parametrize("build", [incref_race, sb, cas_counter, ttas_lock, incref_decref])
def test_builder_text_is_a_scenario_file_for_the_same_program(build):
    scenario = build()
    assert without_file(parse_text(scenario.to_text())) == scenario.build()


_regs = st.sampled_from(["r", "s"])
_locs = st.sampled_from(["x", "o.refcnt"])
_orders = st.sampled_from([None, "acq", "rlx", "sc"])
_small = st.integers(0, 9).map(ast.Num) | _names


def _statements(depth):
    simple = (
        st.builds(ast.LoadS, _regs, _locs, _orders)
        | st.builds(ast.StoreS, _locs, _exprs, _orders)
        | st.builds(ast.RmwS, st.none() | _regs, st.sampled_from(["fetch_add", "exchange"]), _locs, _small, _orders)
        | st.builds(ast.CasS, st.none() | _regs, _locs, _small, _small, _orders, st.none())
        | st.builds(ast.CasS, st.none() | _regs, _locs, _small, _small, st.just("acq_rel"), _orders)
        | st.builds(ast.FenceS, _orders)
        | st.builds(ast.LockS, st.just("m"), st.booleans())
        | st.builds(ast.AssignS, _regs, _exprs)
        | st.builds(ast.AwaitS, _exprs, _orders)
        | st.builds(ast.AssertS, _exprs)
        | st.builds(ast.ObjS, st.sampled_from(ast.OBJECT_OPS), st.just("o"))
    )
    if depth == 0:
        return simple
    body = st.lists(_statements(depth - 1), max_size=3).map(tuple)
    return (
        simple
        | st.builds(ast.IfS, _exprs, body, body)
        | st.builds(ast.RepeatS, _small, body)
        | st.builds(ast.WhileS, _exprs, _small, body)
    )


_decls = st.lists(
    st.builds(ast.ParamD, st.sampled_from(["n", "k"]), _small)
    | st.builds(ast.SharedD, st.sampled_from(["x", "y"]), _small)
    | st.builds(
        ast.ObjectD,
        st.just("o"),
        _small,
        st.lists(st.tuples(st.sampled_from(["owner", "immortal"]), _small), max_size=2).map(tuple),
    )
    | st.builds(
        ast.ThreadD, st.sampled_from(["t", "u"]), st.lists(_statements(2), max_size=4).map(tuple), st.none() | _small
    )
    | st.builds(ast.ConditionD, st.sampled_from(["exists", "~exists", "forall"]), _exprs),
    max_size=6,
).map(tuple)


@given(st.builds(ast.Scenario, st.sampled_from(["s", "incref-race"]), _decls, st.sampled_from(["", "a story"])))
def test_printed_scenarios_parse_back_to_the_same_tree(tree):

    assert parse(format_scenario(tree)) == tree


# ---- compiling: well-scoped random scenarios always compile to linked IR

_values = st.recursive(
    st.sampled_from(["r", "s", "n", "k"]).map(ast.Name) | st.integers(0, 3).map(ast.Num),
    lambda inner: st.builds(ast.Bin, st.sampled_from(["+", "-", "==", "<", "&&", "|"]), inner, inner),
    max_leaves=4,
)
_counts = st.sampled_from(["n", "k"]).map(ast.Name) | st.integers(0, 2).map(ast.Num)
_targets = st.sampled_from(["x", "o.refcnt", "o.payload"])


def _scoped(depth):
    simple = (
        st.builds(ast.LoadS, _regs, _targets, st.sampled_from([None, "acq", "rlx"]))
        | st.builds(ast.StoreS, _targets, _values, st.sampled_from([None, "rel"]))
        | st.builds(ast.RmwS, _regs, st.sampled_from(sorted(RMW_OPS)), _targets, _values)
        | st.builds(ast.CasS, _regs, _targets, _values, _values)
        | st.builds(ast.AssignS, _regs, _values)
        | st.builds(ast.AwaitS, st.builds(ast.Bin, st.just("=="), st.just(ast.Name("x")), _values))
        | st.builds(ast.ObjS, st.sampled_from(ast.OBJECT_OPS), st.just("o"))
        | st.just(ast.LockS("m"))
        | st.just(ast.LockS("m", True))
        | st.just(ast.FenceS())
    )
    if depth == 0:
        return simple
    body = st.lists(_scoped(depth - 1), max_size=3).map(tuple)
    return (
        simple
        | st.builds(ast.IfS, _values, body, body)
        | st.builds(ast.RepeatS, _counts, body)
        | st.builds(ast.WhileS, _values, _counts, body)
    )


_PRELUDE = (
    ast.ParamD("n", ast.Num(1)),
    ast.ParamD("k", ast.Num(2)),
    ast.SharedD("x", ast.Num(0)),
    ast.SharedD("m", ast.Num(0)),
    ast.ObjectD("o", ast.Num(1)),
)
_START = (ast.LoadS("r", "x"), ast.LoadS("s", "x"))
_scoped_scenarios = st.builds(
    lambda threads, cond: ast.Scenario("s", _PRELUDE + tuple(threads) + cond),
    st.lists(
        st.builds(
            lambda body, copies: ast.ThreadD("t", _START + tuple(body), copies),
            st.lists(_scoped(2), max_size=5),
            _counts,
        ),
        min_size=1,
        max_size=2,
    ),
    st.just(())
    | st.builds(
        lambda e: (ast.ConditionD("exists", e),),
        st.builds(ast.Bin, st.just("=="), st.sampled_from([ast.Name("x"), ast.ThreadReg("0", "r")]), _counts),
    ),
)


@given(_scoped_scenarios, st.dictionaries(st.sampled_from(["n", "k"]), st.integers(-1, 3)))
def test_well_scoped_scenarios_compile_to_linked_ir(tree, params):

    try:
        program = compile_scenario(tree, params)
    except InputError as err:  # a negative count from the parameters is the only refusal
        assert "cannot be negative" in err.message or "no thread" in err.message
        return
    for thread in program.threads:
        assert not any(isinstance(i, Label) for i in thread.code)
        assert all(0 <= i.target <= len(thread.code) for i in thread.code if isinstance(i, Branch))
