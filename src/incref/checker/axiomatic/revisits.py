"""Reads-from-driven exploration with backward revisits: every consistent execution graph
of a program visited exactly once, for models in which `po | rf` is acyclic.

The algorithm is TruSt (Kokologiannakis, Marmanis, Gladstein, Vafeiadis, "Truly
Stateless, Optimal Dynamic Partial Order Reduction", POPL 2022, Algorithm 1 and section
5), with the revisit conditions as GenMC states them (`isMaximalExtension`). A graph
grows one event at a time, always in the lowest-numbered thread that has not finished:

- a *read* is added once per write of its location already in the graph (the initial
  write included): values are computed from the chosen `rf`, never enumerated;
- a *write* is added once per place in the coherence order of its location (right after
  each write already there; an RMW's write right after the write its read reads), and
  then, for each same-location read `r` outside the write's `porf` prefix, the graph is
  *revisited*: everything added after `r` that is not in the write's prefix is deleted
  and `r` reads from the new write. That is how a read comes to read a write that was
  added after it.

Every graph is checked against the whole model each time it grows; an inconsistent one
is abandoned with all its extensions (the models here are prefix-closed: a restriction
of a consistent graph to a `porf`-closed set of events is consistent).

Optimality comes from the *maximality* condition on revisits: a revisit of `r` by `w`
happens only if every deleted event, and `r` itself, was added *maximally* -- a read
reading the co-latest write, a write placed co-last, at the time it was added, and
still co-after every kept write -- and `w`'s coherence successor, if any, is kept. Then
each graph has exactly one exploration history (TruSt, Theorem 5.4), so for a model that
is `porf`-acyclic and extensible no graph is produced twice and no exploration ends
without a graph. Reads in the prefix of a revisiting write are *stable*: never revisited
again (GenMC's `setRevisitStatus(false)`), which keeps the kept part of a later revisit
closed under `rf`.

Threads are interpreted by `paths.ThreadPaths.advance`: a thread's state is rebuilt by
replaying its code with the values of its reads in the graph when a revisit changes a
read or cuts the thread.

Counts (`Tally`): `graphs` complete consistent graphs; `blocked` complete graphs in which
an `Assume` stopped a thread (spin loops, not executions); `dead_ends` consistent partial
graphs none of whose extensions was consistent (0 for extensible models);
`revisits` backward revisits made, `rejected` inconsistent graphs per axiom.
"""

from __future__ import annotations

from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass, field

from incref.checker.axiomatic.graph import Event, Execution, Layout, Skeleton
from incref.checker.axiomatic.paths import Path, Pending, ThreadPaths, _State
from incref.ir.program import Program, Store
from incref.models.axiomatic.cat import Model

Key = tuple[int, int]  # (thread, index in the thread); (-1, k) is the initial write of location k


def applies(program: Program, model: Model) -> bool:
    """Whether this exploration is exact for `program` under `model`: the model forbids
    `po | rf` cycles (`Model.forbids_porf_cycles`) and no thread has a store-exclusive
    (whose spontaneous failure is a choice no read makes)."""
    if not model.forbids_porf_cycles():
        return False
    return not any(type(i) is Store and i.status is not None for t in program.threads for i in t.code)


@dataclass
class Tally:
    graphs: int = 0
    blocked: int = 0
    dead_ends: int = 0
    revisits: int = 0


@dataclass
class _Graph:
    """A partial execution graph: per thread its interpreter state (`st.events` begins
    with the thread's events in the graph; an RMW's write may wait there as the next
    event), `length` events in the graph, and `end` once the thread has finished (its
    `Path`, or None when an `Assume` blocked it)."""

    st: list[_State]
    length: list[int]
    end: list
    rf: dict[Key, Key]
    co: dict[str, list[Key]]
    stamp: dict[Key, int]
    maximal: set[Key]
    stable: set[Key]
    next_stamp: int = 0
    fresh: list[bool] = field(default_factory=list)  # per thread: st is not shared with a parent graph

    def copy(self) -> _Graph:
        return _Graph(
            list(self.st),
            list(self.length),
            list(self.end),
            dict(self.rf),
            {loc: list(ws) for loc, ws in self.co.items()},
            dict(self.stamp),
            set(self.maximal),
            set(self.stable),
            self.next_stamp,
            [False] * len(self.st),
        )

    def event(self, key: Key):
        return self.st[key[0]].events[key[1]]

    def own(self, t: int) -> _State:
        """Thread `t`'s state, copied first if a parent graph shares it."""
        if not self.fresh[t]:
            self.st[t] = self.st[t].fork()
            self.fresh[t] = True
        return self.st[t]

    def add(self, key: Key, maximal: bool) -> None:
        self.length[key[0]] += 1
        self.stamp[key] = self.next_stamp
        self.next_stamp += 1
        if maximal:
            self.maximal.add(key)


