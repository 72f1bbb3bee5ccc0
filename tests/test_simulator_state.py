"""The simulator's state is plain named data and its transition system is pure: a state
pickles and comes back equal (so it can be stored or shipped to another worker), and the
protocol-table cells `cells_exercised` reports are counted on the edges of the explored
graph — taking a step, or explaining one for a trace, changes nothing."""

from __future__ import annotations

import pickle
from collections import deque

import pytest

from incref.checker.explore import explore
from incref.frontends import load_program
from incref.schemes import apply_scheme, get
from incref.simulator.exhaustive import simulate
from incref.simulator.machine import Cache, Config, Home, Line, Machine, MachineState, Message
from incref.simulator.protocols import load

CONFIGS = [("mesi", "bus"), ("moesi", "directory")]


def race(scheme: str = "plain"):
    return apply_scheme(load_program("incref-race"), get(scheme))


def reachable(machine: Machine) -> list[MachineState]:
    """Every reachable state, by a plain breadth-first search without any reduction."""
    seen = {machine.initial()}
    todo = deque(seen)
    while todo:
        state = todo.popleft()
        for t in machine.enabled(state):
            nxt = machine.step(state, t)
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return list(seen)


@pytest.mark.parametrize(("protocol", "interconnect"), CONFIGS)
def test_every_reachable_state_pickles_round_trip(protocol, interconnect):
    machine = Machine(race(), Config(load(protocol, interconnect)))
    states = reachable(machine)
    assert any(state.net for state in states) == (interconnect == "directory")
    for state in states:
        back = pickle.loads(pickle.dumps(state))
        assert back == state and hash(back) == hash(state)
        assert isinstance(back.lines[0], Line) and isinstance(back.lines[0].home, Home)
        assert all(isinstance(c, Cache) for line in back.lines for c in line.caches)
        assert all(isinstance(m, Message) for _, msgs in back.net for m in msgs)


@pytest.mark.parametrize(("protocol", "interconnect"), CONFIGS)
def test_cells_exercised_are_summed_over_the_edges_of_the_explored_graph(protocol, interconnect):
    machine = Machine(race(), Config(load(protocol, interconnect)))
    expected: dict = {}
    for state in reachable(machine):  # without reduction, every enabled move is an edge
        for t in machine.enabled(state):
            for cell, n in machine.step_counting(state, t)[1].items():
                expected[cell] = expected.get(cell, 0) + n
    assert explore(machine, reduction=False).counted == expected


def test_stepping_and_explaining_change_no_count():
    config = Config(load("mesi", "bus"))
    before = simulate(race(), config).stats.extra["cells_exercised"]
    machine = Machine(race(), config)
    state = machine.initial()
    for _ in range(6):  # walk one execution, explaining every move on the way
        moves = machine.enabled(state)
        if not moves:
            break
        for t in moves:
            machine.explain(state, t)
            assert machine.step(state, t) == machine.step(state, t)
        state = machine.step(state, moves[0])
    found = explore(machine)
    assert found.counted == explore(machine).counted
    assert simulate(race(), config).stats.extra["cells_exercised"] == before
