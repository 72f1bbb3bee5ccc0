"""Execution graphs: events numbered 0..n-1 with the static relations of a choice of
thread paths (a *skeleton*), and a complete execution (skeleton + `rf` + `co`).

Events 0..L-1 are the initial writes (one per location the skeleton touches, thread
-1, herd7's `IW`); then each thread's events in program order. Relations and sets are
bit-matrices and bitsets (`incref.models.axiomatic.relalg`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from incref.checker.axiomatic.paths import LocalEvent, Path
from incref.ir.program import Fence, Order, Program, describe
from incref.ir.results import Step
from incref.models.axiomatic import relalg as ra
from incref.models.axiomatic.armv8 import access_flavour, fence_flavour

SET_NAMES = ("R", "W", "F", "M", "IW", "ACCESS", "FREE", "LOCKED", "NA", "RLX", "ACQ", "REL", "SC",
             "A", "Q", "L", "mfence", "dmb.full", "dmb.ld", "dmb.st", "isb")


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


class Skeleton:
    """The events of one path per thread, with every relation and set that does not
    depend on `rf`/`co`."""

    def __init__(self, program: Program, paths: Sequence[Path]):
        self.program = program
        self.paths = paths
        locs: list[str] = []
        for path in paths:
            for ev in path.events:
                if ev.loc is not None and ev.loc not in locs:
                    locs.append(ev.loc)
        events: list[Event] = [Event(i, -1, "W", loc, program.locations.get(loc, 0), None)
                               for i, loc in enumerate(locs)]
        self.first: list[int] = []  # global id of each thread's first event
        for tid, path in enumerate(paths):
            self.first.append(len(events))
            for ev in path.events:
                events.append(Event(len(events), tid, ev.kind, ev.loc, ev.value, ev))
        self.events = events
        self.n = n = len(events)
        self.init_of = {loc: i for i, loc in enumerate(locs)}
        self._relations(n)
        self._sets()

    def _relations(self, n: int) -> None:
        po = [0] * n
        rmw = [0] * n
        addr = [0] * n
        data = [0] * n
        ctrl = [0] * n
        same_thread = [0] * n
        for tid, path in enumerate(self.paths):
            base = self.first[tid]
            count = len(path.events)
            all_mask = ((1 << count) - 1) << base
            for k, ev in enumerate(path.events):
                g = base + k
                po[g] = all_mask & ~((1 << (g + 1)) - 1)
                same_thread[g] = all_mask & ~(1 << g)
                if ev.rmw_of is not None:
                    rmw[base + ev.rmw_of] |= 1 << g
                for mask, rel in ((ev.addr, addr), (ev.data, data)):
                    for r in ra.bits(mask):
                        rel[base + r] |= 1 << g
                for r in ra.bits(ev.ctrl):
                    ctrl[base + r] |= 1 << g
        by_loc: dict[str, int] = {}
        for ev in self.events:
            if ev.loc is not None:
                by_loc[ev.loc] = by_loc.get(ev.loc, 0) | (1 << ev.eid)
        self.by_loc = by_loc
        loc = [by_loc[ev.loc] if ev.loc is not None else 0 for ev in self.events]
        full = (1 << n) - 1
        ext = [full & ~same_thread[i] & ~(1 << i) for i in range(n)]
        self.po = tuple(po)
        self.base = {
            "po": self.po, "rmw": tuple(rmw), "addr": tuple(addr), "data": tuple(data),
            "ctrl": tuple(ctrl), "loc": tuple(loc), "int": tuple(same_thread), "ext": tuple(ext),
            "id": ra.identity(n),
        }

    def _sets(self) -> None:
        sets = dict.fromkeys(SET_NAMES, 0)
        arch = self.program.meta.get("arch")
        for ev in self.events:
            bit = 1 << ev.eid
            names = [ev.kind]
            if ev.kind != "F":
                names.append("M")
            local = ev.local
            if local is None:
                names += ["IW", "NA"]
            else:
                order = local.order
                if local.free_of:
                    names.append("FREE")
                elif ev.kind != "F":
                    names.append("ACCESS")
                if local.locked:
                    names.append("LOCKED")
                if ev.kind == "F":
                    flavour = fence_flavour(local.instr)
                    if isinstance(local.instr, Fence) and (local.instr.kind == "mfence" or
                                                           (not local.instr.kind and order is Order.SC)):
                        names.append("mfence")
                else:
                    flavour = access_flavour(order, ev.kind == "R", local.flavour if arch == "AArch64" else "")
                    names.append("NA" if order is Order.NA else "RLX")
                if flavour:
                    names.append(flavour)
                if order.acquires and ev.kind != "W":
                    names.append("ACQ")
                if order.releases and ev.kind != "R":
                    names.append("REL")
                if order is Order.SC:
                    names.append("SC")
            for name in names:
                sets[name] |= bit
        self.sets = sets

    def forced_co(self) -> tuple[int, ...]:
        """The `co` edges every coherent execution has: initial writes first, then the
        program order of each thread's writes to a location."""
        co = [0] * self.n
        writes = self.sets["W"]
        for loc, mask in self.by_loc.items():
            w = mask & writes
            init = self.init_of[loc]
            co[init] |= w & ~(1 << init)
        for ev in self.events:
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
    def events(self) -> list[Event]:
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
        n = self.skeleton.n
        pending = {i for i in range(n) if self.events[i].local is not None}
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
