"""Execution graphs: events numbered 0..n-1 with the static relations of a choice of
thread paths (a *skeleton*), and a complete execution (skeleton + `rf` + `co`).

Events 0..L-1 are the initial writes (one per location the skeleton touches, thread
-1, herd7's `IW`); then each thread's events in program order. Relations and sets are
bit-matrices and bitsets (`incref.models.axiomatic.relalg`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from incref.checker.axiomatic.paths import LocalEvent, Path
from incref.ir.program import Order, Program, describe
from incref.ir.results import Step
from incref.models.axiomatic import relalg as ra
from incref.models.axiomatic.armv8 import access_flavour, fence_flavour

SET_NAMES = (
    "R",
    "W",
    "F",
    "M",
    "IW",
    "ACCESS",
    "FREE",
    "LOCKED",
    "NA",
    "RLX",
    "ACQ",
    "REL",
    "SC",
    "A",
    "Q",
    "L",
    "mfence",
    "dmb.full",
    "dmb.ld",
    "dmb.st",
    "isb",
)


@dataclass(frozen=True)
class Event:
    eid: int
    tid: int  # -1 for initial writes
    kind: str  # R W F
    loc: str | None
    value: int
    local: LocalEvent | None  # None for initial writes

    def label(self) -> str:
        if self.local is None:
            return f"init {self.loc}={self.value}"
        ins = self.local.instr
        if self.kind == "F":
            return describe(ins)
        mode = self.local.order.value
        what = "free" if self.local.free_of else ("R" if self.kind == "R" else "W")
        return f"{what}.{mode} {self.loc}={self.value}"


class Layout:
    """Fixed event numbering for a whole program: one initial write per location (ids
    0..L-1), then a block of slots per thread as long as its longest path. A path's
    events always take the first slots of its thread's block, so its relations and sets
    are computed once (`PlacedPath`) and a skeleton is just their union."""

    def __init__(self, program: Program, per_thread: Sequence[Sequence[Path]]):
        locs = list(program.locations)
        for paths in per_thread:
            for path in paths:
                for ev in path.events:
                    if ev.loc is not None and ev.loc not in program.locations and ev.loc not in locs:
                        locs.append(ev.loc)
        self.program = program
        self.locs = locs
        self.init_of = {loc: i for i, loc in enumerate(locs)}
        self.offsets = []
        n = len(locs)
        for paths in per_thread:
            self.offsets.append(n)
            n += max((len(p.events) for p in paths), default=0)
        self.n = n
        self.init_events = [Event(i, -1, "W", loc, program.locations.get(loc, 0), None) for i, loc in enumerate(locs)]
        init_mask = (1 << len(locs)) - 1
        self.init_sets = {"W": init_mask, "M": init_mask, "IW": init_mask, "NA": init_mask}

    def place(self, tid: int, path: Path) -> PlacedPath:
        return PlacedPath(self, tid, path)


class PlacedPath:
    """One thread path at its slots: events, relation rows and set bits."""

    def __init__(self, layout: Layout, tid: int, path: Path):
        base = layout.offsets[tid]
        self.path = path
        self.base = base
        self.events = [Event(base + k, tid, ev.kind, ev.loc, ev.value, ev) for k, ev in enumerate(path.events)]
        count = len(path.events)
        all_mask = ((1 << count) - 1) << base
        self.rows: dict[str, dict[int, int]] = {name: {} for name in ("po", "rmw", "addr", "data", "ctrl", "int")}
        po, rmw, same = self.rows["po"], self.rows["rmw"], self.rows["int"]
        for k, ev in enumerate(path.events):
            g = base + k
            po[g] = all_mask & ~((1 << (g + 1)) - 1)
            same[g] = all_mask & ~(1 << g)
            if ev.rmw_of is not None:
                rmw[base + ev.rmw_of] = rmw.get(base + ev.rmw_of, 0) | (1 << g)
            for mask, name in ((ev.addr, "addr"), (ev.data, "data"), (ev.ctrl, "ctrl")):
                rel = self.rows[name]
                for r in ra.bits(mask):
                    rel[base + r] = rel.get(base + r, 0) | (1 << g)
        self.reads = [(ev.loc, ev.value) for ev in self.events if ev.kind == "R"]
        self.writes = [(ev.loc, ev.value) for ev in self.events if ev.kind == "W"]
        self.by_loc: dict[str, int] = {}
        for ev in self.events:
            if ev.loc is not None:
                self.by_loc[ev.loc] = self.by_loc.get(ev.loc, 0) | (1 << ev.eid)
        self.sets: dict[str, int] = {}
        arch = layout.program.meta.get("arch")
        for ev in self.events:
            for name in _set_names(ev, arch):
                self.sets[name] = self.sets.get(name, 0) | (1 << ev.eid)


def _set_names(ev: Event, arch) -> list[str]:
    """The event sets of one thread event (see SET_NAMES; C modes are upward closed, as
    Lahav et al.'s E⊒o; ARMv8 flavours from `incref.models.axiomatic.armv8`)."""
    local = ev.local
    order = local.order
    names = [ev.kind]
    if ev.kind != "F":
        names.append("M")
        names.append("FREE" if local.free_of else "ACCESS")
        names.append("NA" if order is Order.NA else "RLX")
        flavour = access_flavour(order, ev.kind == "R", local.flavour if arch == "AArch64" else "")
    else:
        flavour = fence_flavour(local.instr)
        if local.instr.kind in ("mfence", "dmb.sy") or (not local.instr.kind and order is Order.SC):
            names.append("mfence")  # the fences that drain a TSO store buffer
    if local.locked:
        names.append("LOCKED")
    if flavour:
        names.append(flavour)
    if order.acquires and ev.kind != "W":
        names.append("ACQ")
    if order.releases and ev.kind != "R":
        names.append("REL")
    if order is Order.SC:
        names.append("SC")
    return names


class Skeleton:
    """The events of one path per thread, with every relation and set that does not
    depend on `rf`/`co`. `events[i]` is None for an unused slot."""

    def __init__(self, layout: Layout, placed: Sequence[PlacedPath]):
        self.program = layout.program
        self.layout = layout
        self.paths = [pp.path for pp in placed]
        self.n = n = layout.n
        self.init_of = layout.init_of
        events: list[Event | None] = [None] * n
        events[: len(layout.init_events)] = layout.init_events
        rows = {name: [0] * n for name in ("po", "rmw", "addr", "data", "ctrl", "int")}
        sets = dict.fromkeys(SET_NAMES, 0)
        sets.update(layout.init_sets)
        by_loc = {loc: 1 << i for loc, i in layout.init_of.items()}
        for pp in placed:
            for ev in pp.events:
                events[ev.eid] = ev
            for name, part in pp.rows.items():
                rel = rows[name]
                for i, row in part.items():
                    rel[i] = row
            for name, bits in pp.sets.items():
                sets[name] |= bits
            for loc, bits in pp.by_loc.items():
                by_loc[loc] |= bits
        self.events = events
        self.live = [ev for ev in events if ev is not None]
        self.sets = sets
        self.by_loc = by_loc
        loc = [0] * n
        for ev in self.live:
            if ev.loc is not None:
                loc[ev.eid] = by_loc[ev.loc]
        used = 0
        for ev in self.live:
            used |= 1 << ev.eid
        same = rows["int"]
        ext = tuple(used & ~same[i] & ~(1 << i) if (used >> i) & 1 else 0 for i in range(n))
        self.po = tuple(rows["po"])
        self.base = {name: tuple(rel) for name, rel in rows.items()}
        self.base.update(loc=tuple(loc), ext=ext, id=ra.identity(n, used))

    def forced_co(self) -> tuple[int, ...]:
        """The `co` edges every coherent execution has: initial writes first, then the
        program order of each thread's writes to a location."""
        co = [0] * self.n
        writes = self.sets["W"]
        for loc, mask in self.by_loc.items():
            w = mask & writes
            init = self.init_of[loc]
            co[init] |= w & ~(1 << init)
        for ev in self.live:
            if ev.kind == "W" and ev.local is not None:
                co[ev.eid] |= self.po[ev.eid] & self.by_loc[ev.loc] & writes
        return tuple(co)


@dataclass
class Execution:
    """A consistent complete execution: a skeleton with `rf` (reader -> writer) and `co`;
    `static` is the model's environment for the skeleton (`cat.Model.prepare`)."""

    skeleton: Skeleton
    rf_of: Mapping[int, int]
    co: tuple[int, ...]
    rf: tuple[int, ...]
    static: dict

    @property
    def events(self) -> list[Event | None]:
        """Indexed by event id; None for a slot no event of this skeleton uses (iterate
        `skeleton.live` for the events themselves)."""
        return self.skeleton.events

    def memory(self) -> dict[str, int]:
        """Final memory: the value of the `co`-last write of each location."""
        sk = self.skeleton
        out = {}
        writes = sk.sets["W"]
        for loc, mask in sk.by_loc.items():
            for w in ra.bits(mask & writes):
                if not self.co[w] & mask:
                    out[loc] = sk.events[w].value
        return out

    def regs(self) -> dict[int, dict[str, int]]:
        return {tid: dict(path.regs) for tid, path in enumerate(self.skeleton.paths)}

    def fr(self) -> tuple[int, ...]:
        return ra.seq(ra.inverse(self.rf), self.co)

    def order(self) -> list[int]:
        """A topological order of po | rf | co over the non-initial events: the order a
        trace shows them in (it exists in every model: all are coherent and `po | rf`
        cycles through co would break coherence)."""
        rel = ra.union(ra.union(self.skeleton.po, self.rf), self.co)
        pending = {ev.eid for ev in self.skeleton.live if ev.local is not None}
        preds = {i: 0 for i in pending}
        for i, row in enumerate(rel):
            for j in ra.bits(row):
                if j in preds and i in pending:
                    preds[j] |= 1 << i
        out: list[int] = []
        done = 0
        while pending:
            ready = [i for i in sorted(pending) if not preds[i] & ~done]
            if not ready:  # a cycle through co (weak models): fall back to thread order
                ready = [min(pending)]
            i = ready[0]
            out.append(i)
            done |= 1 << i
            pending.discard(i)
        return out

    def steps(self) -> tuple[Step, ...]:
        """The execution as trace steps: each event, with the write it reads from."""
        out = []
        for i in self.order():
            ev = self.events[i]
            detail = ev.local.instr.origin if ev.local is not None else ""
            step = ev.label()
            if ev.kind == "R" and i in self.rf_of:
                src = self.events[self.rf_of[i]]
                step += f"  (from {'init' if src.tid < 0 else f'P{src.tid}'})"
            out.append(Step(ev.tid, step, detail))
        return tuple(out)
