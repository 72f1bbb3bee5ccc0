"""`incref.check`: one call from a scenario to a verdict.

The scenario may be a builder `Scenario`, a `Program` (scenario-level or already
expanded, e.g. a litmus test) or a spec string for `load_program` (a file or a bundled
example name). The refcount scheme expands `incref`/`decref`, then the checker explores
every execution under the memory model (`incref.checker.check`)."""

from __future__ import annotations

from collections.abc import Mapping

from incref.errors import UsageError
from incref.frontends import load_program
from incref.frontends.builder import Scenario
from incref.ir.program import Program
from incref.ir.results import CheckResult
from incref.schemes import apply_scheme, get


def check(
    scenario: Scenario | Program | str,
    model: str = "sc",
    scheme: str = "plain",
    *,
    params: Mapping[str, int] | None = None,
    **options,
) -> CheckResult:
    """Check `scenario` under `model` with refcount `scheme`. `params` sets scenario
    parameters; `options` go to `incref.checker.check` (`engine`, `reduction`,
    `max_states`, `timeout`, `progress`)."""
    from incref.checker import check as run_checker

    program = to_program(scenario, params)
    return run_checker(apply_scheme(program, get(scheme)), model, **options)


def to_program(scenario: Scenario | Program | str, params: Mapping[str, int] | None = None) -> Program:
    """The scenario-level `Program` of any scenario form `check` accepts."""
    if isinstance(scenario, Scenario):
        return scenario.build(params)
    if isinstance(scenario, str):
        return load_program(scenario, params)
    if isinstance(scenario, Program):
        if params:
            raise UsageError("params: a Program has its parameters expanded already")
        return scenario
    raise UsageError(f"cannot check a {type(scenario).__name__}: give a Scenario, a Program or a file or example name")
