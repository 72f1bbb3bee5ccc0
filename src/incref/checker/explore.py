"""The generic exhaustive explorer: every reachable state of a finite transition system,
with state hashing, a persistent-set partial-order reduction and shortest traces.

The explorer knows nothing about memory models or caches.  It talks to a
`TransitionSystem` (the Protocol below): an initial state, the enabled transitions of a
state (each with the thread that performs it, a *footprint* of shared resources it reads
and writes, and a trace label), a step function, and a classification of states that have
no enabled transition (`finish`).  The operational memory models (`incref.checker.
operational`) and the cache-coherence simulator both plug in here.

Why breadth-first.  A breadth-first search visits each state first along a shortest path,
so the parent pointers of the visited-state store give, for every state, one shortest
execution reaching it.  A violation is reported with the shortest *complete* execution
that ends in a state showing it.  Systems remember a violation seen on a step (a use after
free at a flush, say) in the state itself, so it is visible at the end of the execution.

Why the reduction keeps shortest traces and the set of final states.  The reduction is
Godefroid's persistent sets ("Partial-Order Methods for the Verification of Concurrent
Systems", LNCS 1032, 1996, chapters 4 and 6), in the "one thread at a time" form of
Valmari's stubborn sets: in a state, if some thread `p`'s enabled transitions are
independent of everything any *other* thread may still do (`TransitionSystem.future`),
and no other thread can enable or disable `p`'s next action (`waiting` is false), then
exploring only `p`'s transitions is enough.  Every complete execution of the full graph is
then equivalent (a reordering of independent transitions; Mazurkiewicz traces) to one in
the reduced graph, which has the same length and ends in the same state; so the final
states, and the length of the shortest execution ending in each, do not change.  With
state hashing a reduced search can postpone a thread around a cycle forever (the
"ignoring problem"); systems whose graph is acyclic say so (`acyclic = True`), and for the
others the explorer applies a conservative cycle proviso: a reduced expansion is used
only when every successor it yields is a new state (Bošnački, Leue and Lluch Lafuente,
"Partial-order reduction for general state exploring algorithms", STTT 2009, section 4).

Counting.  `explored` is the number of distinct states stored; `executions` the number
of maximal paths from the initial state to a final state in the explored graph, counted
exactly by dynamic programming over a topological order (the same number a stateless
search of that graph would enumerate).  Each outcome's count is the number of those paths
ending in it.

Scale.  States must be hashable and built from plain values (tuples, ints, strings), so
they can be pickled and sent to another worker.  A worker can take a subtree: `prefix` is
a sequence of choices (indices into `enabled`) replayed from the initial state before the
search starts.  Visited states live behind `VisitedStore`; `DictStore` keeps them in this
process.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from incref.ir.program import Program
from incref.ir.results import VIOLATION_KINDS, CheckResult, Step, Violation, result_of

State = Hashable

COMPLETE = "complete"  # every thread finished: a counted execution
BLOCKED = "blocked"  # waits forever (an `assume` that never holds, a lock never released)
CUT = "cut"  # stopped by a bound (a loop bound): the verdict can be at best incomplete


@dataclass(frozen=True, slots=True)
class Transition:
    """One enabled move. `action` is the system's own (hashable) description of it;
    `reads`/`writes` name the shared resources it touches (two transitions of different
    threads are independent when neither writes what the other touches)."""

    thread: int
    action: Hashable
    label: str
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Footprint:
    """Over-approximation of what a thread may still read and write."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Finding:
    """A violation: `kind` is one of `incref.ir.results.VIOLATION_KINDS`."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Ending:
    """How a state without enabled transitions ends an execution: `status` is COMPLETE,
    BLOCKED or CUT; `outcome` the final state to count (None when the execution is not
    counted, e.g. blocked or filtered out); `findings` every violation it shows (those met
    on the way included, which the system keeps in its state); `reason` says why a CUT
    execution was cut."""

    status: str
    outcome: Mapping[str, int] | None = None
    findings: tuple[Finding, ...] = ()
    reason: str = ""


class TransitionSystem(Protocol):
    """What the explorer needs from a model. All methods are pure functions of the state."""

    acyclic: bool  # True when no execution can revisit a state (no proviso needed)

    def initial(self) -> State: ...

    def enabled(self, state: State) -> Sequence[Transition]:
        """Enabled transitions, in a deterministic order."""

    def step(self, state: State, transition: Transition) -> State: ...

    def explain(self, state: State, transition: Transition) -> tuple[str, tuple[Finding, ...]]:
        """For traces: a detail line for `transition` taken in `state` (values read and
        written) and the violations it causes. Called only when a trace is rebuilt."""

    def finish(self, state: State) -> Ending:
        """Classify a state that has no enabled transition."""

    def threads(self, state: State) -> Iterable[int]:
        """Threads that may still act."""

    def future(self, state: State, thread: int) -> Footprint:
        """Everything `thread` may still read or write from `state` on (its pending
        buffered stores included)."""

    def waiting(self, state: State, thread: int) -> bool:
        """Whether `thread`'s next action is disabled by shared state that another thread
        could change (waiting for a lock): such a thread cannot be explored alone."""

    def control(self, state: State) -> Hashable:
        """Optional. The part of `state` that `threads`, `future`, `waiting` and the
        footprints and threads of `enabled` depend on (program counters, not data): the
        explorer then remembers which thread the reduction chose per control state."""


class VisitedStore(Protocol):
    """The visited-state store: state -> id, with the parent pointer of the first (hence
    shortest, in breadth-first order) path that reached it."""

    def add(self, state: State, parent: int | None, transition: Transition | None, depth: int) -> tuple[int, bool]:
        """Id of `state`, and whether it was new."""

    def depth(self, sid: int) -> int: ...

    def path(self, sid: int) -> list[Transition]:
        """Transitions from the initial state to state `sid`."""

    def __contains__(self, state: State) -> bool: ...

    def __len__(self) -> int: ...


class DictStore:
    """In-process `VisitedStore`: a dict of states and three parallel lists."""

    def __init__(self) -> None:
        self._ids: dict[State, int] = {}
        self._parent: list[int] = []
        self._via: list[Transition | None] = []
        self._depth: list[int] = []

    def add(self, state, parent, transition, depth):
        sid = self._ids.get(state)
        if sid is not None:
            return sid, False
        sid = len(self._parent)
        self._ids[state] = sid
        self._parent.append(-1 if parent is None else parent)
        self._via.append(transition)
        self._depth.append(depth)
        return sid, True

    def depth(self, sid):
        return self._depth[sid]

    def path(self, sid):
        out: list[Transition] = []
        while self._parent[sid] >= 0:
            out.append(self._via[sid])
            sid = self._parent[sid]
        out.reverse()
        return out

    def __contains__(self, state):
        return state in self._ids

    def __len__(self):
        return len(self._parent)


@dataclass
class Shortest:
    """The shortest execution found for one violation kind."""

    finding: Finding
    trace: tuple[Step, ...]


@dataclass
class Exploration:
    """What one search found. `outcomes` pairs each counted final state with the number
    of explored executions ending in it; `complete` is False when a budget, an interrupt
    or a cut execution stopped the search from covering everything (`reason` says what)."""

    explored: int = 0
    expanded: int = 0
    executions: int = 0
    executions_exact: bool = True
    outcomes: list[tuple[Mapping[str, int], int]] = field(default_factory=list)
    violations: dict[str, Shortest] = field(default_factory=dict)
    complete: bool = True
    reason: str = ""
    seconds: float = 0.0
    reduced_expansions: int = 0

    def violation_list(self, thread_ids: Sequence[int] | None = None) -> list[Violation]:
        """The violations found as result objects, in `VIOLATION_KINDS` order;
        `thread_ids[i]` renames the thread index `i` of the traces (default: unchanged)."""

        def tid(i):
            return i if thread_ids is None or i is None else thread_ids[i]

        return [
            Violation(
                kind,
                self.violations[kind].finding.message,
                tuple(Step(tid(s.thread), s.step, s.detail) for s in self.violations[kind].trace),
            )
            for kind in VIOLATION_KINDS
            if kind in self.violations
        ]

    def result(
        self, program: Program, model: str, engine: str, violations: list[Violation], extra: dict
    ) -> CheckResult:
        """This search as a `CheckResult`, through the one result builder every engine uses
        (`incref.ir.results.result_of`); the explorer's own counts join the engine's `extra`."""
        return result_of(
            program,
            model,
            engine,
            outcomes=self.outcomes,
            violations=violations,
            explored=self.explored,
            executions=self.executions,
            seconds=self.seconds,
            incomplete_reason=None if self.complete else self.reason,
            extra={
                **extra,
                "expanded": self.expanded,
                "reduced_expansions": self.reduced_expansions,
                "executions_exact": self.executions_exact,
            },
        )


Progress = Callable[[int, float], None]  # (states stored, seconds elapsed)


def independent(t: Transition, fp: Footprint) -> bool:
    """Neither writes what the other touches."""
    return not (t.writes & (fp.reads | fp.writes) or t.reads & fp.writes)


def persistent_set(
    system: TransitionSystem,
    state: State,
    enabled: Sequence[Transition],
    memo: dict[Hashable, int | None] | None = None,
) -> list[Transition] | None:
    """The enabled transitions of one thread that no other thread can interfere with,
    preferring the thread with fewest; None when no thread qualifies. `memo` remembers
    the choice per `system.control(state)`."""
    key = None
    if memo is not None:
        key = system.control(state)
        if memo.get(key, -1) is None:
            return None
    by_thread: dict[int, list[Transition]] = {}
    for t in enabled:
        by_thread.setdefault(t.thread, []).append(t)
    if len(by_thread) < 2:
        return None
    if memo is None:
        return _choose(system, state, by_thread)
    if key not in memo:
        memo[key] = _choose(system, state, by_thread)
    chosen = memo[key]
    return None if chosen is None else by_thread[chosen]


def _choose(system: TransitionSystem, state: State, by_thread: dict[int, list[Transition]]) -> int | None:
    others = list(system.threads(state))
    futures: dict[int, Footprint] = {}
    for p in sorted(by_thread, key=lambda q: (len(by_thread[q]), q)):
        if system.waiting(state, p):
            continue
        mine = by_thread[p]
        ok = True
        for q in others:
            if q == p:
                continue
            fp = futures.get(q)
            if fp is None:
                fp = futures[q] = system.future(state, q)
            if not all(independent(t, fp) for t in mine):
                ok = False
                break
        if ok:
            return p
    return None


def replay(system: TransitionSystem, choices: Sequence[int]) -> tuple[State, list[Transition]]:
    """The state reached from the initial state by taking `choices` (indices into the
    enabled list at each step): how a subtree is named when handed to another worker."""
    state = system.initial()
    path: list[Transition] = []
    for c in choices:
        t = system.enabled(state)[c]
        path.append(t)
        state = system.step(state, t)
    return state, path


def explore(
    system: TransitionSystem,
    *,
    reduction: bool = True,
    max_states: int | None = None,
    timeout: float | None = None,
    progress: Progress | None = None,
    store: VisitedStore | None = None,
    prefix: Sequence[int] = (),
) -> Exploration:
    """Breadth-first search of every state reachable from the initial state (or from the
    state `prefix` leads to). Stops early, with `complete=False`, when more than
    `max_states` states are stored, after `timeout` seconds, or on Ctrl-C."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _explore(system, reduction, max_states, timeout, progress, store, prefix)
    finally:
        if collecting:
            gc.enable()


