"""The exhaustive checker: every execution of an engine-level program under a memory
model, its final states, and the shortest execution showing each invariant violation.

`check` dispatches: the store-buffer models sc/tso/pso run on the operational engine
(`incref.checker.operational` over the generic explorer `incref.checker.explore`); the
axiomatic models armv8/rc11/c11, or `engine="axiomatic"`, go to
`incref.checker.axiomatic.check` (imported only when asked for)."""

from __future__ import annotations

from importlib import import_module

from incref.errors import UsageError
from incref.ir.program import Program
from incref.ir.results import CheckResult

OPERATIONAL_MODELS = ("sc", "tso", "pso")
AXIOMATIC_MODELS = ("armv8", "rc11", "c11")
ENGINES = ("auto", "operational", "axiomatic")


def refuse_engine_without_model(engine: str, model: str) -> None:
    """A usage error when `engine` does not run `model`; the CLI asks before it reads any
    file, so the answer comes once, not once per test."""
    if engine == "operational" and model not in OPERATIONAL_MODELS:
        raise UsageError(f"the operational engine has no model {model!r} (it runs {', '.join(OPERATIONAL_MODELS)})")


def check(
    program: Program,
    model: str,
    *,
    engine: str = "auto",
    reduction: bool = True,
    max_states: int | None = None,
    timeout: float | None = None,
    progress=None,
) -> CheckResult:
    """Explore `program` (already expanded by a scheme) under `model`. `max_states` and
    `timeout` bound the search (the result is then `incomplete` unless a violation was
    found); `progress(states, seconds)` is called now and then during long searches."""
    if model not in OPERATIONAL_MODELS + AXIOMATIC_MODELS:
        raise UsageError(f"unknown model {model!r} (known: {', '.join(OPERATIONAL_MODELS + AXIOMATIC_MODELS)})")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if max_states is not None and max_states < 1:
        raise UsageError("--max-states must be at least 1")
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be positive")
    if engine == "axiomatic" or (engine == "auto" and model in AXIOMATIC_MODELS):
        axiomatic = import_module("incref.checker.axiomatic")
        return axiomatic.check(program, model, max_states=max_states, timeout=timeout, progress=progress)
    refuse_engine_without_model(engine, model)
    return _check_operational(program, model, reduction, max_states, timeout, progress)


def _check_operational(program, model, reduction, max_states, timeout, progress) -> CheckResult:
    from incref.checker.explore import explore
    from incref.checker.operational import OperationalSystem
    from incref.models.operational import MODELS

    system = OperationalSystem(program, MODELS[model])
    found = explore(system, reduction=reduction, max_states=max_states, timeout=timeout, progress=progress)
    return found.result(
        program, model, "operational", found.violation_list([t.tid for t in program.threads]), {"reduction": reduction}
    )
