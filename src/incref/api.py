"""`incref.check`: one call from a scenario to a verdict.

The scenario may be a builder `Scenario`, a `Program` (scenario-level or already
expanded, e.g. a litmus test) or a spec string for `load_program` (a file or a bundled
example name). The composition layer (`incref.compose`) expands `incref`/`decref` with the
refcount scheme, then the checker explores every execution under the memory model."""

from __future__ import annotations

from collections.abc import Mapping

from incref import compose
from incref.frontends.builder import Scenario
from incref.ir.program import Program
from incref.ir.results import CheckResult


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
    return compose.check(scenario, model, scheme, params=params, **options)
