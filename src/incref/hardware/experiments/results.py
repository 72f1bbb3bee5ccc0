"""What each experiment measured, as data: built from a probe's JSON answer, turned back
into JSON by `to_json`, rendered by `incref.hardware.experiments.report`.

Derived numbers (increments lost, ratios, MB dirtied) are properties computed from the
raw measurements, so a report can never print a number the measurement did not give."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

KB_PER_MB = 1024


@dataclass(frozen=True)
class Environment:
    """The interpreter under test and the machine, as the probe saw them from inside."""

    python: str
    implementation: str
    executable: str
    build: str
    gil_enabled: bool
    has_is_gil_enabled: bool
    switch_interval_s: float
    cpu: str
    cores: int | None
    usable_cores: int | None
    os: str
    load_avg_1min: float | None = None

    @property
    def gil_text(self) -> str:
        if self.has_is_gil_enabled:
            return f"sys._is_gil_enabled() = {self.gil_enabled}"
        return "GIL always on (no sys._is_gil_enabled before 3.13)"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


WIDE = 0.25  # runs whose range exceeds a quarter of their median disagree: show the range


@dataclass(frozen=True)
class Spread:
    """One figure measured in several runs: its median and the range of the runs.

    Thread timing decides how many increments a run loses and how long it takes, so one
    run's number can mislead (one tour once said 0 lost where other runs lost 160,000 to
    260,000). A figure is therefore the median of its runs with their range, and it is
    *shown* as the range whenever the runs disagree by more than `WIDE` of the median."""

    values: tuple[float, ...]
    unit: str

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def wide(self) -> bool:
        return self.high - self.low > WIDE * abs(self.median)

    def text(self, digits: int = 0) -> str:
        """`200,000 per million (median of 5 runs, 150,000–250,000)` or, when the runs
        disagree, `150,000–250,000 per million (5 runs, median 200,000)`."""

        def num(x: float) -> str:
            return f"{x:,.{digits}f}"

        n, unit = len(self.values), self.unit if self.unit == "x" else " " + self.unit  # 2.00x, 5 ns
        if n == 1:
            return f"{num(self.median)}{unit} (1 run)"
        if self.low == self.high:
            return f"{num(self.median)}{unit} (in each of {n} runs)"
        if self.wide:
            return f"{num(self.low)}–{num(self.high)}{unit} ({n} runs, median {num(self.median)})"
        return f"{num(self.median)}{unit} (median of {n} runs, range {num(self.low)}–{num(self.high)})"

    def to_json(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "runs": list(self.values),
            "unit": self.unit,
            "shown_as_range": self.wide,
        }


@dataclass(frozen=True)
class RaceCase:
    """One statement run `len(finals)` times by every thread, `expected` increments each
    time; `finals` and `seconds` hold each run's final value and wall time."""

    target: str
    statement: str
    bytecode: tuple[str, ...]
    expected: int
    finals: tuple[int, ...]
    seconds: tuple[float, ...]

    @property
    def lost_runs(self) -> tuple[int, ...]:
        return tuple(self.expected - f for f in self.finals)

    @property
    def lost(self) -> int:
        """The median run's lost increments (`median_low`: a count some run really had)."""
        return statistics.median_low(self.lost_runs)

    @property
    def lost_per_million(self) -> Spread:
        return Spread(tuple(1e6 * lost / self.expected for lost in self.lost_runs), "lost per million")

    @property
    def ns_per_increment(self) -> Spread:
        """Wall time of a run over all its threads' increments: what one increment costs
        the program (with the GIL the threads take turns, so this is the serial cost)."""
        return Spread(tuple(1e9 * s / self.expected for s in self.seconds), "ns per increment")

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "statement": self.statement,
            "bytecode": list(self.bytecode),
            "expected": self.expected,
            "finals": list(self.finals),
            "seconds": list(self.seconds),
            "lost_runs": list(self.lost_runs),
            "lost": self.lost,
            "lost_per_million": self.lost_per_million.to_json(),
            "ns_per_increment": self.ns_per_increment.to_json(),
        }


