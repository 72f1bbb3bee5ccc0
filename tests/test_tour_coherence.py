"""The coherence chapter: its claims are the simulator's results, and "the line moved
between the load and the store" is read off the trace, not asserted by text."""

from __future__ import annotations

import pytest

from incref.compose import explain_lost_update
from incref.frontends import load_program
from incref.ir.program import Load, Store, describe
from incref.ir.results import Step, Violation
from incref.schemes import apply_scheme, get
from incref.tour import QUICK, line_moved, tell


def race_program(scheme: str = "plain"):
    return apply_scheme(load_program("incref-race"), get(scheme))


def steps_of(program, order):
    """A trace executing, in `order`, (thread, Load|Store) of obj.refcnt, labelled as engines do."""
    out = []
    for tid, kind in order:
        instr = next(i for i in program.threads[tid].code if isinstance(i, kind) and i.loc == "obj.refcnt")
        out.append(Step(tid, describe(instr), "detail"))
    return tuple(out)


def test_line_moved_finds_the_interleaved_store():
    program = race_program()
    racy = Violation("lost-update", "lost", steps_of(program, [(0, Load), (1, Load), (0, Store), (1, Store)]))
    assert line_moved(program, racy, "obj.refcnt") == {
        "thread": 1,
        "load_step": 2,
        "store_step": 4,
        "other": 0,
        "other_store_step": 3,
    }


def test_line_moved_is_none_when_the_increments_do_not_overlap():
    program = race_program()
    serial = Violation("lost-update", "x", steps_of(program, [(0, Load), (0, Store), (1, Load), (1, Store)]))
    assert line_moved(program, serial, "obj.refcnt") is None


def test_chapter_reports_the_simulators_results():
    exhaustive = pytest.importorskip("incref.simulator.exhaustive")
    machine = pytest.importorskip("incref.simulator.machine")
    protocols = pytest.importorskip("incref.simulator.protocols")
    from incref.checker import check

    chapter = tell("coherence", QUICK)
    assert chapter.omitted is None, chapter.omitted
    mesi = protocols.load("mesi", "bus")
    plain = exhaustive.simulate(race_program(), machine.Config(mesi, store_buffers=False))
    assert plain.stats.extra["swmr"] and plain.stats.extra["data_value"]
    assert chapter.data["explain"]["reachable_states"] == plain.stats.explored
    story = " ".join(chapter.story)
    assert f"SWMR held in all {plain.stats.explored:,} reachable states" in story
    replay = explain_lost_update(race_program(), machine.Config(mesi, store_buffers=False))
    assert replay.render() in chapter.figures and replay.conclusion in story

    lost = next(v for v in check(race_program(), "sc").violations if v.kind == "lost-update")
    moved = chapter.data["line_moved"]
    assert moved == line_moved(race_program(), lost, "obj.refcnt") is not None
    assert lost.trace[moved["load_step"] - 1].thread == moved["thread"]
    assert lost.trace[moved["other_store_step"] - 1].thread == moved["other"]

    atomic = exhaustive.simulate(race_program("atomic"), machine.Config(mesi, store_buffers=False))
    assert chapter.data["atomic"]["verdict"] == atomic.verdict == "safe"
    assert chapter.data["tso_agreement"]["equal"] is True
