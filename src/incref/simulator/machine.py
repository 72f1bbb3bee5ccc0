"""The multi-core machine the coherence simulator runs: one in-order core per scenario
thread, each with a private cache and a FIFO store buffer, a shared home (memory with its
controller, or a directory), and the coherence messages between them — as a transition
system for the checker's generic explorer (`incref.checker.explore`).

Why a store buffer beside a coherent cache: coherence alone gives sequential consistency
per location (Primer, 2nd ed., chapter 2); the outcomes x86 allows beyond SC come from the
FIFO store buffer between the core and its cache (Primer section 4.3; Sewell et al.,
"x86-TSO", CACM 2010, section 3). The core semantics — which instructions wait for an
empty buffer, store-to-load forwarding — are taken from the operational TSO model
(`incref.models.operational.TSO`, or `OperationalModel` for SC when the buffers are off),
so the simulator and the model checker cannot drift apart: a buffered store enters the
buffer; the oldest entry flushes when its cache holds the line writable; a load reads its
newest buffered value, else its cache when readable; locked read-modify-writes, CAS,
lock/unlock and free wait for an empty buffer and then read and write the line in one step
while the cache holds it writable — the line cannot leave between the read and the write.

What the engine knows of a protocol is only the table (`incref.simulator.protocols`): the
cell of (state, event) says whether the access hits, which request to send, or that the
event must wait (`stall`). A cell marked impossible that is reached, two data responses, or
none, is a protocol error. After every step the touched line is checked for the two
coherence invariants of Primer section 2.3: SWMR (one writer, or only readers, by the
tables' permissions) and the data-value invariant (every readable copy holds the value of
the last write to the line). The first state breaking one stops its execution there, so a
breadth-first search reports the shortest execution that reaches it.

Interconnects. `bus`: the atomic-bus abstraction (Primer section 7.2.2) — a request, every
snooper's reaction and the data response are one step. `directory`: messages travel on
three virtual networks (requests, forwarded requests, responses; Primer section 8.2.2),
each a FIFO per (source, destination) pair, and each delivery is one step; the directory
acts as thread number `cores`.

State (plain tuples, hashable): `(threads, lines, net, deltas, findings)`:
* thread: `(pc, registers, store buffer, status)`, the buffer a tuple of (line, value);
* line: `(caches, home, last)`, each cache `(state, value, acks)` (`acks`: acks still
  expected), home `(state, value, owner, sharers bitmask)`, `last` the value of the last
  write (the data-value invariant's reference, and the memory the invariants read);
* net: `((src, dst, vnet), messages)` for non-empty channels, a message
  `(type, line, src, requestor, acks, value)`;
* findings: `(kind, message)` pairs met on the way (sticky, as the explorer asks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from incref.checker import invariants
from incref.checker.explore import BLOCKED, COMPLETE, CUT, Ending, Finding, Footprint, Transition
from incref.errors import UsageError
from incref.ir.program import (
    RMW_OPS,
    Cas,
    Fence,
    Free,
    Load,
    Lock,
    Program,
    Rmw,
    Store,
    Unlock,
    describe,
    evaluate,
)
from incref.models.operational import MODELS
from incref.models.thread import CUT_SHORT, DONE, RUNNING, Threads
from incref.simulator.protocols import Cell, Protocol

REQ_NET, FWD_NET, RESP_NET = 0, 1, 2
COHERENCE_KINDS = ("swmr", "data-value", "protocol")
_BUS_HOME_ACTIONS = frozenset({"data>req", "excl>req", "mem<data"})


@dataclass(frozen=True)
class Config:
    """`store_buffers` off gives SC cores; `evictions` lets any cache evict any stable
    line at any time (exercising PutS/PutM and the write-back races)."""

    protocol: Protocol
    store_buffers: bool = True
    evictions: bool = False


class Machine:
    """`program` (engine level) on `config`'s machine, as a `TransitionSystem`."""

    acyclic = False  # a line can bounce between caches and come back to the same state

    def __init__(self, program: Program, config: Config):
        if not program.threads:
            raise UsageError("the scenario has zero threads: the machine needs at least one core")
        self.program = program
        self.config = config
        self.protocol = config.protocol
        self.cache = config.protocol.cache
        self.home = config.protocol.home
        self.bus = config.protocol.interconnect == "bus"
        if self.bus:
            extra = {a for c in self.home.cells.values() for a in c.actions} - _BUS_HOME_ACTIONS
            if extra:
                raise UsageError(
                    f"protocol {self.protocol.name}: a bus memory controller cannot {', '.join(sorted(extra))}"
                )
        self.model = MODELS["tso" if config.store_buffers else "sc"]
        # the cores read their threads with the interpreter the operational checker uses
        # (registers, thread-local steps, validation), so the two engines cannot drift apart
        self.code = Threads(program, self.model)
        self.cores = len(program.threads)
        self.home_id = self.cores
        self.locs = self.code.locs
        self.loc_index = self.code.loc_index
        self.objects = tuple(self.code.objects)
        self.codes = self.code.codes
        self.tids = self.code.tids
        self.reg_index = self.code.reg_index
        self._freed_line = {}
        for obj in program.objects.values():
            for f in obj.fields:
                self._freed_line[f] = self.loc_index[obj.freed]
        self._writes = {st: "w" in p for st, p in self.cache.permissions.items()}
        self._reads = {st: "r" in p for st, p in self.cache.permissions.items()}
        self._fp = tuple(frozenset((loc,)) for loc in self.locs)
        self._transitions: dict[tuple, Transition] = {}
        self._labels = tuple(tuple(describe(i) for i in code) for code in self.codes)
        self.counts: dict[tuple[str, str, str], int] = {}  # (role, state, event) -> times taken
        self.messages: dict[str, int] = {}  # message type -> times sent

    # ------------------------------------------------------------------ the interface

    def initial(self):
        cstate, hstate = self.cache.states[0], self.home.states[0]
        lines = tuple(
            (((cstate, v, 0),) * self.cores, (hstate, v, -1, 0), v)
            for v in (self.program.locations[loc] for loc in self.locs)
        )
        threads = [(0, self.code.initial_registers(i), (), RUNNING) for i in range(self.cores)]
        state = (tuple(threads), lines, (), (0,) * len(self.objects), ())
        for i in range(self.cores):
            state = self._settle(state, i, None)
        return state

    def threads(self, state) -> Iterable[int]:
        return range(self.cores if self.bus else self.cores + 1)

    def enabled(self, state) -> list[Transition]:
        threads, lines, net, _, findings = state
        if _halted(findings) or self._quiescent(state):
            return []
        out: list[Transition] = []
        for i, (pc, regs, sb, status) in enumerate(threads):
            if sb:
                line = sb[0][0]
                t = self._access(i, line, "Store", lines, ("flush", line), f"flush {self.locs[line]}")
                if t is not None:
                    out.append(t)
            if status == RUNNING:
                t = self._instruction(i, pc, regs, sb, lines)
                if t is not None:
                    out.append(t)
            if self.config.evictions:
                for line, lst in enumerate(lines):
                    cstate = lst[0][i][0]
                    if self.cache.cell(cstate, "Replacement").kind == "do":
                        name = self.locs[line]
                        out.append(self._transition(i, ("evict", line), f"evict {name}", frozenset(), self._fp[line]))
        for key, msgs in net:
            msg = msgs[0]
            if self._message_cell(lines, key[1], msg).kind != "stall":
                name = self.locs[msg[1]]
                out.append(
                    self._transition(
                        key[1],
                        ("deliver", key, msg[0], msg[1]),
                        f"{msg[0]} {name} to {self.node(key[1])}",
                        frozenset(),
                        self._fp[msg[1]],
                    )
                )
        return out

    def waiting(self, state, thread: int) -> bool:
        """A thread whose next action waits on something another thread moves (a stalled
        cell, a lock held elsewhere, a message) is never explored alone."""
        return True if thread == self.home_id else bool(self._blocked(state, thread))

    def future(self, state, thread: int) -> Footprint:
        threads, lines, net, _, _ = state
        if thread == self.home_id:
            touched = frozenset(self.locs[m[1]] for key, msgs in net if key[1] == thread for m in msgs)
            return Footprint(touched, touched)
        pc, _, sb, status = threads[thread]
        reads, writes = self.code.futures[thread][pc]  # everything the code may still touch
        touched = set(reads | writes) if status == RUNNING else set()
        touched |= {self.locs[line] for line, _ in sb}
        for line, lst in enumerate(lines):
            if lst[0][thread][0] != self.cache.states[0]:
                touched.add(self.locs[line])
        for key, msgs in net:
            if thread in key[:2]:
                touched |= {self.locs[m[1]] for m in msgs}
        return Footprint(frozenset(touched), frozenset(touched))

    def control(self, state):
        """Cache states, values and messages all decide what is enabled: the whole state."""
        return state

    def step(self, state, transition: Transition):
        return self._exec(state, transition, None)

    def explain(self, state, transition: Transition) -> tuple[str, tuple[Finding, ...]]:
        notes: list = []
        self._exec(state, transition, notes)
        return "; ".join(n for n in notes if isinstance(n, str)), tuple(n for n in notes if isinstance(n, Finding))

    def finish(self, state) -> Ending:
        threads, lines, net, deltas, findings = state
        found = tuple(Finding(k, m) for k, m in findings)
        if _halted(findings):
            return Ending(BLOCKED, None, found)
        statuses = [t[3] for t in threads]
        if CUT_SHORT in statuses:
            i = statuses.index(CUT_SHORT)
            return Ending(CUT, None, found, self.code.cut_reason(i, threads[i][0]))
        if not self._quiescent(state) or any(s != DONE for s in statuses):
            return Ending(BLOCKED, None, found)  # an `await` that never holds, a message stuck
        memory, stale = self.memory(lines)
        found += tuple(
            Finding(
                "data-value",
                f"at the end, {self.locs[k]} holds {memory[self.locs[k]]} but the last write was {lines[k][2]}",
            )
            for k in stale
        )
        regs = {self.tids[i]: self.code.registers(i, t[1]) for i, t in enumerate(threads)}
        if not self.program.passes_filter(memory, regs):
            return Ending(COMPLETE, None, found)
        outcome = self.program.final_state(memory, regs)
        net_deltas = dict(zip(self.objects, deltas))
        return Ending(
            COMPLETE, outcome, found + tuple(invariants.end_of_execution(self.program, memory, net_deltas, outcome))
        )

    # ------------------------------------------------------------------ facts about a state

    def node(self, n: int) -> str:
        return "dir" if n == self.home_id and not self.bus else ("memory" if n == self.home_id else f"P{self.tids[n]}")

    def memory(self, lines) -> tuple[dict[str, int], list[int]]:
        """Each location's value where the protocol keeps it (the owning cache, else the
        home), and the lines whose kept value is not the last write."""
        memory: dict[str, int] = {}
        stale: list[int] = []
        for k, (caches, home, last) in enumerate(lines):
            value = next((c[1] for c in caches if "o" in self.cache.permissions[c[0]]), home[1])
            memory[self.locs[k]] = value
            if value != last:
                stale.append(k)
        return memory, stale

    def _quiescent(self, state) -> bool:
        threads, _, net, _, _ = state
        return not net and all(t[3] != RUNNING and not t[2] for t in threads)

    def _blocked(self, state, i: int) -> bool:
        threads, lines, net, _, _ = state
        pc, regs, sb, status = threads[i]
        if sb and self._access(i, sb[0][0], "Store", lines, ("flush",), "") is None:
            return True
        if status == RUNNING and self._instruction(i, pc, regs, sb, lines) is None:
            return not sb or not self.model.drains(self.codes[i][pc])
        return any(key[1] == i and self._message_cell(lines, i, msgs[0]).kind == "stall" for key, msgs in net)

    def _instruction(self, i: int, pc: int, regs, sb, lines) -> Transition | None:
        """The transition for thread `i`'s next memory instruction, if it is enabled."""
        instr = self.codes[i][pc]
        if sb and self.model.drains(instr):
            return None
        label = self._labels[i][pc]
        if isinstance(instr, (Lock, Unlock, Free)):
            loc = instr.lock if not isinstance(instr, Free) else self.program.objects[instr.obj].freed
        elif isinstance(instr, Fence):
            return self._transition(i, ("exec", None), label)
        else:
            loc = self.code.location(i, instr, regs)
        line = self.loc_index[loc]
        if isinstance(instr, Load):
            if self.model.forward(sb, line) is not None:
                return self._transition(i, ("exec", line), label)
            return self._access(i, line, "Load", lines, ("exec", line), label)
        if isinstance(instr, Store) and self.model.buffers(instr):
            return self._transition(i, ("exec", line), label)
        if isinstance(instr, Lock) and lines[line][2] and "w" in self.cache.permissions[lines[line][0][i][0]]:
            return None
        return self._access(i, line, "Store", lines, ("exec", line), label)

    def _access(self, i: int, line: int, event: str, lines, action, label) -> Transition | None:
        """The transition for core `i` accessing `line`: the access itself when its cache
        cell says `hit`, else the request the cell sends; None when the cell stalls."""
        cell = self.cache.cell(lines[line][0][i][0], event)
        fp = self._fp[line]
        if cell.kind == "stall":
            return None
        if cell.kind == "do" and "hit" in cell.actions:
            return self._transition(i, action, label, fp, fp if event == "Store" else frozenset())
        return self._transition(
            i, ("request", line, event), f"{event.lower()} miss on {self.locs[line]}: {cell.text}", fp, fp
        )

    def _transition(self, thread: int, action, label: str, reads=frozenset(), writes=frozenset()) -> Transition:
        """One shared `Transition` object per distinct move (they are built very often)."""
        key = (thread, action, label, reads, writes)
        t = self._transitions.get(key)
        if t is None:
            t = self._transitions[key] = Transition(thread, action, label, reads, writes)
        return t

    def _message_cell(self, lines, dst: int, msg) -> Cell:
        caches, home, _ = lines[msg[1]]
        if dst == self.home_id:
            return self.home.cell(home[0], self._home_event(home, msg))
        return self.cache.cell(caches[dst][0], self._cache_event(caches[dst], msg)[0])

    # ------------------------------------------------------------------ semantics

    def _exec(self, state, t: Transition, notes: list | None):
        threads, lines, net, deltas, findings = state
        lines = list(lines)
        kind = t.action[0]
        old_net = net
        net = {k: list(v) for k, v in net} if kind in ("deliver", "evict", "request") else None
        found: list[tuple[str, str]] = []
        i = t.thread
        touched: set[int] = set()
        if kind == "deliver":
            key = t.action[1]
            msg = net[key].pop(0)
            if not net[key]:
                del net[key]
            touched.add(msg[1])
            self._deliver(lines, net, key[1], msg, found, notes)
        elif kind == "evict":
            touched.add(t.action[1])
            self._event(lines, net, i, t.action[1], "Replacement", found, notes)
        elif kind == "request":
            _, line, event = t.action
            touched.add(line)
            self._event(lines, net, i, line, event, found, notes)
        else:
            threads = list(threads)
            pc, regs, sb, status = threads[i]
            if kind == "flush":
                line, value = sb[0]
                touched.add(line)
                self._check_use(lines, line, "flush", i, found, notes)
                self._write(lines, i, line, value, notes)
                threads[i] = (pc, regs, sb[1:], status)
            else:
                line = t.action[1]
                if line is not None:
                    touched.add(line)
                threads[i] = self._run(lines, i, threads[i], line, found, notes)
                deltas = state[3]
            state = (tuple(threads), tuple(lines), (), deltas, findings)
            state = self._settle(state, i, notes)
            threads, deltas, findings = state[0], state[3], state[4]
        for line in touched:
            self._check_line(lines, line, found, notes)
        new_net = old_net if net is None else tuple(sorted((k, tuple(v)) for k, v in net.items()))
        if found:
            findings = tuple(sorted(set(findings) | set(found)))
        return (threads, tuple(lines), new_net, deltas, findings)

    def _run(self, lines, i: int, thread, line: int | None, found, notes):
        """Thread `i` performs its next instruction (its cache holds the line as needed)."""
        pc, regs, sb, status = thread
        instr = self.codes[i][pc]
        env = self.code.registers(i, regs)
        regs = list(regs)
        tid = self.tids[i]
        if isinstance(instr, Load):
            fwd = self.model.forward(sb, line)
            if fwd is None:
                self._check_use(lines, line, "load", i, found, notes)
                value = lines[line][0][i][1]
                if value != lines[line][2]:
                    found.append(
                        (
                            "data-value",
                            f"P{tid} read {self.locs[line]} = {value} from its cache, "
                            f"but the last write was {lines[line][2]}",
                        )
                    )
                self._count("cache", lines[line][0][i][0], "Load")
            else:
                value = fwd
            if instr.reg:
                regs[self.reg_index[i][instr.reg]] = value
            if notes is not None:
                state = lines[line][0][i][0]
                notes.append(
                    f"read {self.locs[line]} = {value}"
                    + (" (from own store buffer)" if fwd is not None else f" (hit in {state})")
                )
        elif isinstance(instr, Store) and self.model.buffers(instr):
            value = evaluate(instr.value, env)
            sb = sb + ((line, value),)
            if notes is not None:
                notes.append(f"{self.locs[line]} = {value} into the store buffer")
        elif isinstance(instr, Store):
            self._check_use(lines, line, "store", i, found, notes)
            self._write(lines, i, line, evaluate(instr.value, env), notes)
        elif isinstance(instr, (Rmw, Cas)):
            self._check_use(lines, line, "read-modify-write", i, found, notes)
            old = lines[line][0][i][1]
            if isinstance(instr, Rmw):
                new = RMW_OPS[instr.op](old, evaluate(instr.operand, env))
            else:
                new = evaluate(instr.desired, env) if old == evaluate(instr.expected, env) else old
            if instr.reg:
                regs[self.reg_index[i][instr.reg]] = old
            if notes is not None:
                notes.append(f"read {self.locs[line]} = {old} with the line held in {lines[line][0][i][0]}")
            self._write(lines, i, line, new, notes)
        elif isinstance(instr, (Lock, Unlock)):
            self._write(lines, i, line, int(isinstance(instr, Lock)), notes)
        elif isinstance(instr, Free):
            memory = _LastWrites(self, lines)
            bad = invariants.double_free(self.program, instr.obj, memory, tid)
            if bad is not None:
                found.append((bad.kind, bad.message))
            self._write(lines, i, line, 1, notes)
        return (pc + 1, tuple(regs), sb, status)

    def _write(self, lines, i: int, line: int, value: int, notes) -> None:
        caches, home, _ = lines[line]
        caches = list(caches)
        cstate, _, acks = caches[i]
        cell = self.cache.cell(cstate, "Store")
        self._count("cache", cstate, "Store")
        caches[i] = (cell.next or cstate, value, acks)
        lines[line] = (tuple(caches), home, value)
        if notes is not None:
            notes.append(
                f"write {self.locs[line]} = {value} in P{self.tids[i]}'s cache ({cstate}"
                + (f"->{cell.next})" if cell.next and cell.next != cstate else ")")
            )

    def _check_use(self, lines, line: int, what: str, i: int, found, notes) -> None:
        flag = self._freed_line.get(self.locs[line])
        if flag is None or not lines[flag][2]:
            return
        bad = invariants.use_after_free(self.program, self.locs[line], _LastWrites(self, lines), what, self.tids[i])
        if bad is not None:
            found.append((bad.kind, bad.message))

    def _settle(self, state, i: int, notes: list | None):
        """Run thread `i`'s thread-local instructions up to its next memory event, with the
        shared thread interpreter (a failed assertion becomes a finding)."""
        threads, lines, net, deltas, findings = state
        pc, regs, sb, status = threads[i]
        pc, regs, status, deltas, failed = self.code.run_local(i, pc, regs, status, deltas)
        threads = threads[:i] + ((pc, regs, sb, status),) + threads[i + 1 :]
        if failed:
            bad = [invariants.assertion(message, self.tids[i]) for message in failed]
            findings = tuple(sorted(set(findings) | {(f.kind, f.message) for f in bad}))
            if notes is not None:
                notes.extend(bad)
        return (threads, lines, net, deltas, findings)

    # ------------------------------------------------------------------ the protocol engine

    def _count(self, role: str, state: str, event: str) -> None:
        key = (role, state, event)
        self.counts[key] = self.counts.get(key, 0) + 1

    def _take(self, role: str, state: str, event: str, found, what: str):
        """The cell of the `role` table ("cache" or "home") for (`state`, `event`), counted;
        None, with a `protocol` finding, when the table marks the cell impossible (`what`
        names who got the event, for the message)."""
        cell = (self.cache if role == "cache" else self.home).cell(state, event)
        self._count(role, state, event)
        if cell.kind != "do":
            found.append(("protocol", f"{what} in state {state}, a cell the protocol marks impossible"))
            return None
        return cell

    def _event(self, lines, net, i: int, line: int, event: str, found, notes) -> None:
        """Core `i`'s cache handles a processor event (Load, Store, Replacement) on
        `line` whose cell is not a hit: it sends the cell's request."""
        caches, home, last = lines[line]
        cstate, value, acks = caches[i]
        cell = self._take("cache", cstate, event, found, f"P{self.tids[i]}'s cache got {event} for {self.locs[line]}")
        if cell is None:
            return
        caches = list(caches)
        caches[i] = (cell.next or cstate, value, acks)
        lines[line] = (tuple(caches), home, last)
        if notes is not None:
            notes.append(f"P{self.tids[i]} {event}: {self.locs[line]} {cstate}->{cell.next or cstate}")
        request = next((a for a in cell.actions if a in ("GetS", "GetM", "PutS", "PutM")), None)
        if request is None:
            return
        msg = (request, line, i, i, 0, value if request == "PutM" else None)
        if self.bus:
            self._bus(lines, i, line, msg, found, notes)
        else:
            self._send(net, (i, self.home_id, REQ_NET), msg)
            if notes is not None:
                notes.append(f"{request} {self.locs[line]} sent to dir")

    def _bus(self, lines, i: int, line: int, msg, found, notes) -> None:
        """One atomic bus transaction: every other cache snoops `Other<request>`, the memory
        controller handles the request, and the requestor takes the data response."""
        request = msg[0]
        self.messages[request] = self.messages.get(request, 0) + 1
        caches, home, last = lines[line]
        caches = list(caches)
        responses: list[tuple[str, int]] = []
        for o in range(self.cores):
            if o == i:
                continue
            cstate, value, acks = caches[o]
            event = "Other" + request
            cell = self.cache.cell(cstate, event)
            self._count("cache", cstate, event)
            if cell.kind != "do":
                found.append(
                    (
                        "protocol",
                        f"P{self.tids[o]}'s cache snooped {event} on {self.locs[line]} in state "
                        f"{cstate}, a cell the protocol marks {cell.kind}",
                    )
                )
                continue
            for a in cell.actions:
                if a == "data>req":
                    responses.append(("Data", value))
                elif a == "data>dir":
                    home = (home[0], value, home[2], home[3])
            caches[o] = (cell.next or cstate, value, acks)
            if notes is not None and cell.next and cell.next != cstate:
                notes.append(
                    f"P{self.tids[o]} {cstate}->{cell.next}"
                    + (" (supplies data)" if "data>req" in cell.actions else "")
                )
        hcell = self.home.cell(home[0], request)
        self._count("home", home[0], request)
        if hcell.kind != "do":
            found.append(
                (
                    "protocol",
                    f"memory got {request} for {self.locs[line]} in state {home[0]}, "
                    f"a cell the protocol marks {hcell.kind}",
                )
            )
        else:
            for a in hcell.actions:
                if a == "data>req":
                    responses.append(("Data", home[1]))
                elif a == "excl>req":
                    responses.append(("DataExcl", home[1]))
                elif a == "mem<data":
                    home = (home[0], msg[5], home[2], home[3])
            home = (hcell.next or home[0], home[1], home[2], home[3])
        if request in ("GetS", "GetM"):
            cstate, value, acks = caches[i]
            if len(responses) > 1:
                found.append(
                    (
                        "protocol",
                        f"{len(responses)} caches and memory answered P{self.tids[i]}'s {request} "
                        f"on {self.locs[line]} with data",
                    )
                )
            event, value = responses[0] if responses else ("NoData", value)
            if responses:
                self.messages[event] = self.messages.get(event, 0) + 1
            cell = self.cache.cell(cstate, event)
            self._count("cache", cstate, event)
            if cell.kind != "do":
                found.append(
                    (
                        "protocol",
                        f"P{self.tids[i]}'s cache got {event} for {self.locs[line]} in state "
                        f"{cstate}, a cell the protocol marks {cell.kind}",
                    )
                )
            else:
                caches[i] = (cell.next or cstate, value, acks)
            if notes is not None:
                source = "no data needed" if event == "NoData" else f"data {value}"
                notes.append(
                    f"bus {request} {self.locs[line]} by P{self.tids[i]}: {source}, P{self.tids[i]} now {caches[i][0]}"
                )
        elif notes is not None:
            notes.append(f"bus {request} {self.locs[line]} by P{self.tids[i]}: memory now holds {home[1]}")
        lines[line] = (tuple(caches), home, last)

    def _send(self, net: dict, key: tuple[int, int, int], msg) -> None:
        net.setdefault(key, []).append(msg)
        self.messages[msg[0]] = self.messages.get(msg[0], 0) + 1

    def _home_event(self, home, msg) -> str:
        mtype, _, _, req, _, _ = msg
        if mtype == "GetM":
            return "GetMOwner" if req == home[2] else "GetM"
        if mtype == "PutS":
            return "PutSLast" if home[3] == 1 << req else "PutS"
        if mtype == "PutM":
            return "PutM" if req == home[2] else "PutMNonOwner"
        return mtype

    @staticmethod
    def _cache_event(cache, msg) -> tuple[str, int]:
        """The event an incoming message is, and the acks still expected after it: data
        completes the transaction when the acks already received cover its count."""
        mtype, acks_in = msg[0], msg[4]
        acks = cache[2]
        if mtype == "Data":
            acks += acks_in
            return ("DataAcks" if acks > 0 else "Data"), acks
        if mtype == "InvAck":
            acks -= 1
            return ("LastInvAck" if acks == 0 else "InvAck"), acks
        return mtype, acks

    def _deliver(self, lines, net, dst: int, msg, found, notes) -> None:
        mtype, line, src, req, acks_in, value = msg
        caches, home, last = lines[line]
        name = self.locs[line]
        if dst == self.home_id:
            event = self._home_event(home, msg)
            cell = self._take("home", home[0], event, found, f"dir got {event} for {name} from {self.node(src)}")
            if cell is None:
                return
            hstate, mem, owner, sharers = home
            others = sharers & ~(1 << req)
            for a in cell.actions:
                if a == "data>req":
                    self._send(net, (dst, req, RESP_NET), ("Data", line, dst, req, 0, mem))
                elif a == "data+acks>req":
                    self._send(net, (dst, req, RESP_NET), ("Data", line, dst, req, _popcount(others), mem))
                elif a == "excl>req":
                    self._send(net, (dst, req, RESP_NET), ("DataExcl", line, dst, req, 0, mem))
                elif a == "acks>req":  # on the ordered forwarded network, ahead of later Fwd-GetS
                    self._send(net, (dst, req, FWD_NET), ("Data", line, dst, req, _popcount(others), None))
                elif a == "fwd>owner":
                    # a forwarded GetM tells the requestor how many sharers will ack
                    n = _popcount(others & ~(1 << owner)) if owner >= 0 and mtype == "GetM" else 0
                    self._send(net, (dst, owner, FWD_NET), ("Fwd" + mtype, line, dst, req, n, None))
                elif a == "inv>sharers":
                    for s in range(self.cores):
                        if others >> s & 1 and s != owner:
                            self._send(net, (dst, s, FWD_NET), ("Inv", line, dst, req, 0, None))
                elif a == "putack>req":
                    self._send(net, (dst, req, FWD_NET), ("PutAck", line, dst, req, 0, None))
                elif a == "+req":
                    sharers |= 1 << req
                elif a == "+owner":
                    sharers |= 1 << owner
                elif a == "-req":
                    sharers &= ~(1 << req)
                elif a == "clr":
                    sharers = 0
                elif a == "owner=req":
                    owner = req
                elif a == "owner=-":
                    owner = -1
                elif a == "mem<data":
                    mem = value
                others = sharers & ~(1 << req)
            lines[line] = (caches, (cell.next or hstate, mem, owner, sharers), last)
            if notes is not None:
                notes.append(
                    f"dir {event} {name} from {self.node(src)}: {hstate}->{cell.next or hstate}"
                    + (f", memory {mem}" if "mem<data" in cell.actions else "")
                )
            return
        cstate, cvalue, acks = caches[dst]
        event, acks = self._cache_event(caches[dst], msg)
        cell = self._take("cache", cstate, event, found, f"{self.node(dst)}'s cache got {event} for {name}")
        if cell is None:
            return
        if mtype in ("Data", "DataExcl") and value is not None:
            cvalue = value
        for a in cell.actions:
            if a == "data>req":
                self._send(net, (dst, req, RESP_NET), ("Data", line, dst, req, acks_in, cvalue))
            elif a == "data>dir":
                self._send(net, (dst, self.home_id, RESP_NET), ("Data", line, dst, req, 0, cvalue))
            elif a == "invack>req":
                self._send(net, (dst, req, RESP_NET), ("InvAck", line, dst, req, 0, None))
            elif a in ("GetS", "GetM", "PutS", "PutM"):
                self._send(net, (dst, self.home_id, REQ_NET), (a, line, dst, dst, 0, cvalue if a == "PutM" else None))
        caches = list(caches)
        caches[dst] = (cell.next or cstate, cvalue, acks)
        lines[line] = (tuple(caches), home, last)
        if notes is not None:
            notes.append(
                f"{self.node(dst)} {event} {name}: {cstate}->{cell.next or cstate}"
                + (f" (value {cvalue})" if mtype in ("Data", "DataExcl") and value is not None else "")
            )

    def _check_line(self, lines, line: int, found, notes) -> None:
        """SWMR and the data-value invariant on `line` (Primer section 2.3)."""
        caches, _, last = lines[line]
        writing, reading = self._writes, self._reads
        writers = sum(writing[c[0]] for c in caches)
        readers_only = sum(reading[c[0]] and not writing[c[0]] for c in caches)
        if (writers == 0 or writers == 1 and readers_only == 0) and all(c[1] == last for c in caches if reading[c[0]]):
            return  # the common case, without building messages
        perms = self.cache.permissions
        writers = [c for c in range(self.cores) if "w" in perms[caches[c][0]]]
        readers = [c for c in range(self.cores) if "r" in perms[caches[c][0]]]
        name = self.locs[line]
        if len(writers) > 1 or (writers and any(r != writers[0] for r in readers)):
            held = ", ".join(f"P{self.tids[c]} in {caches[c][0]}" for c in readers)
            found.append(("swmr", f"{name}: {held} — a writer and another copy at once"))
        for c in readers:
            if caches[c][1] != last:
                found.append(
                    (
                        "data-value",
                        f"{name}: P{self.tids[c]} holds a readable copy {caches[c][1]} in "
                        f"{caches[c][0]}, but the last write was {last}",
                    )
                )


def _popcount(x: int) -> int:
    return bin(x).count("1")


def _halted(findings) -> bool:
    return any(k in COHERENCE_KINDS for k, _ in findings)


class _LastWrites(Mapping[str, int]):
    """Each location's last written value (what the refcount invariants read)."""

    def __init__(self, machine: Machine, lines):
        self._machine = machine
        self._lines = lines

    def __getitem__(self, loc: str) -> int:
        return self._lines[self._machine.loc_index[loc]][2]

    def __iter__(self):
        return iter(self._machine.locs)

    def __len__(self) -> int:
        return len(self._machine.locs)
