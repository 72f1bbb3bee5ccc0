"""Enumerating consistent executions with pruning.

For a program, the search picks one path per thread (a skeleton; a read's value must be
writable by some thread, checked as threads are added), then builds `rf` one read at a
time and `co` one write at a time, checking the model on every *partial* graph. As in
GenMC (Kokologiannakis, Raad, Vafeiadis, PLDI 2019, section 4; Kokologiannakis et al.,
CAV 2021) an inconsistent prefix is abandoned with all its completions: that is sound
for every axiom whose relation is monotone in `rf`/`co` (`cat.Model.pruning`), and the
full model is checked on each complete graph. Partial `co` is a prefix of the coherence
order of each location: the chosen writes come before every write not yet placed.

A read may only read a write of the same location and value; `co` always contains the
edges every coherent graph has (`Skeleton.forced_co`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from incref.checker.axiomatic.graph import Execution, Layout, PlacedPath, Skeleton
from incref.checker.axiomatic.paths import ThreadPaths, others_of, value_sets
from incref.ir.program import Program
from incref.models.axiomatic import relalg as ra
from incref.models.axiomatic.cat import Model


class Budget(Exception):
    """The exploration ran out of states or time; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Counter:
    max_states: int | None = None
    deadline: float | None = None
    progress: Callable[[int], None] | None = None
    explored: int = 0
    skeletons: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def visit(self) -> None:
        self.explored += 1
        if self.max_states is not None and self.explored > self.max_states:
            raise Budget(f"state budget of {self.max_states} partial graphs exhausted")
        if not self.explored & 1023:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise Budget("time budget exhausted")
            if self.progress is not None:
                self.progress(self.explored)


def skeletons(program: Program, counter: Counter) -> Iterator[Skeleton]:
    """Every tuple of thread paths whose reads could all be matched by some write (each
    thread path enumerated counts as a visited partial graph, for the budgets)."""
    threads = [ThreadPaths(program, t) for t in program.threads]
    writable = value_sets(program, threads, counter.visit)
    per_thread = [list(tp.paths(others_of(writable, k), counter.visit)) for k, tp in enumerate(threads)]
    layout = Layout(program, per_thread)
    placed = [[layout.place(k, path) for path in paths] for k, paths in enumerate(per_thread)]
    # values each thread k or a later one may write, by location
    later: list[dict[str, set[int]]] = [{} for _ in range(len(per_thread) + 1)]
    for k in range(len(per_thread) - 1, -1, -1):
        merged = {loc: set(vs) for loc, vs in later[k + 1].items()}
        for loc, vs in writable[k].items():
            merged.setdefault(loc, set()).update(vs)  # the values (keys), depths aside
        later[k] = merged

    chosen: list[PlacedPath] = []
    written: dict[str, list[int]] = {}
    initial = program.locations

    def unmatched(reads) -> list[tuple[str, int]]:
        """The reads no write chosen so far (nor the initial value) can feed."""
        return [(loc, v) for loc, v in reads if v != initial.get(loc, 0) and v not in written.get(loc, ())]

    def extend(k: int, pending: list[tuple[str, int]]) -> Iterator[Skeleton]:
        if k == len(per_thread):
            counter.skeletons += 1
            yield Skeleton(layout, list(chosen))
            return
        for pp in placed[k]:
            counter.visit()
            for loc, v in pp.writes:
                written.setdefault(loc, []).append(v)
            still = unmatched(pending + pp.reads)
            # a read left unmatched must be fed by a later thread
            if all(v in later[k + 1].get(loc, ()) for loc, v in still):
                chosen.append(pp)
                yield from extend(k + 1, still)
                chosen.pop()
            for loc, _ in pp.writes:
                written[loc].pop()

    yield from extend(0, [])


