"""The reads-from-driven search (`incref.checker.axiomatic.revisits`) is optimal: it
produces every consistent execution graph exactly once and never ends an exploration
without a graph. Checked against the value-enumerating search (`search.py`), which
counts the consistent graphs independently, on the catalogue and on random programs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from axiomatic_programs import programs
from incref import catalogue
from incref.checker.axiomatic import revisits, search
from incref.frontends import load_program
from incref.models import axiomatic as models

MODELS = ("sc", "tso", "pso", "rc11")


def _assert_optimal(program, model):
    cat = models.get(model)
    if not revisits.applies(program, cat):
        return
    tally = revisits.Tally()
    explorer = revisits.Explorer(program, cat, search.Counter(), tally)
    found = [revisits.signature(ex) for ex, blocked in explorer.run() if not blocked]
    consistent = sum(1 for _ in search.explore(program, cat, search.Counter(), True))
    assert len(found) == len(set(found)), f"{program.name} under {model}: a graph explored twice"
    assert len(found) == tally.graphs == consistent, f"{program.name} under {model}: {len(found)} != {consistent}"
    assert tally.dead_ends == 0, f"{program.name} under {model}: {tally.dead_ends} blocked explorations"


SMALL = [e for e in catalogue.entries() if not e.key.startswith("aarch64/") and "INC5" not in e.key]


@pytest.mark.parametrize("entry", SMALL, ids=[e.key for e in SMALL])
def test_every_catalogue_graph_once(entry):
    program = load_program(str(entry.path))
    for model in MODELS:
        _assert_optimal(program, model)


def test_models_that_forbid_porf_cycles_use_the_reads_from_search():
    assert [m for m in models.NAMES if models.get(m).forbids_porf_cycles()] == ["sc", "tso", "pso", "rc11"]


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(programs())
def test_every_random_program_graph_once(program):
    for model in MODELS:
        _assert_optimal(program, model)
