"""The facts of issue 5, item 4, each checked on the zoo's own scenario files.

Each test runs real cells (`apply_scheme` + `incref.checker.check`); the expected
verdicts come from the schemes' sources (Rust sync.rs, libstdc++, CPython, Linux), not
from a run of the code under test. Cells under armv8/rc11 need the axiomatic engine and
are skipped only while it does not import."""

import importlib.util

import pytest

from incref import schemes, zoo
from incref.checker import check
from incref.schemes.immortal import IMMORTAL_INITIAL_REFCNT
from incref.schemes.saturating import INT_MAX, REFCOUNT_SATURATED

OPERATIONAL = ["sc", "tso", "pso"]
AXIOMATIC = ["armv8", "rc11"]
has_axiomatic = importlib.util.find_spec("incref.checker.axiomatic") is not None
axiomatic = pytest.mark.skipif(not has_axiomatic, reason="the axiomatic engine (armv8, rc11) is not there yet")
MODELS = OPERATIONAL + [pytest.param(m, marks=axiomatic) for m in AXIOMATIC]


def cell(scheme, scenario, model):
    [(name, found, mdl)] = zoo.plan([scheme], [scenario], [model])
    return zoo.run_cell(name, found, mdl)


@pytest.mark.parametrize("model", MODELS)
def test_plain_loses_an_increment_under_every_model(model):
    got = cell("plain", "concurrent-incref", model)
    assert got.verdict == "violation"
    assert "lost-update" in got.violation_kinds
    assert {o.state["obj.refcnt"] for o in got.result.outcomes} == {2, 3}


SAFE_EVERYWHERE = ["gil", "atomic", "shared_ptr", "arc", "biased"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scheme", SAFE_EVERYWHERE)
@pytest.mark.parametrize("scenario", ["concurrent-incref", "publish-drop", "race-to-zero"])
def test_locked_and_atomic_schemes_are_safe(scheme, scenario, model):
    got = cell(scheme, scenario, model)
    assert got.verdict == "safe", (got.violation_kinds, got.result.incomplete_reason)


@pytest.mark.parametrize("model", MODELS)
def test_a_biased_object_handed_between_threads_is_safe(model):
    """The owner publishes a reference and drops its own; the receiver uses the object and
    drops the last reference: the queue-and-merge path of biased counting."""
    got = cell("biased", "handoff", model)
    assert got.verdict == "safe", (got.violation_kinds, got.result.incomplete_reason)


@axiomatic
def test_biased_queue_and_merge_are_safe_under_armv8():
    """The smallest decrement scenario: the owner increfs, the other thread's decref finds
    the shared count at zero and queues the object to its owner, which merges the counts
    when it exits."""
    assert cell("biased", "immortal-shared", "armv8").verdict == "safe"


@pytest.mark.parametrize("model", OPERATIONAL)
def test_arc_relaxed_is_safe_where_rmws_drain_the_store_buffers(model):
    assert cell("arc-relaxed", "publish-drop", model).verdict == "safe"


@axiomatic
def test_arc_relaxed_reads_a_stale_payload_under_armv8():
    got = cell("arc-relaxed", "publish-drop", "armv8")
    assert "use-after-free" in got.violation_kinds
    [uaf] = [v for v in got.result.violations if v.kind == "use-after-free"]
    assert any("obj.payload" in s.step for s in uaf.trace)


@axiomatic
def test_arc_relaxed_races_on_the_payload_under_rc11():
    assert "data-race" in cell("arc-relaxed", "publish-drop", "rc11").violation_kinds


@pytest.mark.parametrize("model", ["sc", "tso"])
def test_gil_without_fences_is_safe_under_sc_and_tso(model):
    assert cell("gil-nofence", "concurrent-incref", model).verdict == "safe"


@pytest.mark.parametrize("model", ["pso", pytest.param("armv8", marks=axiomatic)])
def test_gil_without_fences_loses_an_update_under_pso_and_armv8(model):
    assert "lost-update" in cell("gil-nofence", "concurrent-incref", model).violation_kinds


@axiomatic
def test_gil_without_fences_races_under_rc11():
    assert "data-race" in cell("gil-nofence", "concurrent-incref", "rc11").violation_kinds


@pytest.mark.parametrize("model", MODELS)
def test_immortal_never_writes_an_immortal_count(model):
    got = cell("immortal", "immortal-shared", model)
    assert got.verdict == "safe"
    assert {o.state["obj.refcnt"] for o in got.result.outcomes} == {IMMORTAL_INITIAL_REFCNT}
    writes = [
        i
        for t in got.program.threads
        for i in t.code
        if getattr(i, "loc", None) == "obj.refcnt" and type(i).__name__ != "Load"
    ]
    assert writes, "the scheme has count writes; they must all be guarded"


def test_the_same_object_mortal_loses_updates_with_plain():
    got = cell("plain", "immortal-shared", "sc")
    assert "lost-update" in got.violation_kinds


@pytest.mark.parametrize("model", MODELS)
def test_saturating_never_frees_an_overflowed_object(model):
    got = cell("saturating", "overflow", model)
    states = [o.state for o in got.result.outcomes]
    assert all(s["obj.freed"] == 0 for s in states)
    assert any(s["obj.refcnt"] == REFCOUNT_SATURATED for s in states), "some execution overflows"
    assert all(s["obj.refcnt"] == REFCOUNT_SATURATED or 0 < s["obj.refcnt"] <= INT_MAX for s in states)
    assert got.result.condition_holds is True
    assert set(got.violation_kinds) <= {"lost-update"}  # the forgotten references, on purpose


def test_only_saturating_applies_to_overflow():
    cells = zoo.run(None, ["overflow"], ["sc"])
    assert {c.scheme for c in cells if c.verdict != "skipped"} == {"saturating"}


def test_every_registered_scheme_has_a_zoo_row():
    planned = zoo.plan(None, ["concurrent-incref"], ["sc"])
    assert [s for s, _, _ in planned] == schemes.names()
    assert len(schemes.names()) == 12


def test_deferred_and_sharded_never_lose_a_reference():
    for scheme in ("deferred", "sharded"):
        assert cell(scheme, "race-to-zero", "tso").verdict == "safe"


def test_sharded_frees_once_after_the_grace_period():
    got = cell("sharded", "race-to-zero", "pso")
    assert {o.state["obj.freed"] for o in got.result.outcomes} == {1}


@axiomatic
def test_publish_drop_catches_arc_without_its_acquire_fence():
    """Rust's sync.rs explains the `acquire!` before `drop_slow`: without it the
    deleting thread's destructor does not synchronise with the writer's release, and
    RC11 calls the payload accesses a race."""
    from incref.schemes.arc import Arc

    class NoFence(Arc):
        name = "arc-nofence"
        acquire_fence = False

    program = schemes.apply_scheme(zoo._load(zoo.plan(["arc"], ["publish-drop"], ["rc11"])[0][1].path), NoFence())
    assert "data-race" in check(program, "rc11").violation_kinds()
