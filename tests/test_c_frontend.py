"""C programs as GenMC takes them (pthreads, C11 atomics, malloc/free), checked under
each model: the verdicts and execution-graph counts GenMC publishes for the same shapes."""

from pathlib import Path

import pytest

import incref
from incref.checker import check
from incref.frontends import load_program
from incref.frontends.c import parse_file
from incref.ir.program import Assume, Gil, Incref
from incref.schemes import apply_scheme, get

HERE = Path(__file__).parent / "c_programs"
POOL = Path(__file__).parent.parent / "examples" / "c" / "worker_pool.c"


def run(name, model, scheme="plain", engine="auto", **params):
    program = load_program(str(HERE / name), params or None)
    return check(apply_scheme(program, get(scheme)), model, engine=engine)


@pytest.mark.parametrize("model, executions", [("sc", 3), ("rc11", 4)])
def test_store_buffering_has_genmcs_graph_counts(model, executions):
    result = run("sb.c", model, engine="axiomatic")
    assert result.verdict == "safe"
    assert result.stats.executions == executions


def test_a_race_on_a_plain_variable_is_a_data_race_under_rc11_only():
    assert run("mp_race.c", "rc11").violation_kinds() == ["data-race"]
    assert run("mp_race.c", "sc").verdict == "safe"


def test_the_spin_loop_is_folded_into_an_assume():
    reader = parse_file(HERE / "mp_race.c").threads[2]
    assert any(isinstance(i, Assume) for i in reader.code)


def test_a_lost_increment_fails_mains_assertion_and_fetch_add_does_not():
    assert run("counter.c", "sc").violation_kinds() == ["assertion"]
    atomic = run("counter.c", "rc11", ATOMIC=1, N=3)
    assert atomic.verdict == "safe"
    assert atomic.stats.executions == 6  # the three increments in any coherence order


def test_free_while_another_thread_reads_is_a_use_after_free():
    assert "use-after-free" in run("use_after_free.c", "rc11").violation_kinds()
    assert "double-free" in run("use_after_free.c", "sc", TWICE=1).violation_kinds()


def test_an_unrolled_loop_is_complete_when_the_bound_suffices_and_says_so_when_not():
    assert run("cas_loop.c", "rc11").verdict == "safe"
    cut = run("cas_loop.c", "sc", unroll=0)
    assert cut.verdict == "incomplete"
    assert "cas_loop.c:12" in cut.incomplete_reason


def test_the_api_takes_a_c_file():
    assert incref.check(str(HERE / "sb.c"), "rc11").verdict == "safe"


# ---------------------------------------------------------------- the CPython API


def test_py_incref_becomes_the_schemes_operation_on_the_object():
    program = parse_file(POOL)
    assert set(program.objects) == {"shared_obj"}
    assert any(isinstance(i, Incref) for t in program.threads for i in t.code)
    with_gil = parse_file(POOL, {"USE_GIL": 1})
    assert any(isinstance(i, Gil) for t in with_gil.threads for i in t.code)


def test_the_worker_pool_loses_an_update_under_plain_with_the_source_line_in_the_trace():
    result = check(apply_scheme(parse_file(POOL), get("plain")), "tso")
    assert "lost-update" in result.violation_kinds()
    trace = next(v for v in result.violations if v.kind == "lost-update").trace
    assert any("worker_pool.c:25: PyObject *task = Py_NewRef(shared);" in s.step for s in trace)


@pytest.mark.parametrize("scheme, params", [("gil", {"USE_GIL": 1}), ("gil", None), ("atomic", None)])
def test_the_worker_pool_is_safe_with_the_gil_or_atomic_counts(scheme, params):
    assert check(apply_scheme(parse_file(POOL, params), get(scheme)), "tso").verdict == "safe"


def test_the_gil_macros_take_the_gil_only_in_the_classic_builds():
    program = parse_file(POOL, {"USE_GIL": 1})
    classic = apply_scheme(program, get("plain"))
    free_threaded = apply_scheme(program, get("atomic"))
    assert any(type(i).__name__ == "Lock" for t in classic.threads for i in t.code)
    assert not any(type(i).__name__ == "Lock" for t in free_threaded.threads for i in t.code)
