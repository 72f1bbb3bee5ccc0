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


@dataclass(frozen=True)
class RaceCase:
    target: str
    statement: str
    bytecode: tuple[str, ...]
    expected: int
    final: int
    seconds: float

    @property
    def lost(self) -> int:
        return self.expected - self.final

    @property
    def lost_per_million(self) -> float:
        return 1e6 * self.lost / self.expected

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["bytecode"] = list(self.bytecode)
        out.update(lost=self.lost, lost_per_million=round(self.lost_per_million, 1))
        return out


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
    cases: tuple[RaceCase, ...] = ()

    def case(self, statement: str) -> RaceCase:
        return next(c for c in self.cases if c.statement == statement)

    def body(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "increments_per_thread": self.increments,
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

    def ratio(self, sharing: str) -> float:
        """best time(N threads) / best time(1 thread), same work per thread: 1.0 is
        perfect scaling."""
        return self.row(sharing, self.threads).best_s / self.row(sharing, 1).best_s

    def shared_over_private(self) -> float:
        """At N threads: what writing one shared count costs over writing private ones."""
        return self.row("shared", self.threads).best_s / self.row("private", self.threads).best_s

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
            "shared_over_private": round(self.shared_over_private(), 3),
        }
