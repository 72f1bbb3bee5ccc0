"""`incref bench`: the loops are the schemes' own expansions, the numbers come with the
machine, and bad options are one line and exit 2. (Speed targets live in
benchmarks/bench_hardware.py, not here.)"""

import json
import sys

import pytest

from hardware_support import needs_cc
from incref.hardware.bench import VARIANTS, bench, bench_variant, loop_program
from incref.ir.program import Load, Order, Rmw, Store
from incref.schemes import get
from incref.schemes import names as scheme_names
from incref.schemes.base import Expansion

VARIANT = {v.name: v for v in VARIANTS}


def memory_ops(code):
    return [(type(i).__name__, getattr(i, "order", None)) for i in code if isinstance(i, (Load, Store, Rmw))]


@pytest.mark.parametrize("name", ["plain", "atomic", "gil", "immortal"])
def test_a_loop_body_is_the_schemes_own_incref_then_decref(name):
    program, bodies = loop_program(VARIANT[name], 2, "shared")
    obj = program.objects["o0"]
    scheme = get(VARIANT[name].scheme)
    x = Expansion(0, 2)
    assert memory_ops(bodies[0]) == memory_ops(scheme.incref(obj, x) + scheme.decref(obj, x))
    assert memory_ops(bodies[0]) == memory_ops(bodies[1])


def test_atomic_relaxed_is_atomic_with_relaxed_orders_and_private_objects_are_distinct():
    _, relaxed = loop_program(VARIANT["atomic-relaxed"], 1, "private")
    assert [order for kind, order in memory_ops(relaxed[0]) if kind == "Rmw"] == [Order.RLX, Order.RLX]
    program, bodies = loop_program(VARIANT["plain"], 2, "private")
    assert {i.loc for i in bodies[0] if isinstance(i, Load)} == {"o0.refcnt", "o0.payload"}
    assert {i.loc for i in bodies[1] if isinstance(i, Load)} == {"o1.refcnt", "o1.payload"}


@pytest.fixture(autouse=True)
def short_runs(monkeypatch):
    """Runs of a few milliseconds: these tests check the plumbing, not the numbers."""
    monkeypatch.setattr("incref.hardware.bench.RUN_SECONDS", 0.003)


@needs_cc
def test_a_measurement_is_positive_and_records_the_machine():
    report = bench(["plain", "atomic"], (1,), runs=2)
    plain, atomic = report.measurements
    assert plain.name == "plain" and atomic.name == "atomic"
    assert plain.spread[0] <= plain.ns_per_op <= plain.spread[1]
    assert atomic.ns_per_op > plain.ns_per_op  # a locked instruction against two movs
    assert atomic.overhead_ns > 0 and atomic.loops >= 1_000
    assert report.environment["compiler_version"] and report.environment["cpu_model"]


@needs_cc
def test_cli_json_and_plot(tmp_path, capsys, monkeypatch):
    from incref.cli import main

    plot = tmp_path / "bench.png"
    monkeypatch.setattr(
        sys,
        "argv",
        ["incref", "bench", "--schemes", "plain", "--threads", "1", "--runs", "1", "--plot", str(plot), "--json"],
    )
    try:
        main()
    except SystemExit as exit_:
        assert exit_.code in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert [m["scheme"] for m in doc["measurements"]] == ["plain"]
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args, words",
    [
        (["--schemes", "nonsense"], "unknown benchmark scheme"),
        (["--threads", "0"], "--threads"),
        (["--threads", "x"], "--threads"),
    ],
)
def test_cli_bad_options_exit_2(args, words, capsys, monkeypatch):
    from incref.cli import main

    monkeypatch.setattr(sys, "argv", ["incref", "bench", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and words in err and len(err.strip().splitlines()) == 1


@needs_cc
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.scheme in scheme_names()], ids=lambda v: v.name)
def test_every_row_compiles_and_runs(variant):
    """Each scheme's expansion, whatever it holds (locks, CAS retry loops, branches),
    becomes a loop that runs."""
    m = bench_variant(variant, 2, "shared", runs=1)
    assert m.loops >= 1_000 and len(m.runs) == 1
