"""Result objects every engine returns, and their one JSON shape.

The checker, the axiomatic engine, the cache simulator and the hardware runner all report
final states the same way (`Outcome`: a state dict and a count) so that `compare` can put
them side by side. Engines build these objects; `incref.reports` renders them.

Every exhaustive engine (operational checker, axiomatic engine, cache simulator) builds
its `CheckResult` with `result_of`, the one place that decides what an incomplete search
may still claim: a violation found is a proof, a condition is decided only when the
search was complete or one found execution decides it, and `safe` needs completeness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incref.ir.program import Condition, Program

VIOLATION_KINDS = (
    "lost-update",
    "use-after-free",
    "double-free",
    "leak",
    "assertion",
    "condition",
    "data-race",
    # the cache simulator's coherence invariants (Primer, 2nd ed., section 2.3) and a
    # protocol table reaching a cell it marks impossible
    "swmr",
    "data-value",
    "protocol",
)

VERDICTS = ("safe", "violation", "incomplete")


@dataclass(frozen=True)
class Step:
    """One event of a trace: `thread` is None for events no thread performs (a store
    buffer flushing on its own is attributed to its thread, with `step="flush"`)."""

    thread: int | None
    step: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"thread": self.thread, "step": self.step, "detail": self.detail}


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    trace: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in VIOLATION_KINDS:
            raise ValueError(f"unknown violation kind {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "trace": [s.to_json() for s in self.trace]}


@dataclass(frozen=True)
class Outcome:
    state: Mapping[str, int]
    count: int

    def key(self) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(self.state.items()))

    def to_json(self) -> dict[str, Any]:
        return {"state": dict(self.state), "count": self.count}


@dataclass
class Stats:
    """`explored`: distinct states (or partial graphs) visited; `executions`: complete
    executions; `complete`: the whole space was covered; `extra`: engine-specific counts."""

    explored: int = 0
    executions: int = 0
    seconds: float = 0.0
    complete: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "explored": self.explored,
            "executions": self.executions,
            "seconds": round(self.seconds, 6),
            "complete": self.complete,
        }
        out.update(self.extra)
        return out


@dataclass
class CheckResult:
    """What an exhaustive engine found for one program under one model."""

    scenario: str
    model: str
    scheme: str | None
    engine: str
    outcomes: list[Outcome]
    violations: list[Violation]
    stats: Stats
    condition_text: str | None = None
    condition_holds: bool | None = None
    incomplete_reason: str | None = None
    # an engine's chosen execution for the condition (the axiomatic engine's `Witness`),
    # rendered by `incref.reports.graph`; not part of `to_json`
    witness: Any = None

    @property
    def verdict(self) -> str:
        """A violation found is a proof whatever else happened; `safe` needs a complete
        exploration; anything else is `incomplete`."""
        if self.violations:
            return "violation"
        return "safe" if self.stats.complete else "incomplete"

    @property
    def exit_code(self) -> int:
        return {"safe": 0, "violation": 1, "incomplete": 3}[self.verdict]

    def states(self) -> set[tuple[tuple[str, int], ...]]:
        return {o.key() for o in self.outcomes}

    def violation_kinds(self) -> list[str]:
        return sorted({v.kind for v in self.violations})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "model": self.model,
            "scheme": self.scheme,
            "scenario": self.scenario,
            "engine": self.engine,
            "outcomes": [o.to_json() for o in sort_outcomes(self.outcomes)],
            "condition": None
            if self.condition_text is None
            else {"text": self.condition_text, "holds": self.condition_holds},
            "violations": [v.to_json() for v in self.violations],
            "stats": self.stats.to_json(),
        }
        if self.incomplete_reason:
            out["incomplete_reason"] = self.incomplete_reason
        return out


def result_of(
    program: Program,
    model: str,
    engine: str,
    *,
    outcomes: Iterable[tuple[Mapping[str, int], int]],
    violations: list[Violation],
    explored: int,
    executions: int,
    seconds: float,
    incomplete_reason: str | None,
    extra: dict[str, Any],
    witness: Any = None,
) -> CheckResult:
    """The `CheckResult` of one search of `program` by any exhaustive engine: `outcomes`
    (state, count) pairs merged into a histogram; `incomplete_reason` None means the search
    covered everything, otherwise it says why not (a budget, an interrupt, a loop bound)."""
    merged = merge_outcomes(outcomes)
    complete = incomplete_reason is None
    cond = program.condition
    return CheckResult(
        scenario=program.name,
        model=model,
        scheme=program.scheme,
        engine=engine,
        outcomes=merged,
        violations=violations,
        stats=Stats(explored=explored, executions=executions, seconds=seconds, complete=complete, extra=extra),
        condition_text=None if cond is None else cond.text,
        condition_holds=condition_verdict(cond, merged, complete),
        incomplete_reason=incomplete_reason,
        witness=witness,
    )


def condition_verdict(cond: Condition | None, outcomes: Iterable[Outcome], complete: bool) -> bool | None:
    """Whether `cond` holds over all executions. After an incomplete search only what one
    found execution decides is given (an `exists` witnessed, a `~exists` or `forall`
    refuted); anything else is None, undecided — the unseen executions could change it."""
    if cond is None:
        return None
    holds = cond.holds(o.state for o in outcomes)
    if complete or holds == (cond.quantifier == "exists"):
        return holds
    return None


def sort_outcomes(outcomes: Iterable[Outcome]) -> list[Outcome]:
    return sorted(outcomes, key=lambda o: o.key())


def merge_outcomes(pairs: Iterable[tuple[Mapping[str, int], int]]) -> list[Outcome]:
    """Histogram of (state, count) pairs, one `Outcome` per distinct state."""
    hist: dict[tuple[tuple[str, int], ...], int] = {}
    for state, count in pairs:
        key = tuple(sorted(state.items()))
        hist[key] = hist.get(key, 0) + count
    return [Outcome(dict(k), c) for k, c in sorted(hist.items())]
