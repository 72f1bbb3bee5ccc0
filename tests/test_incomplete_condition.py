"""An unfinished search never decides a condition that no execution it found decides
(issue 11): after a `max_states` or `timeout` budget runs out, `condition_holds` is True
for `exists` only with a witness found, False for `~exists`/`forall` only with a
counterexample found, and None (undecided) otherwise -- in every model and engine."""

from __future__ import annotations

import dataclasses

import pytest

from incref import catalogue
from incref.checker import AXIOMATIC_MODELS, OPERATIONAL_MODELS, check
from incref.frontends import load_program

CONDITIONS = ("exists", "~exists", "forall")
BUDGETS = ({"max_states": 2}, {"timeout": 0.02})
RUNS = [(m, "axiomatic") for m in OPERATIONAL_MODELS + AXIOMATIC_MODELS] + [
    (m, "operational") for m in OPERATIONAL_MODELS
]


def _decided_by_found_executions(cond, result) -> bool | None:
    """What the executions found decide alone: an `exists` witnessed, a `~exists` or
    `forall` refuted; None otherwise."""
    states = [o.state for o in result.outcomes]
    if cond.quantifier == "exists":
        return True if any(cond.satisfied_by(s) for s in states) else None
    return False if any(cond.is_violated_by(s) for s in states) else None


@pytest.mark.parametrize("quantifier", CONDITIONS)
@pytest.mark.parametrize("budget", BUDGETS, ids=["max-states", "timeout"])
@pytest.mark.parametrize("model, engine", RUNS, ids=[f"{m}-{e}" for m, e in RUNS])
def test_an_unfinished_search_decides_only_what_it_found(model, engine, budget, quantifier):
    base = load_program(str(catalogue.get("c/INC5-rlx-load-rel-store").path))
    cond = dataclasses.replace(base.condition, quantifier=quantifier, text="")
    result = check(dataclasses.replace(base, condition=cond), model, engine=engine, **budget)
    assert not result.stats.complete
    assert result.verdict == "incomplete" or result.violations
    assert result.condition_holds == _decided_by_found_executions(cond, result)
