"""Experiments on a running Python: what the refcount story looks like one level up.

The model checker proves that `ob_refcnt++` can lose an increment; these experiments ask
the interpreter itself. `python-race` loses `+=` increments (or shows why the GIL hides
the loss), `fork-cow` shows reference-count writes un-sharing copy-on-write pages,
`pyobject-contention` times refcount writes to one shared object from several threads.

Each experiment is a fixed probe script (`probes/`) run in the interpreter under test —
incref's own by default, another build (e.g. free-threaded 3.13t) with `python=` — and
returns a result object from `results`; `report` renders it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from incref.errors import UsageError
from incref.hardware.experiments.results import (
    ChildMemory,
    Contention,
    ContentionRow,
    Environment,
    ExperimentResult,
    ForkCow,
    PythonRace,
    RaceCase,
)
from incref.hardware.experiments.runner import ProbeTimeout, run_probe

MAX_THREADS = 64


def _race(doc: Mapping[str, Any], env: Environment) -> PythonRace:
    cases = tuple(
        RaceCase(
            c["target"], c["statement"], tuple(c["bytecode"]), c["expected"], tuple(c["finals"]), tuple(c["seconds"])
        )
        for c in doc["cases"]
    )
    return PythonRace(
        "python-race", env, threads=doc["threads"], increments=doc["increments"], runs=doc["runs"], cases=cases
    )


def _fork_cow(doc: Mapping[str, Any], env: Environment) -> ForkCow:
    if "skipped" in doc:
        return ForkCow("fork-cow", env, skipped=doc["skipped"])
    children = tuple(
        ChildMemory(c["behaviour"], c["does"], c["freeze"], c["smaps"], c["seconds"]) for c in doc["children"]
    )
    return ForkCow(
        "fork-cow",
        env,
        objects=doc["objects"],
        object_type=doc["object_type"],
        objects_mb=doc["objects_mb"],
        strings_mb=doc["strings_mb"],
        interned_strings_immortal=doc["interned_strings_immortal"],
        interned_string_refcount=doc["interned_string_refcount"],
        page_size=doc["page_size"],
        children=children,
    )


def _contention(doc: Mapping[str, Any], env: Environment) -> Contention:
    rows = tuple(ContentionRow(r["sharing"], r["threads"], tuple(r["runs_s"])) for r in doc["rows"])
    return Contention(
        "pyobject-contention",
        env,
        threads=doc["threads"],
        touches=doc["touches"],
        references_per_touch=doc["references_per_touch"],
        repeats=doc["repeats"],
        rows=rows,
    )


@dataclass(frozen=True)
class Experiment:
    """One experiment: its probe script, its sizes (full and `quick`), how its answer
    becomes a result object, and the fewest threads it can compare (contention needs 2)."""

    name: str
    summary: str
    probe: str
    full: Mapping[str, int]
    quick: Mapping[str, int]
    parse: Callable[[Mapping[str, Any], Environment], ExperimentResult]
    min_threads: int = 1  # 0: the experiment runs no threads


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment(
            "python-race",
            "threads doing `counter += 1` (plain, with a call inside, under a threading.Lock): increments lost, "
            "ns per increment; 5 runs each",
            "python_race",
            {"increments": 2_000_000, "runs": 5},
            {"increments": 1_000_000, "runs": 5},
            _race,
        ),
        Experiment(
            "fork-cow",
            "forked children reading objects: pages dirtied by refcounts vs the gc, with and without gc.freeze()",
            "fork_cow",
            {"objects": 500_000},
            {"objects": 100_000},
            _fork_cow,
            min_threads=0,
        ),
        Experiment(
            "pyobject-contention",
            "threads writing one shared object's refcount vs private objects: time ratio N/1 threads",
            "pyobject_contention",
            {"touches": 300_000, "repeats": 5},
            {"touches": 100_000, "repeats": 5},
            _contention,
            min_threads=2,
        ),
    )
}


def run(
    name: str, *, python: str | None = None, threads: int | None = None, quick: bool = False, timeout: float = 300.0
) -> ExperimentResult:
    """Run experiment `name` in `python` (default: this interpreter) and return its result."""
    experiment = EXPERIMENTS.get(name)
    if experiment is None:
        raise UsageError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    args = dict(experiment.quick if quick else experiment.full)
    if threads is not None:
        if not experiment.min_threads:
            raise UsageError(f"{name} runs no threads; --threads does not apply")
        if not experiment.min_threads <= threads <= MAX_THREADS:
            raise UsageError(
                f"--threads for {name} must be between {experiment.min_threads} and {MAX_THREADS}, got {threads}"
            )
        args["threads"] = threads
    doc = run_probe(experiment.probe, args, python, timeout)
    return experiment.parse(doc, Environment(**doc["environment"]))


__all__ = ["EXPERIMENTS", "Experiment", "ExperimentResult", "ProbeTimeout", "run"]
