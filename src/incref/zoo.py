"""The refcount scheme zoo: every scheme × every zoo scenario × every model, each cell
one exhaustive check (`apply_scheme`, then `incref.checker.check`).

The scenarios are the `.inc` files in `incref/examples/zoo/`. A scenario can say that
a scheme does not apply to it with a comment line `# applies-to: NAME, NAME` (only
those schemes run; the others' cells are *skipped*, with the reason given in the file
and in docs/ZOO.md). Nothing else is ever skipped. The cells are records that reports
render (`incref zoo`, `incref.reports.zoo_html`); this module prints nothing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

from incref import schemes
from incref.errors import UsageError
from incref.frontends import load_program
from incref.ir.program import Program
from incref.ir.results import CheckResult

MODELS = ("sc", "tso", "pso", "armv8", "rc11")
SUFFIX = ".inc"
_APPLIES = re.compile(r"^#\s*applies-to:\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class ZooScenario:
    name: str
    path: Path
    applies_to: frozenset[str] | None  # None: every scheme

    def applies(self, scheme: str) -> bool:
        return self.applies_to is None or scheme in self.applies_to


@dataclass
class Cell:
    """One scheme × scenario × model. `verdict` is the checker's (safe, violation,
    incomplete) or `skipped` when the scenario says the scheme does not apply."""

    scheme: str
    scenario: str
    model: str
    verdict: str
    violation_kinds: list[str]
    states: int
    executions: int
    seconds: float
    result: CheckResult | None = None
    program: Program | None = None

    def to_json(self) -> dict:
        out = {
            "scheme": self.scheme,
            "scenario": self.scenario,
            "model": self.model,
            "verdict": self.verdict,
            "violation_kinds": self.violation_kinds,
            "states": self.states,
            "executions": self.executions,
            "seconds": round(self.seconds, 6),
        }
        if self.result is not None and self.result.incomplete_reason:
            out["incomplete_reason"] = self.result.incomplete_reason
        return out


def _folder() -> Path:
    return Path(str(resources.files("incref.examples") / "zoo"))


def scenarios() -> list[ZooScenario]:
    """The zoo scenarios, sorted by name."""
    out = []
    for path in sorted(_folder().glob(f"*{SUFFIX}")):
        match = _APPLIES.search(path.read_text(encoding="utf-8"))
        applies = None if match is None else frozenset(n.strip() for n in match.group(1).split(","))
        out.append(ZooScenario(path.name[: -len(SUFFIX)], path, applies))
    return out


@lru_cache(maxsize=None)
def _load(path: Path) -> Program:
    """A zoo scenario, parsed once (programs are immutable)."""
    return load_program(str(path))


def _select(kind: str, wanted: Iterable[str] | None, known: list[str]) -> list[str]:
    if not wanted:
        return list(known)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise UsageError(f"unknown {kind} {unknown[0]!r} (known: {', '.join(known)})")
    return [k for k in known if k in set(wanted)]


def plan(scheme_names=None, scenario_names=None, models=None) -> list[tuple[str, ZooScenario, str]]:
    """The cells to run, in matrix order (scenario, scheme, model); unknown names are a
    `UsageError`."""
    all_scenarios = {s.name: s for s in scenarios()}
    chosen_schemes = _select("scheme", scheme_names, schemes.names())
    chosen_scenarios = _select("scenario", scenario_names, list(all_scenarios))
    chosen_models = _select("model", models, list(MODELS))
    return [(scheme, all_scenarios[sc], model)
            for sc in chosen_scenarios for scheme in chosen_schemes for model in chosen_models]


def run_cell(scheme: str, scenario: ZooScenario, model: str, *, timeout: float | None = None,
             max_states: int | None = None) -> Cell:
    """Check one cell (or skip it when the scenario says the scheme does not apply)."""
    if not scenario.applies(scheme):
        return Cell(scheme, scenario.name, model, "skipped", [], 0, 0, 0.0)
    from incref.checker import check

    start = time.perf_counter()
    program = schemes.apply_scheme(_load(scenario.path), schemes.get(scheme))
    result = check(program, model, timeout=timeout, max_states=max_states)
    return Cell(scheme, scenario.name, model, result.verdict, result.violation_kinds(),
                result.stats.explored, result.stats.executions, time.perf_counter() - start,
                result, program)


def run(scheme_names=None, scenario_names=None, models=None, *, timeout: float | None = None,
        max_states: int | None = None, on_cell: Callable[[Cell], None] | None = None) -> list[Cell]:
    """Every selected cell, in matrix order; `on_cell` is called after each one."""
    cells = []
    for scheme, scenario, model in plan(scheme_names, scenario_names, models):
        cell = run_cell(scheme, scenario, model, timeout=timeout, max_states=max_states)
        cells.append(cell)
        if on_cell is not None:
            on_cell(cell)
    return cells
