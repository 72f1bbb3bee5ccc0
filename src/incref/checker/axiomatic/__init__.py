"""The axiomatic engine: every consistent execution graph of a program under a model
written as data (`incref.models.axiomatic`), its final states, and the object invariants.

An execution is a graph (events, `po`, `rf`, `co`, derived `fr`, `rmw`, dependencies);
a model keeps or rejects it by acyclicity/irreflexivity/emptiness axioms, as in herd7
(Alglave, Maranget, Tautschnig, TOPLAS 2014). `search.py` builds graphs incrementally and
prunes inconsistent prefixes (GenMC, PLDI 2019). Object invariants follow GenMC too: an
access to a field of an object that is not ordered before its free by the model's
`free-order` (hb for RC11/C11, ob or po for ARMv8, the global order for SC/TSO/PSO) is a
use after free; two frees a double free; a model `flag` (RC11/C11 races on non-atomic
locations) a `data-race`; lost update, leak, assertion and the condition are checked at
the end of each consistent execution with the checker's shared `invariants`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from incref.checker import invariants
from incref.checker.axiomatic.graph import Execution
from incref.checker.axiomatic.search import Budget, Counter, explore
from incref.errors import UsageError
from incref.ir.program import Free, IRError, Program
from incref.ir.results import VIOLATION_KINDS, CheckResult, Violation, result_of
from incref.models import axiomatic as models
from incref.models.axiomatic import relalg as ra


@dataclass
class Witness:
    """One execution chosen to show the condition (satisfying `exists`, refuting
    `~exists`/`forall` when it can), for `incref litmus --witness` and
    `incref.reports.graph`."""

    execution: Execution
    state: dict
    satisfies: bool


def check(
    program: Program, model: str, *, max_states: int | None = None, timeout: float | None = None, progress=None
) -> CheckResult:
    """Explore `program` (engine-level) under the axiomatic `model`. `progress(explored,
    seconds)` is called now and then; `max_states` bounds the partial graphs visited."""
    if not program.is_expanded:
        raise IRError("the axiomatic engine needs an engine-level program (apply a scheme first)")
    if model not in models.NAMES:
        raise UsageError(f"unknown model {model!r} (known: {', '.join(models.NAMES)})")
    cat = models.get(model)
    start = time.monotonic()
    tick = None
    if progress is not None:

        def tick(explored: int) -> None:
            progress(explored, time.monotonic() - start)

    counter = Counter(max_states, None if timeout is None else start + timeout, tick)
    found: dict[str, tuple[int, Violation]] = {}
    pairs: list[tuple[dict, int]] = []
    executions = 0
    reason = None
    witness: Witness | None = None
    cond = program.condition
    # use after free reads co (SC/TSO/PSO order frees by it): then every co is needed;
    # otherwise one co per final memory gives the same states and violations
    every_co = any(isinstance(i, Free) for t in program.threads for i in t.code)
    try:
        for ex in explore(program, cat, counter, every_co):
            memory, regs = ex.memory(), ex.regs()
            if not program.passes_filter(memory, regs):
                continue
            executions += 1
            state = program.final_state(memory, regs)
            pairs.append((state, 1))
            for path in ex.skeleton.paths:
                if path.loop_bound and reason is None:
                    reason = f"loop bound reached: {path.loop_bound}"
            for kind, message in _violations(program, cat, ex, memory, state):
                size = len(ex.skeleton.live)
                if kind not in found or size < found[kind][0]:
                    found[kind] = (size, Violation(kind, message, ex.steps()))
            if cond is not None:
                sat = cond.satisfied_by(state)
                wanted = not sat if cond.quantifier == "forall" else sat
                if witness is None or (wanted and not witness.satisfies):
                    witness = Witness(ex, state, wanted)
            elif witness is None:
                witness = Witness(ex, state, True)
    except Budget as exc:
        reason = exc.reason
    except KeyboardInterrupt:  # Ctrl-C: what was found so far, as an incomplete result
        reason = "interrupted (Ctrl-C)"
    return result_of(
        program,
        model,
        "axiomatic",
        outcomes=pairs,
        violations=[found[k][1] for k in VIOLATION_KINDS if k in found],
        explored=counter.explored,
        executions=executions,
        seconds=time.monotonic() - start,
        incomplete_reason=reason,
        extra={
            "skeletons": counter.skeletons,
            "rejected": dict(sorted(counter.rejected.items())),
            "executions_exact": every_co,
        },
        witness=witness,
    )


def _violations(program: Program, cat, ex: Execution, memory: dict, state: dict):
    """(kind, message) for every invariant this consistent execution breaks."""
    sk = ex.skeleton
    events = sk.events
    deltas: dict[str, int] = {}
    for tid, path in enumerate(sk.paths):
        for obj, d in path.deltas.items():
            deltas[obj] = deltas.get(obj, 0) + d
        if path.failed_assert:
            yield "assertion", invariants.assertion(path.failed_assert, tid).message
    for name, rel in cat.flagged(ex.static, sk.sets, ex.rf, ex.co).items():
        if name in VIOLATION_KINDS:
            a, b = next(ra.pairs(rel))
            yield (
                name,
                (
                    f"{events[a].label()} (P{events[a].tid}) and {events[b].label()} "
                    f"(P{events[b].tid}) race: neither happens before the other"
                ),
            )
    frees = [ev for ev in sk.live if ev.local is not None and ev.local.free_of]
    if frees:
        yield from _object_checks(program, cat, ex, frees)
    for finding in invariants.end_of_execution(program, memory, deltas, state):
        yield finding.kind, finding.message


def _object_checks(program: Program, cat, ex: Execution, frees):
    sk = ex.skeleton
    order = cat.relation(ex.static, sk.sets, ex.rf, ex.co, "free-order")
    if order is None:
        order = ra.plus(ra.union(sk.po, ra.union(ra.union(ex.rf, ex.co), ex.fr())))
    races = any(flag.name == "data-race" for flag in cat.flags)
    seen: dict[str, int] = {}
    for f in frees:
        obj = f.local.free_of
        info = program.objects.get(obj)
        if info is None:
            continue
        if obj in seen and "double-free" in info.invariants:
            yield "double-free", f"P{f.tid}: free of {obj}, which P{seen[obj]} already freed"
        seen.setdefault(obj, f.tid)
        if "use-after-free" not in info.invariants:
            continue
        for ev in sk.live:
            if ev.local is None or ev.local.free_of or ev.loc not in info.fields:
                continue
            if not (order[ev.eid] >> f.eid) & 1:
                yield (
                    "use-after-free",
                    (f"P{ev.tid}: {ev.label()} is not ordered before P{f.tid}'s free of {obj} under {cat.name}"),
                )
                if races and not (order[f.eid] >> ev.eid) & 1:
                    # deallocation is a non-atomic write of the whole object (C11 7.22.3)
                    yield (
                        "data-race",
                        (
                            f"P{f.tid}'s free of {obj} races with {ev.label()} (P{ev.tid}): "
                            "neither happens before the other"
                        ),
                    )
                break