class Explorer:
    """The exploration of one program under one model (see the module docstring)."""

    def __init__(self, program: Program, model: Model, counter, tally: Tally):
        self.program = program
        self.model = model
        self.counter = counter
        self.tally = tally
        self.threads = [ThreadPaths(program, t) for t in program.threads]
        self.locs: list[str] = list(program.locations)
        self.shapes: dict[tuple, _Shape] = {}

    # --- graphs -------------------------------------------------------------------
    def initial(self) -> _Graph:
        n = len(self.threads)
        return _Graph(
            [tp.initial() for tp in self.threads],
            [0] * n,
            [False] * n,
            {},
            {},
            {},
            set(),
            set(),
            0,
            [True] * n,
        )

    def init_key(self, loc: str) -> Key:
        if loc not in self.locs:
            self.locs.append(loc)
        return (-1, self.locs.index(loc))

    def writes(self, g: _Graph, loc: str) -> list[Key]:
        ws = g.co.get(loc)
        if ws is None:
            ws = g.co[loc] = [self.init_key(loc)]
        return ws

    def value(self, g: _Graph, w: Key) -> int:
        if w[0] < 0:
            return self.program.locations.get(self.locs[w[1]], 0)
        return g.event(w).value

    # --- the search ---------------------------------------------------------------
    def run(self) -> Iterator[tuple[Execution, bool]]:
        """(execution, blocked) for every complete consistent graph."""
        yield from self.visit(self.initial())

    def visit(self, g: _Graph, checked=None) -> Iterator[tuple[Execution, bool]]:
        """Explore the extensions of `g`; `checked` is `check(g)` when known already (a
        thread that ended adds no event: the graph is the one just checked)."""
        self.counter.visit()
        shape, env, rf, co = checked or self.check(g)
        if env is None:
            return
        for t, st in enumerate(g.st):
            if len(st.events) > g.length[t]:  # a revisited RMW read's write comes first
                yield from self.add_write(g, t)
                return
        t = next((k for k, e in enumerate(g.end) if e is False), None)
        if t is None:
            blocked = any(e is None for e in g.end)
            if blocked:
                self.tally.blocked += 1
            else:
                self.tally.graphs += 1
            yield self.execution(g, shape, env, rf, co), blocked
            return
        g = g.copy()
        st = g.own(t)
        step = self.threads[t].advance(st)
        if step is True:
            if st.events[-1].kind == "W":
                yield from self.add_write(g, t)
            else:
                g.add((t, g.length[t]), True)
                yield from self.visit(g)
        elif type(step) is Pending:
            yield from self.add_read(g, t, step)
        else:  # the thread ended (a Path) or an Assume blocked it (None)
            g.end[t] = step
            yield from self.visit(g, (shape, env, rf, co))

    def add_read(self, g: _Graph, t: int, pending: Pending) -> Iterator[tuple[Execution, bool]]:
        ws = self.writes(g, pending.loc)
        before = self.tally.graphs + self.tally.blocked
        explored = self.counter.explored
        key = (t, g.length[t])
        for i in range(len(ws) - 1, -1, -1):  # the co-latest write first (the maximal choice)
            w = ws[i]
            h = g.copy()
            st = h.own(t)
            self.threads[t].read(st, pending, self.value(g, w))
            h.add(key, i == len(ws) - 1)
            h.rf[key] = w
            if len(st.events) > h.length[t]:  # an RMW: its read and write are added together
                yield from self.add_write(h, t, alone=False)
            else:
                yield from self.visit(h)
        self.note_dead_end(before, explored)

    def add_write(self, g: _Graph, t: int, alone: bool = True) -> Iterator[tuple[Execution, bool]]:
        """Add thread `t`'s next event, a write, at each place in `co`, then revisit.
        `alone` is False for the write of an RMW added with its read (the read's
        choices, not this one, are then the extensions of the graph)."""
        key = (t, g.length[t])
        ev = g.event(key)
        ws = self.writes(g, ev.loc)
        if ev.rmw_of is not None:
            places = [ws.index(g.rf[(t, ev.rmw_of)])]
        else:
            places = range(len(ws) - 1, -1, -1)
        before = self.tally.graphs + self.tally.blocked
        explored = self.counter.explored
        for p in places:
            h = g.copy()
            h.co[ev.loc].insert(p + 1, key)
            h.add(key, p == len(ws) - 1)
            yield from self.visit(h)
            yield from self.revisits(h, key)
        if alone:
            self.note_dead_end(before, explored)

    def note_dead_end(self, before: int, explored: int) -> None:
        """No complete graph came out of a consistent graph's extensions although some
        extension was tried: TruSt's blocked exploration (none for extensible models)."""
        if self.tally.graphs + self.tally.blocked == before and self.counter.explored > explored:
            self.tally.dead_ends += 1

    # --- backward revisits ------------------------------------------------------------
    def prefix(self, g: _Graph, key: Key) -> list[int]:
        """The `porf` prefix of `key`: per thread, how many of its first events it holds."""
        view = [0] * len(g.length)
        todo = [key]
        while todo:
            t, i = todo.pop()
            if t < 0 or view[t] > i:
                continue
            for j in range(view[t], i + 1):
                src = g.rf.get((t, j))
                if src is not None:
                    todo.append(src)
            view[t] = i + 1
        return view

    def revisits(self, g: _Graph, w: Key) -> Iterator[tuple[Execution, bool]]:
        loc = g.event(w).loc
        view = self.prefix(g, w)
        reads = [
            k
            for k, s in g.stamp.items()
            if k[1] >= view[k[0]]
            and k not in g.stable
            and k in g.maximal
            and g.event(k).kind == "R"
            and g.event(k).loc == loc
        ]
        reads.sort(key=g.stamp.__getitem__, reverse=True)
        for r in reads:
            keep = self.kept(g, r, view)
            if self.maximal_extension(g, r, w, keep):
                self.tally.revisits += 1
                yield from self.visit(self.revisit(g, r, w, keep, view))

    def kept(self, g: _Graph, r: Key, view: list[int]) -> list[int]:
        """Per thread, how many events a revisit of `r` keeps: those added up to `r`, and
        the revisiting write's prefix (`view`)."""
        limit = g.stamp[r]
        keep = list(view)
        for t, n in enumerate(g.length):
            k = keep[t]
            while k < n and g.stamp[(t, k)] <= limit:
                k += 1
            keep[t] = k
        return keep

    def maximal_extension(self, g: _Graph, r: Key, w: Key, keep: list[int]) -> bool:
        """GenMC's `isMaximalExtension`: the deleted events and `r` were each added
        maximally and are co-after everything kept, none reads from a deleted write that
        revisited it, and `w`'s co-successor (for a plain write) stays."""

        def kept(k: Key) -> bool:
            return k[0] < 0 or k[1] < keep[k[0]]

        ev = g.event(w)
        ws = g.co[ev.loc]
        if ev.rmw_of is None:
            i = ws.index(w)
            if i + 1 < len(ws) and not kept(ws[i + 1]):
                return False
        victims = [r] + [(t, i) for t, n in enumerate(g.length) for i in range(keep[t], n)]
        for e in victims:
            if e not in g.maximal:
                return False
            lab = g.event(e)
            if lab.kind == "F":
                continue
            x = e if lab.kind == "W" else g.rf[e]
            if lab.kind == "R" and not kept(x) and g.stamp[x] > g.stamp[e]:
                return False
            order = g.co[lab.loc]
            for succ in order[order.index(x) + 1 :]:
                if succ != w and kept(succ):
                    return False
        return True

    def revisit(self, g: _Graph, r: Key, w: Key, keep: list[int], view: list[int]) -> _Graph:
        """`g` cut to `keep`, with `r` reading from `w`; the threads cut or changed are
        replayed from their reads' values."""
        h = g.copy()
        for t, n in enumerate(g.length):
            if keep[t] < n or (t == r[0]):
                h.length[t] = keep[t]
                h.end[t] = False
        h.length[r[0]] = r[1] + 1
        alive = {k for k in g.stamp if k[1] < h.length[k[0]]}
        h.stamp = {k: s for k, s in g.stamp.items() if k in alive}
        h.rf = {k: s for k, s in g.rf.items() if k in alive}
        h.co = {loc: [k for k in ws if k[0] < 0 or k in alive] for loc, ws in g.co.items()}
        h.maximal &= alive
        h.stable &= alive
        h.rf[r] = w
        ws = h.co[g.event(w).loc]
        if ws[-1] == w:
            h.maximal.add(r)
        else:
            h.maximal.discard(r)
        for t, n in enumerate(view):
            h.stable.update((t, i) for i in range(n))
        for t, n in enumerate(g.length):
            if h.length[t] < n or t == r[0]:
                h.st[t] = self.replay(h, t)
                h.fresh[t] = True
        return h

    def replay(self, g: _Graph, t: int) -> _State:
        """Thread `t`'s state after its first `g.length[t]` events, each read returning
        the value of the write it reads from in `g`."""
        tp = self.threads[t]
        st = tp.initial()
        while len(st.events) < g.length[t]:
            step = tp.advance(st)
            if type(step) is Pending:
                src = g.rf[(t, len(st.events))]
                tp.read(st, step, self.value(g, src))
            elif step is not True:
                raise AssertionError(f"replay of thread {t} ended early")
        return st

    # --- consistency ----------------------------------------------------------------------
    def paths(self, g: _Graph) -> list[Path]:
        out = []
        for t, st in enumerate(g.st):
            end = g.end[t]
            if type(end) is Path and len(end.events) == g.length[t]:
                out.append(end)
            else:
                out.append(Path(tuple(st.events[: g.length[t]]), st.regs, st.deltas))
        return out

    def shape(self, g: _Graph) -> _Shape:
        """The value-free structure of `g`'s events (relations, sets, the model's static
        environment), built once per distinct shape: graphs that differ only in the values
        their events carry share it."""
        key = tuple(
            tuple(
                (ev.kind, ev.loc, ev.order, ev.addr, ev.data, ev.ctrl, ev.rmw_of, ev.locked, id(ev.instr))
                for ev in st.events[: g.length[t]]
            )
            for t, st in enumerate(g.st)
        )
        shape = self.shapes.get(key)
        if shape is None:
            paths = self.paths(g)
            layout = Layout(self.program, [[p] for p in paths])
            skeleton = Skeleton(layout, [layout.place(t, p) for t, p in enumerate(paths)])
            static = self.model.prepare(skeleton.base, skeleton.sets)
            locs = self.locs
            offsets = layout.offsets
            init_ids = [layout.init_of.get(loc, -1) for loc in locs]
            shape = self.shapes[key] = _Shape(skeleton, static, offsets, init_ids)
        elif len(shape.init_ids) < len(self.locs):
            shape.init_ids = [shape.skeleton.init_of.get(loc, -1) for loc in self.locs]
        return shape

    def check(self, g: _Graph):
        """(shape, model environment, rf, co) of `g`; environment None when `g` is
        inconsistent."""
        shape = self.shape(g)
        n = shape.skeleton.n
        offsets, init_ids = shape.offsets, shape.init_ids
        rf = [0] * n
        for r, w in g.rf.items():
            rf[init_ids[w[1]] if w[0] < 0 else offsets[w[0]] + w[1]] |= 1 << (offsets[r[0]] + r[1])
        co = [0] * n
        for ws in g.co.values():
            later = 0
            for k in reversed(ws):
                i = init_ids[k[1]] if k[0] < 0 else offsets[k[0]] + k[1]
                co[i] |= later
                later |= 1 << i
        rf_t, co_t = tuple(rf), tuple(co)
        sets = shape.skeleton.sets
        env = self.model.with_rf(shape.static, sets, rf_t)
        failed = self.model.failing_axiom(env, sets, rf_t, co_t)
        if failed is not None:
            self.counter.rejected[failed] = self.counter.rejected.get(failed, 0) + 1
            return shape, None, rf_t, co_t
        return shape, env, rf_t, co_t

    def execution(self, g: _Graph, shape: _Shape, env, rf, co) -> Execution:
        """The complete graph `g` as an `Execution`: the shape's skeleton with this graph's
        events (their values) and thread paths."""
        skeleton = copy(shape.skeleton)
        skeleton.paths = self.paths(g)
        events = list(skeleton.events)
        for t, path in enumerate(skeleton.paths):
            base = shape.offsets[t]
            for i, local in enumerate(path.events):
                events[base + i] = Event(base + i, t, local.kind, local.loc, local.value, local)
        skeleton.events = events
        skeleton.live = [ev for ev in events if ev is not None]
        offsets, init_ids = shape.offsets, shape.init_ids
        rf_of = {offsets[r[0]] + r[1]: init_ids[w[1]] if w[0] < 0 else offsets[w[0]] + w[1] for r, w in g.rf.items()}
        return Execution(skeleton, rf_of, co, rf, env)


@dataclass
class _Shape:
    skeleton: Skeleton  # its events' values are those of the first graph of this shape
    static: dict
    offsets: list[int]
    init_ids: list[int]  # by index in `Explorer.locs`


def signature(ex: Execution) -> tuple:
    """What identifies an execution graph (for the duplicate check of the tests): each
    thread's events, `rf` and `co`."""
    events = tuple((ev.tid, ev.kind, ev.loc, ev.value) for ev in ex.skeleton.live)
    return events, tuple(sorted(ex.rf_of.items())), ex.co
