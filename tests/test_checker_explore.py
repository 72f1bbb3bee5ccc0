"""The generic explorer: shortest traces (against a plain breadth-first search written
here), the reduction (same final states, fewer executions), exact execution counts
(interleavings counted by hand), budgets, blocked and cut executions, subtrees."""

import math
import pickle
from collections import deque

import pytest

from checker_scenarios import incref_decref, incref_race, two_objects
from incref.checker import check
from incref.checker.explore import COMPLETE, DictStore, explore, persistent_set, replay
from incref.checker.operational import OperationalSystem
from incref.frontends import load_program
from incref.ir.program import (
    Assume,
    BinOp,
    Branch,
    Const,
    Label,
    Load,
    LoopBound,
    Program,
    Reg,
    Store,
    Thread,
    link,
)
from incref.models.operational import MODELS
from incref.schemes import apply_scheme, get


def shortest_by_plain_bfs(system):
    """Minimal number of steps of a complete execution showing each violation kind:
    a breadth-first search of every interleaving, no reduction, no shared code with the
    explorer's search."""
    start = system.initial()
    depth = {start: 0}
    queue = deque([start])
    best = {}
    while queue:
        state = queue.popleft()
        enabled = system.enabled(state)
        if not enabled:
            for f in system.finish(state).findings:
                best.setdefault(f.kind, depth[state])
            continue
        for t in enabled:
            nxt = system.step(state, t)
            if nxt not in depth:
                depth[nxt] = depth[state] + 1
                queue.append(nxt)
    return best


def bundled_incref_decref():
    return apply_scheme(load_program("incref-decref"), get("plain"))


@pytest.mark.parametrize("model", ["sc", "tso", "pso"])
@pytest.mark.parametrize(
    "build",
    [incref_decref, bundled_incref_decref, lambda: incref_race(2, 2)],
    ids=["incref-decref-ir", "incref-decref-bundled", "race-2x2"],
)
def test_traces_are_as_short_as_a_plain_breadth_first_search_finds(model, build):
    program = build()
    expected = shortest_by_plain_bfs(OperationalSystem(program, MODELS[model]))
    assert expected, "the scenario must show violations"
    for reduction in (True, False):
        result = check(program, model, reduction=reduction)
        lengths = {v.kind: len(v.trace) for v in result.violations}
        assert lengths == expected


def test_execution_counts_are_the_number_of_interleavings():
    # n threads of 2 memory events each under SC: (2n)! / 2^n interleavings
    for n in (2, 3):
        result = check(incref_race(n, 1), "sc", reduction=False)
        assert result.stats.executions == math.factorial(2 * n) // 2**n
        assert sum(o.count for o in result.outcomes) == result.stats.executions


def test_reduction_halves_executions_when_threads_touch_different_objects():
    on = check(two_objects(2, 1, "plain"), "tso")
    off = check(two_objects(2, 1, "plain"), "tso", reduction=False)
    assert on.states() == off.states()
    assert on.violation_kinds() == off.violation_kinds()
    assert off.stats.executions >= 2 * on.stats.executions
    assert on.stats.explored < off.stats.explored


def test_budget_gives_incomplete_with_what_was_covered():
    result = check(incref_race(4, 2, "atomic"), "tso", max_states=50)
    assert result.verdict == "incomplete" and result.exit_code == 3
    assert not result.stats.complete
    assert "--max-states 50" in result.incomplete_reason and "states stored" in result.incomplete_reason
    timed = check(incref_race(6, 2, "gil"), "tso", timeout=0.05)
    assert timed.verdict == "incomplete" and "time budget" in timed.incomplete_reason


def _program(*threads, locations=None):
    return Program(
        "t", locations or {"x": 0, "y": 0}, tuple(Thread(i, tuple(c)) for i, c in enumerate(threads)), scheme="plain"
    )


def test_assume_blocks_an_execution_and_it_is_not_counted():
    # thread 1 waits until it has read x == 1: executions where it read 0 are not counted
    prog = _program([Store("x", Const(1))], [Load("r0", "x"), Assume(BinOp("==", Reg("r0"), Const(1)))])
    result = check(prog, "sc")
    assert result.verdict == "safe"
    assert [o.state["x"] for o in result.outcomes] == [1]
    assert result.stats.executions == 1


def test_loop_bound_makes_the_result_incomplete():
    prog = _program([Load("r0", "x"), LoopBound("spin loop bound 1")])
    result = check(prog, "sc")
    assert result.verdict == "incomplete"
    assert "spin loop bound 1" in result.incomplete_reason


def test_cyclic_state_graph_terminates_with_the_same_states():
    # a spin loop written as a backward branch: the state graph has a cycle
    spin = link([Label("top"), Load("r0", "y"), Branch(BinOp("==", Reg("r0"), Const(0)), "top"), Load("r1", "x")])
    prog = _program([Store("x", Const(1)), Store("y", Const(1))], spin)
    for model in ("sc", "tso", "pso"):
        on, off = check(prog, model), check(prog, model, reduction=False)
        assert on.states() == off.states()
        assert on.stats.complete and not on.stats.extra["executions_exact"]
    assert {o.state["x"] for o in check(prog, "pso").outcomes} == {1}


def test_subtrees_by_prefix_cover_the_whole_search_and_states_pickle():
    system = OperationalSystem(incref_race(2, 1), MODELS["tso"])
    whole = explore(system, reduction=False)
    first = system.enabled(system.initial())
    parts = [explore(system, reduction=False, prefix=[i]) for i in range(len(first))]
    assert sum(p.executions for p in parts) == whole.executions
    merged = {tuple(sorted(o.items())) for p in parts for o, _ in p.outcomes}
    assert merged == {tuple(sorted(o.items())) for o, _ in whole.outcomes}
    state, path = replay(system, [0, 0])
    assert pickle.loads(pickle.dumps(state)) == state and len(path) == 2
    assert system.finish(explore_end(system)).status == COMPLETE


def explore_end(system):
    state = system.initial()
    while system.enabled(state):
        state = system.step(state, system.enabled(state)[0])
    return state


class CountingStore(DictStore):
    """A visited-state store of our own: the explorer must use only the interface."""

    def __init__(self):
        super().__init__()
        self.lookups = 0

    def add(self, state, parent, transition, depth):
        self.lookups += 1
        return super().add(state, parent, transition, depth)


def test_the_visited_store_is_pluggable():
    system = OperationalSystem(incref_race(2, 1), MODELS["sc"])
    store = CountingStore()
    found = explore(system, store=store)
    assert found.explored == len(store) and store.lookups >= len(store)
    assert found.outcomes == explore(system).outcomes


def test_a_persistent_set_is_the_same_with_or_without_a_memo():
    system = OperationalSystem(two_objects(threads_per_object=1), MODELS["sc"])
    states, chosen = [system.initial()], []
    while states:
        state = states.pop()
        enabled = system.enabled(state)
        plain = persistent_set(system, state, enabled)
        assert plain == persistent_set(system, state, enabled, {})
        chosen += [] if plain is None else [plain]
        states += [system.step(state, t) for t in enabled]
    assert chosen and all(all(t.thread == ts[0].thread for t in ts) for ts in chosen)
