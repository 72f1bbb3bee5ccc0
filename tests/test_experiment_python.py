"""The experiments on a real interpreter: each runs its fixed probe in a subprocess and
its numbers must obey the physics it claims (a lost increment is expected - final; a
read dirties pages; gc.freeze() stops the collector's writes)."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from incref.errors import InputError, UsageError
from incref.hardware.experiments import run
from incref.hardware.experiments.report import findings
from incref.hardware.experiments.runner import run_probe

FREE_THREADED = next((p for p in (shutil.which(n) for n in ("python3.14t", "python3.13t")) if p), None)


@pytest.fixture(scope="module")
def race():
    return run("python-race", quick=True)


def test_race_counts_are_consistent(race):
    assert race.threads == 2 and len(race.cases) == 3
    for case in race.cases:
        assert case.expected == race.threads * race.increments
        assert 0 < case.final <= case.expected
        assert case.lost == case.expected - case.final


def test_plus_equals_is_several_instructions(race):
    """`dis` of the interpreter under test: the load and the store are separate steps."""
    ops = [step.split()[0] for step in race.case("counter += 1").bytecode]
    assert "LOAD_GLOBAL" in ops and "STORE_GLOBAL" in ops
    assert ops.index("LOAD_GLOBAL") < ops.index("STORE_GLOBAL")


@pytest.mark.skipif(not sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else False,
                    reason="the caveat is about GIL builds")
def test_gil_hides_the_loss_only_until_a_switch_point_sits_inside(race):
    call = race.case("counter = counter + one()")
    assert call.lost > 0, "a call between load and store lets the GIL switch threads there"
    text = " ".join(findings(race))
    if race.case("counter += 1").lost == 0:
        assert "not a guarantee" in text and f"{call.lost:,}" in text


def test_explicit_python_path_runs_that_interpreter():
    result = run("python-race", python=sys.executable, threads=3, quick=True)
    assert os.path.realpath(result.environment.executable) == os.path.realpath(sys.executable)
    assert result.threads == 3 and result.cases[0].expected == 3 * result.increments


@pytest.mark.skipif(FREE_THREADED is None, reason="no python3.13t/python3.14t on PATH")
def test_free_threaded_build_reports_gil_off_and_loses_increments():
    result = run("python-race", python=FREE_THREADED, quick=True)
    assert result.environment.build == "free-threaded"
    if not result.environment.gil_enabled:
        assert result.case("counter = counter + one()").lost > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork-cow reads /proc")
def test_fork_cow_reads_dirty_pages_and_freeze_stops_the_collector():
    result = run("fork-cow", quick=True)
    idle = result.child("idle", False).private_dirty_mb
    assert idle < 0.5 * result.objects_mb
    assert result.child("read", False).private_dirty_mb - idle > 0.8 * result.objects_mb
    assert result.child("read", True).private_dirty_mb - idle > 0.8 * result.objects_mb
    collect, frozen = result.child("collect", False).private_dirty_mb, result.child("collect", True).private_dirty_mb
    assert collect - idle > 0.8 * result.objects_mb
    assert frozen - idle < 0.2 * result.objects_mb
    for child in result.children:
        assert child.smaps_kb["Private_Dirty"] <= child.smaps_kb["Rss"]


def test_contention_rows_and_ratio():
    result = run("pyobject-contention", threads=2, quick=True)
    assert {(r.sharing, r.threads) for r in result.rows} == {(s, n) for s in ("shared", "private") for n in (1, 2)}
    assert all(len(r.runs_s) == result.repeats and 0 < r.best_s <= r.median_s for r in result.rows)
    expected = result.row("shared", 2).best_s / result.row("shared", 1).best_s
    assert result.ratio("shared") == pytest.approx(expected)
    if result.environment.gil_enabled:
        assert result.ratio("shared") > 1.1, "the GIL serialises the threads"


def test_bad_usage_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown experiment"):
        run("no-such")
    with pytest.raises(UsageError, match="--threads"):
        run("python-race", threads=0)
    with pytest.raises(UsageError, match="runs no threads"):
        run("fork-cow", threads=2)
    with pytest.raises(UsageError, match="--python"):
        run("python-race", python="/no/such/python")


def test_an_interpreter_that_cannot_answer_is_one_input_error():
    with pytest.raises(InputError, match="could not run"):
        run_probe("python_race", {}, python=shutil.which("false") or "/bin/false")


def test_probe_takes_only_its_own_positive_integers():
    with pytest.raises(InputError, match="unknown argument"):
        run_probe("python_race", {"bogus": 1})
    with pytest.raises(InputError, match="positive integer"):
        run_probe("python_race", {"threads": -1})
