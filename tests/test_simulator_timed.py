"""Timed mode: the compiled C loop and the Python loop agree exactly; the counts are the
protocol's (MESI's E state saves the upgrade MSI needs; a contended locked RMW moves the
line on every operation); costs follow the latencies; bad latencies are refused."""

from __future__ import annotations

import pytest

from incref.compose import predicted_ratios
from incref.errors import UsageError
from incref.hardware.bench import VARIANTS, loop_program
from incref.simulator import timed
from incref.simulator.machine import Config
from incref.simulator.protocols import INTERCONNECTS, load, names

BENCH = {v.name: v for v in VARIANTS}


def body(name: str, threads: int, sharing: str):
    return loop_program(BENCH[name], threads, sharing)[0]


@pytest.mark.parametrize("interconnect", INTERCONNECTS)
@pytest.mark.parametrize("proto", names())
@pytest.mark.parametrize("case", [("plain", 2, "shared"), ("atomic", 2, "shared"), ("gil", 2, "shared")])
def test_c_and_python_kernels_agree(case, proto, interconnect):
    config = Config(load(proto, interconnect))
    c = timed.run(body(*case), config, 3000, kernel="c")
    py = timed.run(body(*case), config, 3000, kernel="python")
    assert c.to_json() | {"seconds": 0, "simulated_ops_per_second": 0, "kernel": ""} == py.to_json() | {
        "seconds": 0,
        "simulated_ops_per_second": 0,
        "kernel": "",
    }


def test_exclusive_state_saves_the_upgrade():
    """One core loads then stores its private count: MSI needs GetS then GetM; MESI's
    GetS returns E and the store hits (Primer, 2nd ed., section 7.3)."""
    prog = body("plain", 1, "private")
    msi = timed.run(prog, Config(load("msi")), 10)
    mesi = timed.run(prog, Config(load("mesi")), 10)
    assert msi.messages.get("GetM") == 1 and msi.messages.get("GetS") == 1
    assert "GetM" not in mesi.messages and mesi.messages.get("DataExcl") == 1
    assert mesi.transitions["cache"]["E"]["Store"] == 1


def test_contended_rmw_moves_the_line_every_time():
    n = 1000
    result = timed.run(body("atomic", 2, "shared"), Config(load("mesi", "directory")), n)
    loop_rmws = 2 * 2 * n  # two threads, an incref and a decref per iteration
    # every RMW but the very first finds the line in the other core's cache
    assert result.messages["FwdGetM"] == loop_rmws - 1
    private = timed.run(body("atomic", 2, "private"), Config(load("mesi", "directory")), n)
    assert "FwdGetM" not in private.messages
    assert result.cycles_per_iteration() > 4 * private.cycles_per_iteration()


def test_costs_follow_the_latencies():
    prog = body("atomic", 1, "private")
    base = timed.run(prog, Config(load("mesi")), 1000)
    slower = timed.run(prog, Config(load("mesi")), 1000, {"rmw": timed.LATENCIES["rmw"] + 10})
    # two RMWs per iteration, each 10 cycles dearer
    assert slower.cycles_per_iteration() - base.cycles_per_iteration() == pytest.approx(20, abs=0.1)


def test_store_buffers_hide_store_latency():
    prog = body("plain", 2, "shared")
    with_sb = timed.run(prog, Config(load("mesi")), 1000)
    without = timed.run(prog, Config(load("mesi"), store_buffers=False), 1000)
    assert with_sb.cycles_per_iteration() < without.cycles_per_iteration()


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"l1": -1}, "must not be negative"),
        ({"l3": 5}, "unknown latency 'l3'"),
    ],
)
def test_bad_latencies_are_refused(bad, message):
    with pytest.raises(UsageError, match=message):
        timed.run(body("plain", 1, "private"), Config(load("msi")), 10, bad)


@pytest.mark.parametrize("iterations", [0, timed.MAX_ITERATIONS + 1])
def test_iterations_out_of_range_refused(iterations):
    with pytest.raises(UsageError, match="between 1 and"):
        timed.run(body("plain", 1, "private"), Config(load("msi")), iterations)


def test_predicted_ratios_have_the_expected_direction():
    rows = {r["ratio"]: r for r in predicted_ratios(Config(load("mesi")), iterations=2000)}
    assert rows["atomic vs plain, 1 thread"]["predicted"] > 1
    assert rows["atomic, 2 threads: shared vs private line"]["predicted"] > 1
    assert all(r["measured"] is None for r in rows.values())


def test_loads_forward_from_the_store_buffer():
    """Each load of the count follows a store to it one or two instructions earlier, still
    in the buffer (a hit drains in `l1` cycles): every load but the very first is forwarded.
    Without a buffer every load goes to the cache."""
    prog = body("plain", 1, "private")
    assert timed.run(prog, Config(load("mesi")), 100).extra["loads_forwarded"] == 2 * 100 - 1
    assert timed.run(prog, Config(load("mesi"), store_buffers=False), 100).extra["loads_forwarded"] == 0


def test_without_a_compiler_the_python_loop_runs(monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/cc")
    result = timed.run(body("plain", 1, "private"), Config(load("msi")), 10)
    assert result.extra["kernel"] == "python" and result.operations == 4 * 10
