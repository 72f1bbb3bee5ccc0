"""`incref.check` on every form of scenario, with verdicts a reader can predict from the
story (published litmus verdicts for SB; counting arguments for the loops)."""

import pytest

import incref
from incref.errors import UsageError
from incref.frontends.scenario import parse_text


def refcounts(result):
    return sorted(o.state["obj.refcnt"] for o in result.outcomes)


def race_builder():
    s = incref.Scenario("race").param("threads", 2).param("ops", 1).object("obj", 1)
    with s.thread("worker", copies="threads") as t:
        with t.repeat("ops"):
            t.incref("obj")
    return s


def test_plain_increment_is_lost_already_under_sc():
    result = incref.check("incref-race", model="sc", scheme="plain")
    assert result.verdict == "violation"
    assert "lost-update" in result.violation_kinds()
    assert refcounts(result) == [2, 3]


def test_builder_scenario_with_parameters_under_tso():
    result = incref.check(race_builder(), model="tso", scheme="plain", params={"threads": 3, "ops": 2})
    assert refcounts(result) == [3, 4, 5, 6, 7]
    assert result.stats.complete


@pytest.mark.parametrize("scheme", ["gil", "atomic"])
def test_a_program_with_a_safe_scheme(scheme):
    program = race_builder().build(threads=3)
    result = incref.check(program, model="pso", scheme=scheme)
    assert result.verdict == "safe"
    assert refcounts(result) == [4]


def test_store_buffering_needs_the_fence_under_tso():
    assert incref.check("sb", model="tso").condition_holds is True
    assert incref.check("sb", model="tso", params={"fence": 1}).condition_holds is False
    assert incref.check("sb", model="sc").condition_holds is False


@pytest.mark.parametrize(
    "model, fence, stale",
    [
        ("sc", 0, False),
        ("tso", 0, False),
        ("pso", 0, True),
        ("pso", 1, False),
    ],
)
def test_message_passing_is_stale_only_under_pso_without_fences(model, fence, stale):
    assert incref.check("mp", model=model, params={"fence": fence}).condition_holds is stale


def test_a_scenario_file_path(tmp_path):
    path = tmp_path / "story.inc"
    path.write_text("object o = 1\nthread t * 2 { incref o }\n")
    result = incref.check(str(path), model="sc", scheme="atomic")
    assert result.verdict == "safe" and result.scenario == "story"


RETRY = """
param retries = 1
shared counter = 0
thread worker * 2 {
  seen = load counter
  old = cas counter, seen -> seen + 1
  while old != seen max retries {
    seen = old
    old = cas counter, seen -> seen + 1
  }
}
forall counter == 2
"""


def test_a_sufficient_loop_bound_gives_a_complete_safe_verdict():
    result = incref.check(parse_text(RETRY), model="tso", scheme="plain")
    assert result.verdict == "safe" and result.stats.complete


def test_a_loop_bound_that_is_reached_makes_the_verdict_incomplete():
    result = incref.check(parse_text(RETRY, {"retries": 0}), model="sc", scheme="plain")
    assert result.verdict == "incomplete"


SPIN = """
shared data = 0
shared ready = 0
thread producer { store data = 42  store.rel ready = 1 }
thread consumer {
  r = load.acq ready
  while r == 0 max 1 { r = load.acq ready }
  d = load data
}
forall 1:d == 42
"""


@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
def test_a_spin_loop_is_explored_completely_whatever_its_bound(model):
    result = incref.check(parse_text(SPIN), model=model)
    assert result.verdict == "safe" and result.stats.complete


@pytest.mark.parametrize("bound, verdict", [(3, "safe"), (4, "safe"), (2, "incomplete")])
def test_while_counts_iterations_exactly(bound, verdict):
    text = "thread t { i = 0 while i < 3 max %d { i = i + 1 } } forall 0:i == 3" % bound
    assert incref.check(parse_text(text)).verdict == verdict


@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
def test_await_spin_lock_is_explored_completely(model):
    result = incref.check("ttas-lock", model=model, params={"threads": 3})
    assert result.verdict == "safe"
    assert [o.state["counter"] for o in result.outcomes] == [3]


def test_bad_scheme_model_and_params_are_usage_errors():
    with pytest.raises(UsageError, match="unknown scheme"):
        incref.check("incref-race", scheme="magic")
    with pytest.raises(UsageError, match="unknown model"):
        incref.check("incref-race", model="x86")
    with pytest.raises(UsageError, match="expanded already"):
        incref.check(race_builder().build(), params={"threads": 3})
    with pytest.raises(UsageError, match="cannot check a int"):
        incref.check(3)


FLAG = """
shared data = 0
shared ready = 0
thread producer { store data = 1  store data = 2  store.rlx ready = 1  store data = 3 }
thread consumer {
  r = load.rlx ready
  while r == 0 max 3 { r = load.rlx ready }
  d = load data
}
exists 1:d == 0
"""


@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
def test_spin_assume_keeps_exactly_the_outcomes_of_the_unrolled_loop(model, monkeypatch):
    from incref.frontends.scenario import compiler

    folded = incref.check(parse_text(FLAG), model=model)
    monkeypatch.setattr(compiler, "_is_spin_loop", lambda body: False)
    unrolled = incref.check(parse_text(FLAG), model=model)
    assert folded.stats.complete and not unrolled.stats.complete
    assert folded.states() == unrolled.states()
    assert (model == "pso") == folded.condition_holds
