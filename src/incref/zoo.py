"""The refcount scheme zoo: every scheme × every zoo scenario × every model, each cell
one exhaustive check (`incref.compose.prepare`, then `incref.compose.check`).

The scenarios are the `.inc` files in `incref/examples/zoo/`. A scenario can say that
a scheme does not apply to it with a comment line `# applies-to: NAME, NAME` (only
those schemes run; the others' cells are *skipped*, with the reason given in the file
and in docs/ZOO.md). Nothing else is ever skipped. The cells are records that reports
render (`incref zoo`, `incref.reports.zoo_html`); this module prints nothing.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import re
import signal
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from incref import compose, schemes
from incref.errors import UsageError
from incref.frontends import load_program
from incref.ir.program import Program
from incref.ir.results import CheckResult

MODELS = ("sc", "tso", "pso", "armv8", "rc11")  # the matrix; c11 runs when asked for
ALL_MODELS = (*MODELS, "c11")
CELL_TIMEOUT = 30.0  # seconds a cell may search by default (`incref zoo --timeout`)
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
    note: str = ""  # why a cell is incomplete when the engine could not say it

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
        reason = self.note or (self.result.incomplete_reason if self.result is not None else None)
        if self.verdict == "incomplete" and reason:
            out["incomplete_reason"] = reason
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


@cache
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
    chosen_models = _select("model", models, list(ALL_MODELS)) if models else list(MODELS)
    return [
        (scheme, all_scenarios[sc], model)
        for sc in chosen_scenarios
        for scheme in chosen_schemes
        for model in chosen_models
    ]


def run_cell(
    scheme: str, scenario: ZooScenario, model: str, *, timeout: float | None = None, max_states: int | None = None
) -> Cell:
    """Check one cell (or skip it when the scenario says the scheme does not apply)."""
    if not scenario.applies(scheme):
        return Cell(scheme, scenario.name, model, "skipped", [], 0, 0, 0.0)
    start = time.perf_counter()
    program = compose.prepare(_load(scenario.path), scheme)
    result = compose.check(program, model, timeout=timeout, max_states=max_states)
    return Cell(
        scheme,
        scenario.name,
        model,
        result.verdict,
        result.violation_kinds(),
        result.stats.explored,
        result.stats.executions,
        time.perf_counter() - start,
        result,
        program,
    )


def run(
    scheme_names=None,
    scenario_names=None,
    models=None,
    *,
    timeout: float | None = None,
    max_states: int | None = None,
    jobs: int = 1,
    on_cell: Callable[[Cell], None] | None = None,
) -> list[Cell]:
    """Every selected cell, in matrix order; `on_cell` is called as each one ends.

    With `timeout`, each cell runs in a child process (`jobs` at a time) that is killed
    when it has not answered `timeout` + 5 seconds after its start: an engine that cannot
    stop itself (a long preparation step) still gives an honest `incomplete` cell, and
    the matrix always ends. Ctrl-C ends the run: the cells not finished are incomplete."""
    planned = plan(scheme_names, scenario_names, models)
    if timeout is None:
        cells = []
        for scheme, scenario, model in planned:
            cells.append(run_cell(scheme, scenario, model, max_states=max_states))
            if on_cell is not None:
                on_cell(cells[-1])
        return cells
    return _run_killable(planned, timeout, max_states, max(1, jobs), on_cell)


def _warm(planned) -> None:
    """Parse the scenarios and import the engines once, before forking, so that no
    child pays for them and each cell's time is its own check."""
    import incref.checker.axiomatic  # noqa: F401
    import incref.checker.operational  # noqa: F401
    import incref.models.operational  # noqa: F401

    for _, scenario, _ in planned:
        _load(scenario.path)


def _child(conn, scheme, scenario, model, timeout, max_states) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        conn.send(("cell", run_cell(scheme, scenario, model, timeout=timeout, max_states=max_states)))
    except Exception as exc:  # noqa: BLE001 - re-raised in the parent
        conn.send(("error", exc))
    conn.close()


@contextmanager
def _sigint_held():
    """Hold Ctrl-C while a cell's process is forked and registered: a child inherits the
    held signal and ignores it before letting it through (otherwise a Ctrl-C landing
    between fork and `_child` interrupts the child's start-up with a traceback), and the
    parent takes it only once the child is in `running`, where the handler kills it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run_killable(planned, timeout, max_states, jobs, on_cell) -> list[Cell]:
    ctx = multiprocessing.get_context("fork")
    _warm(planned)
    limit = timeout + 5.0
    cells: list[Cell | None] = [None] * len(planned)
    waiting = list(enumerate(planned))
    running: dict[int, tuple] = {}

    def finish(index: int, cell: Cell) -> None:
        cells[index] = cell
        if on_cell is not None:
            on_cell(cell)

    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index, (scheme, scenario, model) = waiting.pop(0)
                if not scenario.applies(scheme):
                    finish(index, run_cell(scheme, scenario, model))
                    continue
                receive, send = ctx.Pipe(duplex=False)
                process = ctx.Process(target=_child, args=(send, scheme, scenario, model, timeout, max_states))
                with _sigint_held():
                    process.start()
                    send.close()
                    running[index] = (process, receive, time.monotonic(), scheme, scenario.name, model)
            ready = multiprocessing.connection.wait([r[1] for r in running.values()], timeout=0.2)
            for index, (process, receive, started, scheme, scenario, model) in list(running.items()):
                elapsed = time.monotonic() - started
                if receive in ready:
                    try:
                        kind, payload = receive.recv()
                    except EOFError:
                        kind, payload = "error", RuntimeError(f"the check of {scheme} {scenario} {model} died")
                    process.join()
                    del running[index]
                    if kind == "error":
                        raise payload
                    finish(index, payload)
                elif elapsed > limit:
                    process.kill()
                    process.join()
                    del running[index]
                    finish(
                        index,
                        Cell(
                            scheme,
                            scenario,
                            model,
                            "incomplete",
                            [],
                            0,
                            0,
                            elapsed,
                            note=f"no answer within {limit:g} s: stopped",
                        ),
                    )
    except KeyboardInterrupt:
        for index, cell in enumerate(cells):
            if cell is None:
                scheme, scenario, model = planned[index]
                cells[index] = (
                    run_cell(scheme, scenario, model)
                    if not scenario.applies(scheme)
                    else Cell(
                        scheme,
                        scenario.name,
                        model,
                        "incomplete",
                        [],
                        0,
                        0,
                        0.0,
                        note="stopped by Ctrl-C before it ended",
                    )
                )
    finally:
        for process, *_ in running.values():
            process.kill()
            process.join()
    return cells  # type: ignore[return-value]