@dataclass(frozen=True)
class ChildMemory:
    """One forked child: what it did and its /proc/<pid>/smaps_rollup (kB) at the end."""

    behaviour: str
    does: str
    freeze: bool
    smaps_kb: Mapping[str, int]
    seconds: float

    @property
    def private_dirty_mb(self) -> float:
        return self.smaps_kb["Private_Dirty"] / KB_PER_MB

    @property
    def shared_mb(self) -> float:
        return (self.smaps_kb["Shared_Clean"] + self.smaps_kb["Shared_Dirty"]) / KB_PER_MB

    def to_json(self) -> dict[str, Any]:
        return {
            "behaviour": self.behaviour,
            "does": self.does,
            "gc_freeze": self.freeze,
            "private_dirty_mb": round(self.private_dirty_mb, 2),
            "shared_mb": round(self.shared_mb, 2),
            "smaps_rollup_kb": dict(self.smaps_kb),
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True)
class ContentionRow:
    sharing: str
    threads: int
    runs_s: tuple[float, ...]

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs_s)

    @property
    def best_s(self) -> float:
        """The fastest run: noise from other processes only ever adds time, so the best
        of several runs is the least disturbed one (the advice of the `timeit` docs)."""
        return min(self.runs_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "sharing": self.sharing,
            "threads": self.threads,
            "best_s": self.best_s,
            "median_s": self.median_s,
            "runs_s": list(self.runs_s),
        }


@dataclass(frozen=True)
class ExperimentResult:
    """Common part: which experiment, in which interpreter, or why it was skipped."""

    name: str
    environment: Environment
    skipped: str | None = None

    def body(self) -> dict[str, Any]:
        return {}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"experiment": self.name, "environment": self.environment.to_json()}
        if self.skipped:
            out["skipped"] = self.skipped
        else:
            out.update(self.body())
        return out


@dataclass(frozen=True)
class PythonRace(ExperimentResult):
    threads: int = 0
    increments: int = 0
    runs: int = 0
    cases: tuple[RaceCase, ...] = ()

    def case(self, statement: str) -> RaceCase:
        return next(c for c in self.cases if c.statement == statement)

    def body(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "increments_per_thread": self.increments,
            "runs": self.runs,
            "cases": [c.to_json() for c in self.cases],
        }


@dataclass(frozen=True)
class ForkCow(ExperimentResult):
    objects: int = 0
    object_type: str = ""
    objects_mb: float = 0.0
    strings_mb: float = 0.0
    interned_strings_immortal: bool = False
    interned_string_refcount: int = 0
    page_size: int = 0
    children: tuple[ChildMemory, ...] = ()

    def child(self, behaviour: str, freeze: bool) -> ChildMemory:
        return next(c for c in self.children if c.behaviour == behaviour and c.freeze == freeze)

    def body(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "object_type": self.object_type,
            "objects_mb": round(self.objects_mb, 2),
            "interned_strings_mb": round(self.strings_mb, 2),
            "interned_strings_immortal": self.interned_strings_immortal,
            "interned_string_refcount": self.interned_string_refcount,
            "page_size": self.page_size,
            "children": [c.to_json() for c in self.children],
        }


@dataclass(frozen=True)
class Contention(ExperimentResult):
    threads: int = 0
    touches: int = 0
    references_per_touch: int = 0
    repeats: int = 0
    rows: tuple[ContentionRow, ...] = field(default_factory=tuple)

    def row(self, sharing: str, threads: int) -> ContentionRow:
        return next(r for r in self.rows if r.sharing == sharing and r.threads == threads)

    def ratios(self, sharing: str) -> Spread:
        """time(N threads) / time(1 thread) in each repeat, same work per thread: 1.0 is
        perfect scaling. The probe interleaves the configurations, so the two times of
        one repeat were taken moments apart, under the same load."""
        many, one = self.row(sharing, self.threads), self.row(sharing, 1)
        return Spread(tuple(n / o for n, o in zip(many.runs_s, one.runs_s, strict=True)), "x")

    def ratio(self, sharing: str) -> float:
        return self.ratios(sharing).median

    def shared_over_private(self) -> Spread:
        """At N threads, per repeat: what writing one shared count costs over writing
        private ones."""
        shared, private = self.row("shared", self.threads), self.row("private", self.threads)
        return Spread(tuple(s / p for s, p in zip(shared.runs_s, private.runs_s, strict=True)), "x")

    def ns_per_reference(self, sharing: str, threads: int) -> float:
        """Wall time per reference-count write pair (incref + decref) of one thread."""
        return 1e9 * self.row(sharing, threads).best_s / (self.touches * self.references_per_touch)

    def body(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "touches_per_thread": self.touches,
            "references_per_touch": self.references_per_touch,
            "repeats": self.repeats,
            "rows": [r.to_json() for r in self.rows],
            "ratio_shared": round(self.ratio("shared"), 3),
            "ratio_private": round(self.ratio("private"), 3),
            "shared_over_private": round(self.shared_over_private().median, 3),
            "ratios": {sharing: self.ratios(sharing).to_json() for sharing in ("shared", "private")},
        }
