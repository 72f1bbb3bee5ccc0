"""Reports say what the result holds: numbers come from the result object, and the
caveats depend on the interpreter's GIL state, not on canned text."""

from __future__ import annotations

import json

from rich.console import Console

from incref.hardware.experiments.report import findings, render
from incref.hardware.experiments.results import (
    ChildMemory,
    Contention,
    ContentionRow,
    Environment,
    ForkCow,
    PythonRace,
    RaceCase,
    Spread,
)


def env(gil: bool, cores: int = 2) -> Environment:
    return Environment(
        "3.13.1",
        "CPython",
        "/opt/py/bin/python3.13t",
        "free-threaded",
        gil,
        True,
        0.005,
        "Test CPU",
        cores,
        cores,
        "Linux",
        3.5,
    )


def race(gil: bool, plain_finals: tuple[int, ...]) -> PythonRace:
    def case(statement, finals, seconds=(0.0001,) * 5):
        return RaceCase("global int", statement, ("LOAD_GLOBAL counter", "STORE_GLOBAL counter"), 2000, finals, seconds)

    return PythonRace(
        "python-race",
        env(gil),
        threads=2,
        increments=1000,
        runs=5,
        cases=(
            case("counter += 1", plain_finals),
            case("counter = counter + one()", (1234, 1300, 1500, 1600, 1700)),
            case("with lock: counter += 1", (2000,) * 5, (0.00045, 0.0005, 0.0005, 0.0005, 0.00055)),
        ),
    )


def text(result) -> str:
    console = Console(width=200, record=True)
    console.print(render(result))
    return console.export_text()


def test_race_numbers_come_from_the_result():
    result = race(gil=True, plain_finals=(2000,) * 5)
    out = text(result)
    assert "0 lost per million (in each of 5 runs)" in out
    assert "150,000–383,000 lost per million (5 runs, median 250,000)" in out
    assert "not a guarantee" in out and "5 ms" in out
    doc = json.loads(json.dumps(result.to_json()))
    assert doc["cases"][1]["lost_runs"] == [766, 700, 500, 400, 300] and doc["cases"][1]["lost"] == 500
    assert doc["cases"][1]["lost_per_million"]["median"] == 250000.0


def test_the_lock_case_says_none_lost_and_its_cost():
    lines = findings(race(gil=True, plain_finals=(2000,) * 5))
    lock = next(line for line in lines if "threading.Lock" in line)
    assert "none lost in any run" in lock
    assert "250.0 ns per increment (median of 5 runs, range 225.0–275.0)" in lock
    assert "50.0 ns per increment (in each of 5 runs)" in lock


def test_a_figure_whose_runs_disagree_is_shown_as_a_range():
    assert Spread((10.0, 11.0, 12.0), "ns").text() == "11 ns (median of 3 runs, range 10–12)"
    assert Spread((0.0, 0.0, 5.0), "lost").text() == "0–5 lost (3 runs, median 0)"
    assert Spread((7.0,), "x").text(1) == "7.0x (1 run)"


def test_race_without_gil_tells_the_plain_race_story():
    lines = findings(race(gil=False, plain_finals=(1500, 1500, 1500, 1450, 1550)))
    assert any("The GIL is off" in line for line in lines)
    assert not any("not a guarantee" in line for line in lines)
    assert "250,000 lost per million (median of 5 runs, range 225,000–275,000)" in lines[0]


def contention(gil: bool) -> Contention:
    rows = tuple(
        ContentionRow(s, n, (t, t, t))
        for s, n, t in (("shared", 1, 1.0), ("shared", 2, 3.0), ("private", 1, 1.0), ("private", 2, 1.2))
    )
    return Contention(
        "pyobject-contention", env(gil), threads=2, touches=1000, references_per_touch=8, repeats=3, rows=rows
    )


def test_contention_ratio_and_gil_explanation():
    free, locked = contention(gil=False), contention(gil=True)
    assert free.ratio("shared") == 3.0 and free.ratio("private") == 1.2
    assert "2.50x (in each of 3 runs) as long" in " ".join(findings(free))
    assert "serialised" in " ".join(findings(locked)) and "serialised" not in " ".join(findings(free))
    assert free.to_json()["shared_over_private"] == 2.5


def test_a_gil_ratio_below_n_is_called_noise():
    rows = tuple(
        ContentionRow(s, n, (t,))
        for s, n, t in (("shared", 1, 1.0), ("shared", 2, 1.2), ("private", 1, 1.0), ("private", 2, 2.0))
    )
    noisy = Contention(
        "pyobject-contention", env(True), threads=2, touches=1000, references_per_touch=8, repeats=1, rows=rows
    )
    assert any("noisy" in line and "load average 3.5 on 2 cores" in line for line in findings(noisy))
    serial = tuple(ContentionRow(r.sharing, r.threads, (2.1 if r.threads == 2 else 1.0,)) for r in rows)
    quiet = Contention(
        "pyobject-contention", env(True), threads=2, touches=1000, references_per_touch=8, repeats=1, rows=serial
    )
    assert not any("noisy" in line for line in findings(quiet))


def test_fork_cow_subtracts_the_idle_baseline():
    def child(behaviour, freeze, dirty_kb):
        return ChildMemory(
            behaviour,
            behaviour,
            freeze,
            {"Rss": 200000, "Shared_Clean": 0, "Shared_Dirty": 100000, "Private_Clean": 0, "Private_Dirty": dirty_kb},
            0.01,
        )

    children = tuple(
        child(b, f, kb)
        for f in (False, True)
        for b, kb in (
            ("idle", 1024),
            ("read", 11 * 1024),
            ("collect", 21 * 1024 if not f else 1024),
            ("read+collect", 21 * 1024),
            ("read-interned", 1024),
        )
    )
    result = ForkCow(
        "fork-cow",
        env(True),
        objects=10,
        object_type="Node",
        objects_mb=10.0,
        strings_mb=5.0,
        interned_strings_immortal=True,
        interned_string_refcount=2**32 - 1,
        page_size=4096,
        children=children,
    )
    lines = findings(result)
    assert "copy 10.0 MB" in lines[0]
    assert "20.0 MB without gc.freeze() and 0.0 MB with it" in lines[1]
    assert "immortal in this interpreter" in lines[3] and "copied 0.0 MB" in lines[3]


def test_skipped_experiment_says_why():
    result = ForkCow("fork-cow", env(True), skipped="needs Linux")
    assert result.to_json()["skipped"] == "needs Linux" and "children" not in result.to_json()
    assert "skipped: needs Linux" in text(result)