def executions(sk: Skeleton, model: Model, counter: Counter, every_co: bool = True) -> Iterator[Execution]:
    """The consistent executions of one skeleton. Without `every_co`, only one `co` per
    choice of the co-last write of each location (the final memory): the final states
    are the same, far fewer graphs are checked, and the execution count is a lower bound."""
    static = model.prepare(sk.base, sk.sets)
    sets = sk.sets
    n = sk.n
    events = sk.events
    writes_mask = sets["W"]
    reads = [ev.eid for ev in sk.live if ev.kind == "R"]
    candidates: list[list[int]] = []
    for r in reads:
        ev = events[r]
        same = sk.by_loc[ev.loc] & writes_mask
        cands = [w for w in ra.bits(same) if events[w].value == ev.value and not (sk.po[r] >> w) & 1]
        if not cands:
            return
        candidates.append(cands)
    forced = sk.forced_co()
    rf = [0] * n
    rf_of: dict[int, int] = {}

    def consistent_partial(co, env=static) -> bool:
        counter.visit()
        failed = model.failing_axiom(env, sets, env.get("rf") or tuple(rf), co, partial=True)
        if failed is not None:
            counter.rejected[failed] = counter.rejected.get(failed, 0) + 1
            return False
        return True

    locs = [loc for loc, mask in sk.by_loc.items() if bin(mask & writes_mask).count("1") > 2]

    def choose_rf(i: int) -> Iterator[Execution]:
        if i == len(reads):
            co = _coherent_co(sk, rf_of, forced)
            if co is not None:
                env = model.with_rf(static, sets, tuple(rf))
                succ = _rmw_successors(sk, rf_of)
                if succ is None:
                    return
                if every_co:
                    yield from choose_co(0, co, succ, env)
                else:
                    yield from choose_lasts(0, co, succ, env)
            return
        r = reads[i]
        # a partial check pays off where the read had a choice; forced reads wait for it
        check = len(candidates[i]) > 1
        for w in candidates[i]:
            rf[w] |= 1 << r
            rf_of[r] = w
            if not check or consistent_partial(forced):
                yield from choose_rf(i + 1)
            rf[w] &= ~(1 << r)
            del rf_of[r]

    def choose_co(li: int, co: tuple[int, ...], succ: dict[int, int], env) -> Iterator[Execution]:
        if li == len(locs):
            counter.visit()
            rf_t = env["rf"]
            failed = model.failing_axiom(env, sets, rf_t, co)
            if failed is None:
                yield Execution(sk, dict(rf_of), co, rf_t, env)
            else:
                counter.rejected[failed] = counter.rejected.get(failed, 0) + 1
            return
        if li and not consistent_partial(co, env):
            return
        loc = locs[li]
        init = sk.init_of[loc]
        mask = sk.by_loc[loc] & writes_mask & ~(1 << init)
        yield from place(li, co, mask, succ.get(init), succ, env)

    def choose_lasts(li: int, co: tuple[int, ...], succ, env) -> Iterator[Execution]:
        """Fix the co-last write of each location, then find one consistent co."""
        if li == len(locs):
            for ex in choose_co(0, co, succ, env):
                yield ex
                return
            return
        loc = locs[li]
        mask = sk.by_loc[loc] & writes_mask & ~(1 << sk.init_of[loc])
        for last in ra.bits(mask):
            if co[last] & mask or last in succ:
                continue  # a write must follow it
            others = mask & ~(1 << last)
            yield from choose_lasts(
                li + 1,
                tuple(
                    row | (1 << last) if (others >> i) & 1 or i == sk.init_of[loc] else row for i, row in enumerate(co)
                ),
                succ,
                env,
            )

    def place(li: int, co: tuple[int, ...], remaining: int, must: int | None, succ, env) -> Iterator[Execution]:
        """Order the `remaining` writes of location `li` after those already placed;
        `must` is the write that has to come next (an RMW reading the last one placed)."""
        if not remaining:
            yield from choose_co(li + 1, co, succ, env)
            return
        for w in ra.bits(remaining if must is None else remaining & (1 << must)):
            rest = remaining & ~(1 << w)
            if any((co[o] >> w) & 1 for o in ra.bits(rest)):
                continue  # a write not yet placed must precede w
            row = list(co)
            row[w] |= rest
            yield from place(li, tuple(row), rest, succ.get(w), succ, env)

    if reads:
        yield from choose_rf(0)
    else:
        yield from choose_co(0, forced, {}, model.with_rf(static, sets, tuple(rf)))


def _coherent_co(sk: Skeleton, rf_of: dict[int, int], forced: tuple[int, ...]) -> tuple[int, ...] | None:
    """`forced` plus the co edges coherence derives from rf (herd's CoWR, CoRW, CoRR:
    every model here is coherent), transitively closed; None when they form a cycle."""
    co = list(forced)
    po = sk.po
    writes = sk.sets["W"]
    for r, w in rf_of.items():
        same = sk.by_loc[sk.events[r].loc]
        for w2 in ra.bits(same & writes & ~(1 << w)):
            if (po[w2] >> r) & 1:
                co[w2] |= 1 << w  # CoWR: a po-earlier write is co-before the source
            elif (po[r] >> w2) & 1:
                co[w] |= 1 << w2  # CoRW: the source is co-before a po-later write
        for r2 in ra.bits(po[r] & same & sk.sets["R"]):
            w2 = rf_of[r2]
            if w2 != w:
                co[w] |= 1 << w2  # CoRR
    closed = ra.plus(tuple(co))
    if not ra.is_irreflexive(closed):
        return None
    return closed


def _rmw_successors(sk: Skeleton, rf_of: dict[int, int]) -> dict[int, int] | None:
    """write -> the RMW write that must immediately follow it in co (atomicity); None
    when two RMWs read one write (both cannot follow it)."""
    succ: dict[int, int] = {}
    for r, row in enumerate(sk.base["rmw"]):
        if row:
            src = rf_of[r]
            if src in succ:
                return None
            succ[src] = row.bit_length() - 1
    return succ


def explore(program: Program, model: Model, counter: Counter, every_co: bool = True) -> Iterator[Execution]:
    for sk in skeletons(program, counter):
        yield from executions(sk, model, counter, every_co)