def _explore(system, reduction, max_states, timeout, progress, store, prefix) -> Exploration:
    """`explore` with Python's cyclic garbage collector off: the search allocates millions
    of tuples that never form cycles, and each collection would rescan the whole growing
    visited store (measured: 40% of the time of a 118,000-state search)."""
    started = time.monotonic()
    deadline = None if timeout is None else started + timeout
    store = store if store is not None else DictStore()
    root, root_path = replay(system, prefix)
    result = Exploration()
    store.add(root, None, None, 0)
    frontier: deque[tuple[State, int]] = deque([(root, 0)])
    children: dict[int, list[int]] = {}
    endings: dict[int, Ending] = {}
    stop_reason = ""
    memo: dict[Hashable, int | None] | None = {} if hasattr(system, "control") else None
    try:
        while frontier:
            if max_states is not None and len(store) > max_states:
                stop_reason = f"state budget reached (--max-states {max_states})"
                break
            if result.expanded & 63 == 0:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    stop_reason = f"time budget reached after {now - started:.2f} s of search"
                    break
                if progress is not None and result.expanded & 4095 == 0:
                    progress(len(store), now - started)
            state, sid = frontier.popleft()
            enabled = system.enabled(state)
            result.expanded += 1
            if not enabled:
                endings[sid] = system.finish(state)
                continue
            chosen: Sequence[Transition] = enabled
            succs: list[tuple[Transition, State]] | None = None
            if reduction:
                ample = persistent_set(system, state, enabled, memo)
                if ample is not None:
                    succs = [(t, system.step(state, t)) for t in ample]
                    if not system.acyclic and any(s in store for _, s in succs):
                        succs = None
                    else:
                        result.reduced_expansions += 1
            if succs is None:
                succs = [(t, system.step(state, t)) for t in chosen]
            depth = store.depth(sid) + 1
            kids = children[sid] = []
            for t, nxt in succs:
                nid, new = store.add(nxt, sid, t, depth)
                kids.append(nid)
                if new:
                    frontier.append((nxt, nid))
    except KeyboardInterrupt:
        stop_reason = "interrupted (Ctrl-C)"
    result.seconds = time.monotonic() - started
    result.explored = len(store)
    _summarise(system, store, root_path, children, endings, result)
    if stop_reason:
        result.complete = False
        covered = (
            f"{result.explored} states stored, {result.expanded} expanded, {result.executions} complete executions"
        )
        result.reason = f"{stop_reason}: {covered}; outcomes and violations so far are a lower bound"
    return result


