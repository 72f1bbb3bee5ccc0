"""Exhaustive mode: on every bundled protocol and interconnect, SWMR and the data-value
invariant hold in every reachable state, and the final states are exactly the model
checker's — x86-TSO's with store buffers, SC's without (Primer, 2nd ed., sections 3.5 and
4.3). A protocol with one invalidation removed is caught, with a shortest execution."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

import incref
from incref.checker import check
from incref.errors import Unsupported
from incref.frontends import load_program
from incref.schemes import apply_scheme, get
from incref.simulator.exhaustive import coherent, simulate
from incref.simulator.machine import Config, Machine
from incref.simulator.protocols import INTERCONNECTS, load, names

SCENARIOS = {
    "incref-race/plain": ("incref-race", {}, "plain"),
    "incref-race/atomic": ("incref-race", {}, "atomic"),
    "sb": ("sb", {}, "plain"),
    "mp": ("mp", {}, "plain"),
    # an `await` that never holds blocks an execution, which is then not counted
    "ttas-lock": ("ttas-lock", {}, "plain"),
    # frees, use after free and leaks: the refcount invariants on the machine
    "incref-decref": ("incref-decref", {}, "plain"),
}
_CHECKED: dict = {}


def program(key: str, threads: int | None = None):
    spec, params, scheme = SCENARIOS[key]
    params = dict(params, threads=threads) if threads else params
    return apply_scheme(load_program(spec, params or None), get(scheme))


def reference(prog, model):
    key = (prog.name, prog.scheme, len(prog.threads), model)
    if key not in _CHECKED:
        _CHECKED[key] = check(prog, model)
    return _CHECKED[key]


def assert_matches_model(prog, proto: str, interconnect: str, store_buffers: bool):
    result = simulate(prog, Config(load(proto, interconnect), store_buffers=store_buffers))
    ref = reference(prog, "tso" if store_buffers else "sc")
    assert result.stats.complete and ref.stats.complete
    assert coherent(result), [v.message for v in result.violations]
    assert result.stats.extra["swmr"] and result.stats.extra["data_value"]
    assert result.stats.explored > 0
    assert result.states() == ref.states()
    assert result.violation_kinds() == ref.violation_kinds()


@pytest.mark.parametrize("store_buffers", [True, False], ids=["tso", "sc"])
@pytest.mark.parametrize("interconnect", INTERCONNECTS)
@pytest.mark.parametrize("proto", names())
@pytest.mark.parametrize("key", SCENARIOS)
def test_two_cores_coherent_and_equal_to_the_model(key, proto, interconnect, store_buffers):
    assert_matches_model(program(key), proto, interconnect, store_buffers)


@pytest.mark.parametrize("store_buffers", [True, False], ids=["tso", "sc"])
@pytest.mark.parametrize("proto", names())
@pytest.mark.parametrize("key", ["incref-race/plain", "incref-race/atomic"])
def test_three_cores_on_a_bus(key, proto, store_buffers):
    assert_matches_model(program(key, threads=3), proto, "bus", store_buffers)


@pytest.mark.parametrize("store_buffers", [True, False], ids=["tso", "sc"])
@pytest.mark.parametrize("proto", names())
@pytest.mark.parametrize("key", ["incref-race/plain", "incref-race/atomic"])
def test_three_cores_on_a_directory(key, proto, store_buffers):
    assert_matches_model(program(key, threads=3), proto, "directory", store_buffers)


def test_store_buffers_are_what_allows_store_buffering():
    """sb's r0 = r1 = 0 is a TSO outcome, not an SC one: it appears exactly when the
    machine has store buffers, whatever the protocol."""
    prog = program("sb")
    both_zero = (("0:r0", 0), ("1:r0", 0))

    def seen(store_buffers):
        states = simulate(prog, Config(load("mesi", "bus"), store_buffers=store_buffers)).states()
        return any(all(kv in s for kv in both_zero) for s in states)

    assert seen(True) and not seen(False)


def test_writebacks_and_evictions_keep_the_invariants():
    """With evictions at any time (PutS/PutM and their races with forwarded requests)."""
    prog = program("incref-race/plain")
    for proto in names():
        for interconnect in INTERCONNECTS:
            result = simulate(prog, Config(load(proto, interconnect), evictions=True))
            assert coherent(result) and result.stats.complete
            assert result.states() == reference(prog, "tso").states()
            assert result.stats.extra["cells_exercised"]["cache"]["M"]["Replacement"] > 0


def shortest_depth(machine: Machine, kind: str, limit: int = 40) -> int | None:
    """Plain breadth-first search (no reduction) for the fewest steps to a state whose
    findings include `kind`: the yardstick for "shortest counterexample"."""
    start = machine.initial()
    seen = {start}
    frontier = deque([(start, 0)])
    while frontier:
        state, depth = frontier.popleft()
        if any(k == kind for k, _ in state[4]):
            return depth
        if depth == limit:
            continue
        for t in machine.enabled(state):
            nxt = machine.step(state, t)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append((nxt, depth + 1))
    return None


@pytest.mark.parametrize(
    "interconnect, cell",
    [
        ("bus", ("S", "OtherGetM", "/S")),  # a sharer ignores another core's GetM
        ("directory", ("S", "Inv", "invack>req")),  # a sharer acks the invalidation but keeps its copy
    ],
)
def test_a_missing_invalidation_is_caught_with_a_shortest_trace(interconnect, cell):
    prog = program("incref-race/plain")
    good = load("msi", interconnect)
    broken = good.with_cell("cache", *cell)
    result = simulate(prog, Config(broken))
    assert not result.stats.extra["swmr"]
    swmr = next(v for v in result.violations if v.kind == "swmr")
    assert "writer and another copy" in swmr.message
    assert len(swmr.trace) == shortest_depth(Machine(prog, Config(broken)), "swmr")
    assert coherent(simulate(prog, Config(good)))


def test_an_impossible_cell_reached_is_a_protocol_error():
    prog = program("incref-race/plain")
    broken = load("mesi", "directory").with_cell("cache", "IS_D", "FwdGetS", "-")
    result = simulate(prog, Config(broken))
    errors = [v for v in result.violations if v.kind == "protocol"]
    assert errors and "FwdGetS" in errors[0].message and "IS_D" in errors[0].message


def test_zero_cores_is_a_usage_error():
    from incref.errors import UsageError
    from incref.ir.program import Program

    with pytest.raises(UsageError, match="zero threads"):
        Machine(Program("empty", {"x": 0}, ()), Config(load("msi")))


CATALOGUE = sorted((Path(incref.__file__).parent / "catalogue").rglob("*.litmus"))


@pytest.mark.parametrize("path", CATALOGUE, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_litmus_catalogue_on_a_bus_has_tsos_outcomes(path):
    """Every catalogue test the TSO checker can run (exclusives are ARMv8 only) has the
    same final states on MESI with store buffers: seq_cst stores as locked writes, fences,
    dependencies and all."""
    prog = load_program(str(path))
    try:
        ref = check(prog, "tso")
    except Unsupported:
        pytest.skip("exclusive load/store: an ARMv8 feature")
    result = simulate(prog, Config(load("mesi", "bus")))
    assert coherent(result) and result.stats.complete
    assert result.states() == ref.states()
