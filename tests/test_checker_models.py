"""The facts the operational checker must reproduce, on the bundled examples: each fact
is a published litmus verdict (SB, MP: Owens, Sarkar, Sewell, TPHOLs 2009; SPARC v9
appendix D) or follows by counting interleavings by hand."""

from pathlib import Path

import pytest

import incref
from incref.checker import check
from incref.frontends import load_program
from incref.schemes import apply_scheme, get


def run(example, model, scheme="plain", reduction=True, **params):
    program = apply_scheme(load_program(example, params or None), get(scheme))
    return check(program, model, reduction=reduction)


def refcounts(result):
    return sorted({o.state["obj.refcnt"] for o in result.outcomes})


def test_incref_race_plain_sc_loses_an_increment():
    result = run("incref-race", "sc")
    assert refcounts(result) == [2, 3]
    assert "lost-update" in result.violation_kinds()
    assert result.verdict == "violation" and result.exit_code == 1


def test_incref_race_three_threads_two_ops_tso_every_count_from_3_to_7():
    result = run("incref-race", "tso", threads=3, ops=2)
    assert refcounts(result) == [3, 4, 5, 6, 7]
    assert result.stats.complete


@pytest.mark.parametrize("scheme", ["gil", "atomic"])
@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
def test_gil_and_atomic_are_safe(scheme, model):
    race = run("incref-race", model, scheme, threads=3, ops=2)
    assert race.verdict == "safe", race.violations
    assert refcounts(race) == [7]
    decref = run("incref-decref", model, scheme)
    assert decref.verdict == "safe", decref.violations


@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
def test_incref_decref_plain_finds_exactly_lost_update_leak_use_after_free(model):
    result = run("incref-decref", model)
    assert result.violation_kinds() == ["leak", "lost-update", "use-after-free"]
    uaf = next(v for v in result.violations if v.kind == "use-after-free")
    # the borrower (thread 0) frees in its first decref and touches the count in its second
    assert "thread 0" in uaf.message and "obj.refcnt" in uaf.message
    assert any(s.step.endswith("free obj") for s in uaf.trace)


def both_zero(result, a="0:r0", b="1:r0"):
    return any(o.state[a] == 0 and o.state[b] == 0 for o in result.outcomes)


@pytest.mark.parametrize(
    "model,fence,allowed",
    [
        ("sc", 0, False),
        ("tso", 0, True),
        ("pso", 0, True),
        ("tso", 1, False),
        ("pso", 1, False),
    ],
)
def test_store_buffering(model, fence, allowed):
    result = run("sb", model, fence=fence)
    assert both_zero(result) is allowed
    assert result.condition_holds is allowed


@pytest.mark.parametrize("model,allowed", [("sc", False), ("tso", False), ("pso", True)])
def test_message_passing_stale_read_only_under_pso(model, allowed):
    result = run("mp", model)
    stale = any(o.state["1:r0"] == 1 and o.state["1:r1"] == 0 for o in result.outcomes)
    assert stale is allowed
    assert run("mp", model, fence=1).condition_holds is False


@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
def test_reduction_keeps_the_set_of_final_states(model):
    for example, params in [("incref-decref", {}), ("sb", {}), ("mp", {}), ("incref-race", {"threads": 3})]:
        on = run(example, model, **params)
        off = run(example, model, reduction=False, **params)
        assert on.states() == off.states(), example
        assert on.violation_kinds() == off.violation_kinds(), example
        assert on.stats.executions <= off.stats.executions


@pytest.mark.parametrize("model", ["sc", "tso"])
@pytest.mark.parametrize(
    "example,params",
    [
        ("sb", {}),
        ("sb", {"fence": 1}),
        ("mp", {}),
        ("mp", {"fence": 1}),
        ("incref-race", {}),
        ("ttas-lock", {}),
    ],
)
def test_operational_and_axiomatic_engines_agree(model, example, params):
    program = apply_scheme(load_program(example, params or None), get("plain"))
    operational = check(program, model)
    axiomatic = check(program, model, engine="axiomatic")
    assert operational.engine == "operational" and axiomatic.engine == "axiomatic"
    assert operational.states() == axiomatic.states()
    assert operational.violation_kinds() == axiomatic.violation_kinds()


X86_CATALOGUE = sorted((Path(incref.__file__).parent / "catalogue" / "x86").glob("*.litmus"))


@pytest.mark.parametrize("path", X86_CATALOGUE, ids=[p.stem for p in X86_CATALOGUE])
def test_x86_catalogue_operational_tso_agrees_with_axiomatic_tso(path):
    program = load_program(str(path))
    operational = check(program, "tso")
    axiomatic = check(program, "tso", engine="axiomatic")
    assert operational.states() == axiomatic.states()
    assert operational.condition_holds == axiomatic.condition_holds


def test_x86_catalogue_published_tso_verdicts():
    # x86-TSO allows exactly SB and R among these (Owens, Sarkar, Sewell, TPHOLs 2009; herd7 x86tso.cat)
    holds = {
        p.stem: check(load_program(str(p)), "tso").condition_holds
        for p in X86_CATALOGUE
        if p.stem in ("SB", "R", "MP", "LB", "SB+mfences", "IRIW", "2+2W")
    }
    assert holds == {"SB": True, "R": True, "MP": False, "LB": False, "SB+mfences": False, "IRIW": False, "2+2W": False}