def _summarise(system, store, root_path, children, endings, result) -> None:
    paths = _count_paths(len(store), children)
    if paths is None:
        result.executions_exact = False
        paths = {sid: 1 for sid in endings}
    outcomes: list[tuple[Mapping[str, int], int]] = []
    best: dict[str, tuple[int, int, Finding]] = {}
    cut_reasons: list[str] = []
    executions = 0
    for sid, ending in endings.items():
        n = paths.get(sid, 0)
        if ending.status == CUT:
            cut_reasons.append(ending.reason)
        if ending.status == COMPLETE and ending.outcome is not None:
            outcomes.append((ending.outcome, n))
            executions += n
        for f in ending.findings:
            d = store.depth(sid)
            if f.kind not in best or (d, sid) < best[f.kind][:2]:
                best[f.kind] = (d, sid, f)
    result.outcomes = outcomes
    result.executions = executions
    if cut_reasons:
        result.complete = False
        result.reason = (
            f"{sorted(set(cut_reasons))[0]} (in {len(cut_reasons)} final states); the search is not exhaustive"
        )
    for kind, (_, sid, finding) in sorted(best.items()):
        result.violations[kind] = _shortest(system, root_path + store.path(sid), finding)


def _shortest(system: TransitionSystem, path: list[Transition], finding: Finding) -> Shortest:
    """Replay `path` to rebuild its trace; steps that show `finding.kind` are marked, and
    the message is the one of the first such step (else the end-of-execution one)."""
    state = system.initial()
    steps: list[Step] = []
    message = None
    for t in path:
        detail, found = system.explain(state, t)
        here = next((f.message for f in found if f.kind == finding.kind), None)
        if here is not None:
            detail = f"{detail}  <- {finding.kind}" if detail else f"<- {finding.kind}"
            message = message or here
        steps.append(Step(t.thread, t.label, detail))
        state = system.step(state, t)
    return Shortest(Finding(finding.kind, message or finding.message), tuple(steps))


def _count_paths(n: int, children: Mapping[int, list[int]]) -> dict[int, int] | None:
    """Number of paths from state 0 to every state (Kahn's topological order); None when
    the explored graph has a cycle (then paths are not finite)."""
    indeg = [0] * n
    for kids in children.values():
        for k in kids:
            indeg[k] += 1
    paths = [0] * n
    paths[0] = 1
    ready = [i for i in range(n) if indeg[i] == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for k in children.get(i, ()):
            paths[k] += paths[i]
            indeg[k] -= 1
            if indeg[k] == 0:
                ready.append(k)
    if done != n:
        return None
    return {i: p for i, p in enumerate(paths) if i not in children}


__all__: list[Any] = [
    "BLOCKED",
    "COMPLETE",
    "CUT",
    "DictStore",
    "Ending",
    "Exploration",
    "Finding",
    "Footprint",
    "Shortest",
    "Transition",
    "TransitionSystem",
    "VisitedStore",
    "explore",
    "independent",
    "persistent_set",
    "replay",
]
