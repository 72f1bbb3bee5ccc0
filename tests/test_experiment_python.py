"""The experiments on a real interpreter: each runs its fixed probe in a subprocess and
its numbers must obey the physics it claims (a lost increment is expected - final; a
read dirties pages; gc.freeze() stops the collector's writes)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest

from incref.errors import InputError, UsageError
from incref.hardware.experiments import run
from incref.hardware.experiments.report import findings
from incref.hardware.experiments.runner import ProbeTimeout, run_probe

FREE_THREADED = next((p for p in (shutil.which(n) for n in ("python3.14t", "python3.13t")) if p), None)


def other_cpythons() -> list[str]:
    """Other CPython 3.11+ builds on this machine (PATH, pyenv) that really start: one per
    distinct version and build, this interpreter's own left out. Scripts (pyenv's shims)
    are passed over: the binaries they would pick are globbed directly."""
    names = [shutil.which(f"python3.{minor}{t}") for minor in range(11, 16) for t in ("", "t")]
    names += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[1-9]*/bin/python3")))
    ask = "import sys, sysconfig; print(sys.version, sysconfig.get_config_var('Py_GIL_DISABLED'))"
    ours = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True).stdout
    found = {ours: sys.executable}
    for path in filter(None, names):
        with open(path, "rb") as f:
            if f.read(2) == b"#!":
                continue
        proc = subprocess.run([path, "-c", ask], capture_output=True, text=True, timeout=30)
        if proc.returncode == 0 and tuple(map(int, proc.stdout.split()[0].split(".")[:2])) >= (3, 11):
            found.setdefault(proc.stdout, path)
    return sorted(p for p in found.values() if p != sys.executable)


@pytest.fixture(scope="module")
def race():
    """Run through `--python` with this very interpreter, 3 threads."""
    return run("python-race", python=sys.executable, threads=3, quick=True)


def test_race_counts_are_consistent(race):
    assert race.threads == 3 and len(race.cases) == 4 and race.runs == 5
    for case in race.cases:
        assert case.expected == race.threads * race.increments
        assert len(case.finals) == len(case.seconds) == race.runs
        assert all(0 < final <= case.expected for final in case.finals)
        assert case.lost in case.lost_runs and sorted(case.lost_runs)[(race.runs - 1) // 2] == case.lost


def test_a_threading_lock_loses_nothing_in_any_run_and_costs_time(race):
    locked, plain = race.case("with lock: counter += 1"), race.case("counter += 1")
    assert locked.lost_runs == (0,) * race.runs
    assert "LOAD_GLOBAL lock" in locked.bytecode and "STORE_GLOBAL counter" in locked.bytecode
    assert locked.ns_per_increment.median > plain.ns_per_increment.median


def test_plus_equals_is_several_instructions(race):
    """`dis` of the interpreter under test: the load and the store are separate steps."""
    ops = [step.split()[0] for step in race.case("counter += 1").bytecode]
    assert "LOAD_GLOBAL" in ops and "STORE_GLOBAL" in ops
    assert ops.index("LOAD_GLOBAL") < ops.index("STORE_GLOBAL")


@pytest.mark.skipif(
    not sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else False, reason="the caveat is about GIL builds"
)
def test_gil_hides_the_loss_only_until_a_switch_point_sits_inside(race):
    """The median of 5 runs, each long enough for dozens of switch intervals: a single
    short run could see too few switches to land one inside (it once lost 0)."""
    call = race.case("counter = counter + one()")
    assert call.lost > 0, f"a call between load and store lets the GIL switch threads there: {call.lost_runs}"
    text = " ".join(findings(race))
    if max(race.case("counter += 1").lost_runs) == 0:
        assert "not a guarantee" in text and call.lost_per_million.text() in text


def test_explicit_python_path_runs_that_interpreter(race):
    assert os.path.realpath(race.environment.executable) == os.path.realpath(sys.executable)


@pytest.mark.skipif(FREE_THREADED is None, reason="no python3.13t/python3.14t on PATH")
def test_free_threaded_build_reports_gil_off_and_loses_increments():
    result = run("python-race", python=FREE_THREADED, quick=True)
    assert result.environment.build == "free-threaded"
    assert result.environment.has_is_gil_enabled
    if not result.environment.gil_enabled:
        assert result.case("counter += 1").lost > 0
        assert result.case("with lock: counter += 1").lost_runs == (0,) * result.runs


def immortal_strings_are_never_copied(result) -> None:
    """Whatever the interpreter: if it reports its interned strings immortal, reading them
    copies (almost) nothing; if not, reading them copies (almost) all their pages."""
    copied = result.child("read-interned", False).private_dirty_mb - result.child("idle", False).private_dirty_mb
    if result.interned_strings_immortal:
        assert copied < 0.2 * result.strings_mb
    else:
        assert copied > 0.8 * result.strings_mb


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork-cow reads /proc")
@pytest.mark.parametrize(
    "python", other_cpythons() or [pytest.param(None, marks=pytest.mark.skip("no other CPython 3.11+"))]
)
def test_fork_cow_in_other_interpreters(python):
    result = run("fork-cow", python=python, quick=True)
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    ).stdout.strip()
    assert result.environment.python == version
    assert result.environment.has_is_gil_enabled == (tuple(map(int, version.split(".")[:2])) >= (3, 13))
    immortal_strings_are_never_copied(result)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork-cow reads /proc")
def test_fork_cow_reads_dirty_pages_and_freeze_stops_the_collector():
    result = run("fork-cow", quick=True)
    immortal_strings_are_never_copied(result)
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
    two, one = result.row("shared", 2).runs_s, result.row("shared", 1).runs_s
    per_repeat = sorted(t / o for t, o in zip(two, one, strict=True))
    assert result.ratio("shared") == pytest.approx(per_repeat[len(per_repeat) // 2])
    if result.environment.gil_enabled:
        assert result.ratio("shared") > 1.1, "the GIL serialises the threads"


def test_bad_usage_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown experiment"):
        run("no-such")
    with pytest.raises(UsageError, match="--threads"):
        run("python-race", threads=0)
    with pytest.raises(UsageError, match="between 2 and"):
        run("pyobject-contention", threads=1)
    with pytest.raises(UsageError, match="runs no threads"):
        run("fork-cow", threads=2)
    with pytest.raises(UsageError, match="--python"):
        run("python-race", python="/no/such/python")


def test_an_interpreter_that_cannot_answer_is_one_input_error():
    with pytest.raises(InputError, match="could not run"):
        run_probe("python_race", {}, python=shutil.which("false") or "/bin/false")


def test_a_probe_past_its_deadline_is_incomplete():
    with pytest.raises(ProbeTimeout, match="did not finish within"):
        run_probe("python_race", {"increments": 10**9}, timeout=0.5)


def test_probe_takes_only_its_own_positive_integers():
    with pytest.raises(InputError, match="unknown argument"):
        run_probe("python_race", {"bogus": 1})
    with pytest.raises(InputError, match="positive integer"):
        run_probe("python_race", {"threads": -1})
