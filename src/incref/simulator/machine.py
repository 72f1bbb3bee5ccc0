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
and a thread is read by the same interpreter as the operational checker's
(`incref.models.thread`), so the simulator and the model checker cannot drift apart: a
buffered store enters the buffer; the oldest entry flushes when its cache holds the line
writable; a load reads its newest buffered value, else its cache when readable; locked
read-modify-writes, CAS, lock/unlock and free wait for an empty buffer and then read and
write the line in one step while the cache holds it writable — the line cannot leave
between the read and the write.

What the engine knows of a protocol is only the table (`incref.simulator.protocols`): the
cell of (state, event) says whether the access hits, which request to send, or that the
event must wait (`stall`). One interpreter (`Machine._perform`) gives every action of the
tables' vocabulary its meaning, for a cache and for the home, on a bus and on a directory's
network alike. A cell marked impossible that is reached, two data responses, or none, is a
protocol error. After every step the touched line is checked for the two coherence
invariants of Primer section 2.3: SWMR (one writer, or only readers, by the tables'
permissions) and the data-value invariant (every readable copy holds the value of the
last write to the line). The first state breaking one stops its execution there, so a
breadth-first search reports the shortest execution that reaches it.

Interconnects. `bus`: the atomic-bus abstraction (Primer section 7.2.2) — a request, every
snooper's reaction and the data response are one step. `directory`: messages travel on
three virtual networks (requests, forwarded requests, responses; Primer section 8.2.2),
each a FIFO per (source, destination) pair, and each delivery is one step; the directory
acts as thread number `cores`.

State: a `MachineState` of named tuples (hashable, picklable, so a state can be stored,
compared and shipped to another worker): the `Core`s, the `Line`s (each cache's `Cache`
copy, the `Home` entry, the last write), the network's `Message`s, the objects' deltas and
the findings met on the way. The machine itself keeps no counts: `step` and `explain` are
pure, and `step_counting` also returns the table cells a step took, which the explorer sums
over the edges of the explored graph (`cells_exercised`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

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
from incref.simulator.protocols import REQUESTS, Cell, Protocol

REQ_NET, FWD_NET, RESP_NET = 0, 1, 2
COHERENCE_KINDS = ("swmr", "data-value", "protocol")
_BUS_HOME_ACTIONS = frozenset({"data>req", "excl>req", "mem<data"})
_DATA = ("Data", "DataExcl")


class Cache(NamedTuple):
    """One cache's copy of a line: its protocol state, the value it holds, and the
    invalidation acks it still expects (directory protocols, Primer section 8.2.4)."""

    state: str
    value: int
    acks: int = 0


class Home(NamedTuple):
    """The home's entry for a line (the memory controller on a bus, the directory): its
    state, memory's value, the owner (-1: none) and the sharers as a bitmask of cores."""

    state: str
    value: int
    owner: int = -1
    sharers: int = 0


class Line(NamedTuple):
    """One location's line: every cache's copy, the home entry, and the value of the last
    write (the data-value invariant's reference, and the memory the invariants read)."""

    caches: tuple[Cache, ...]
    home: Home
    last: int


class Message(NamedTuple):
    """A coherence message: a request, forwarded request or response about `line`, sent
    by node `src` for the transaction of `requestor`; `acks` is the number of invalidation
    acks the requestor must wait for, `value` the data carried (None: no data)."""

    type: str
    line: int
    src: int
    requestor: int
    acks: int = 0
    value: int | None = None


class Core(NamedTuple):
    """A core running its thread: program counter, registers (laid out by
    `Threads.regs`), store buffer of (line, value) oldest first, and status
    (`incref.models.thread`)."""

    pc: int
    regs: tuple[int, ...]
    buffer: tuple[tuple[int, int], ...]
    status: int


Channel = tuple[int, int, int]  # (source, destination, virtual network)


class MachineState(NamedTuple):
    """The whole machine: `net` holds the non-empty channels in order, each with its FIFO
    of messages; `findings` the (kind, message) violations met (sticky, as the explorer
    asks)."""

    cores: tuple[Core, ...]
    lines: tuple[Line, ...]
    net: tuple[tuple[Channel, tuple[Message, ...]], ...]
    deltas: tuple[int, ...]
    findings: tuple[tuple[str, str], ...]


class Tally:
    """What one step did to the protocol: the table cells it took, `(role, state, event)`
    -> times, and the messages it sent, type -> times (gem5's `m_counters`)."""

    __slots__ = ("cells", "messages")

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, str], int] = {}
        self.messages: dict[str, int] = {}

    def cell(self, role: str, state: str, event: str) -> None:
        key = (role, state, event)
        self.cells[key] = self.cells.get(key, 0) + 1

    def message(self, mtype: str) -> None:
        self.messages[mtype] = self.messages.get(mtype, 0) + 1


class _Work:
    """The scratch of one step: the lines and the network being changed (`net` None on a
    bus), the findings met, trace notes (None unless a trace is being rebuilt), the tally,
    and the data responses of the bus transaction under way."""

    __slots__ = ("lines", "net", "found", "notes", "tally", "responses")

    def __init__(self, lines, net, notes) -> None:
        self.lines: list[Line] = lines
        self.net: dict[Channel, list[Message]] | None = net
        self.found: list[tuple[str, str]] = []
        self.notes: list | None = notes
        self.tally = Tally()
        self.responses: list[Message] = []


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

    # ------------------------------------------------------------------ the interface

    def initial(self) -> MachineState:
        cold = Cache(self.cache.states[0], 0)
        lines = tuple(
            Line((cold._replace(value=v),) * self.cores, Home(self.home.states[0], v), v)
            for v in (self.program.locations[loc] for loc in self.locs)
        )
        cores = tuple(Core(0, self.code.initial_registers(i), (), RUNNING) for i in range(self.cores))
        state = MachineState(cores, lines, (), (0,) * len(self.objects), ())
        for i in range(self.cores):
            state = self._settle(state, i, None)
        return state

    def threads(self, state: MachineState) -> Iterable[int]:
        return range(self.cores if self.bus else self.cores + 1)

    def enabled(self, state: MachineState) -> list[Transition]:
        if _halted(state.findings) or self._quiescent(state):
            return []
        lines = state.lines
        out: list[Transition] = []
        for i, core in enumerate(state.cores):
            if core.buffer:
                line = core.buffer[0][0]
                t = self._access(i, line, "Store", lines, ("flush", line), f"flush {self.locs[line]}")
                if t is not None:
                    out.append(t)
            if core.status == RUNNING:
                t = self._instruction(i, core, lines)
                if t is not None:
                    out.append(t)
            if self.config.evictions:
                for line, lst in enumerate(lines):
                    if self.cache.cell(lst.caches[i].state, "Replacement").kind == "do":
                        name = self.locs[line]
                        out.append(self._transition(i, ("evict", line), f"evict {name}", frozenset(), self._fp[line]))
        for key, msgs in state.net:
            msg = msgs[0]
            if self._message_cell(lines, key[1], msg).kind != "stall":
                out.append(
                    self._transition(
                        key[1],
                        ("deliver", key, msg.type, msg.line),
                        f"{msg.type} {self.locs[msg.line]} to {self.node(key[1])}",
                        frozenset(),
                        self._fp[msg.line],
                    )
                )
        return out

    def waiting(self, state: MachineState, thread: int) -> bool:
        """A thread whose next action waits on something another thread moves (a stalled
        cell, a lock held elsewhere, a message) is never explored alone."""
        return True if thread == self.home_id else bool(self._blocked(state, thread))

    def future(self, state: MachineState, thread: int) -> Footprint:
        if thread == self.home_id:
            touched = frozenset(self.locs[m.line] for key, msgs in state.net if key[1] == thread for m in msgs)
            return Footprint(touched, touched)
        core = state.cores[thread]
        reads, writes = self.code.futures[thread][core.pc]  # everything the code may still touch
        touched = set(reads | writes) if core.status == RUNNING else set()
        touched |= {self.locs[line] for line, _ in core.buffer}
        for line, lst in enumerate(state.lines):
            if lst.caches[thread].state != self.cache.states[0]:
                touched.add(self.locs[line])
        for key, msgs in state.net:
            if thread in key[:2]:
                touched |= {self.locs[m.line] for m in msgs}
        return Footprint(frozenset(touched), frozenset(touched))

    def control(self, state: MachineState):
        """Cache states, values and messages all decide what is enabled: the whole state."""
        return state

    def step(self, state: MachineState, transition: Transition) -> MachineState:
        return self._exec(state, transition, None)[0]

    def step_counting(self, state: MachineState, transition: Transition) -> tuple[MachineState, dict]:
        """`step`, and the protocol-table cells the step took (for `cells_exercised`)."""
        nxt, tally = self._exec(state, transition, None)
        return nxt, tally.cells

    def explain(self, state: MachineState, transition: Transition) -> tuple[str, tuple[Finding, ...]]:
        notes: list = []
        self._exec(state, transition, notes)
        return "; ".join(n for n in notes if isinstance(n, str)), tuple(n for n in notes if isinstance(n, Finding))

    def finish(self, state: MachineState) -> Ending:
        found = tuple(Finding(k, m) for k, m in state.findings)
        if _halted(state.findings):
            return Ending(BLOCKED, None, found)
        statuses = [c.status for c in state.cores]
        if CUT_SHORT in statuses:
            i = statuses.index(CUT_SHORT)
            return Ending(CUT, None, found, self.code.cut_reason(i, state.cores[i].pc))
        if not self._quiescent(state) or any(s != DONE for s in statuses):
            return Ending(BLOCKED, None, found)  # an `await` that never holds, a message stuck
        memory, stale = self.memory(state.lines)
        found += tuple(
            Finding(
                "data-value",
                f"at the end, {self.locs[k]} holds {memory[self.locs[k]]} but the last write was {state.lines[k].last}",
            )
            for k in stale
        )
        regs = {self.tids[i]: self.code.registers(i, c.regs) for i, c in enumerate(state.cores)}
        if not self.program.passes_filter(memory, regs):
            return Ending(COMPLETE, None, found)
        outcome = self.program.final_state(memory, regs)
        net_deltas = dict(zip(self.objects, state.deltas))
        return Ending(
            COMPLETE, outcome, found + tuple(invariants.end_of_execution(self.program, memory, net_deltas, outcome))
        )

    def core_move(self, state: MachineState, i: int, flush: bool) -> Transition | None:
        """Core `i`'s own next move — flushing its oldest buffered store, or its next
        instruction — or the request its cache must send first; None when it must wait
        (`incref.simulator.explain` replays a checker trace with it)."""
        core = state.cores[i]
        if flush:
            line = core.buffer[0][0]
            return self._access(i, line, "Store", state.lines, ("flush", line), "flush")
        return self._instruction(i, core, state.lines)

    # ------------------------------------------------------------------ timed mode

    def transaction(self, line: Line, core: int, event: str) -> tuple[Line, Tally, str | None]:
        """Core `core`'s `event` ("Load" or "Store") on `line`, alone in the machine (timed
        mode's table of transactions, `incref.simulator.timed`): the cache's request and
        every message it causes, delivered in order until the network is quiet, then the
        access itself (a store writes 0: timed mode follows states, not values). Returns
        the line after it, the cells and messages taken, and the first protocol error."""
        w = _Work([line], None if self.bus else {}, None)
        if "hit" not in self.cache.cell(line.caches[core].state, event).actions:
            self._event(w, core, 0, event)
            while w.net and not w.found:
                key = next(
                    (k for k in sorted(w.net) if self._message_cell(w.lines, k[1], w.net[k][0]).kind != "stall"), None
                )
                if key is None:
                    return w.lines[0], w.tally, f"messages stall forever: {sorted(w.net)}"
                self._deliver(w, key[1], self._pop(w.net, key))
            state = w.lines[0].caches[core].state
            if not w.found and "hit" not in self.cache.cell(state, event).actions:
                return (
                    w.lines[0],
                    w.tally,
                    f"after its {event} transaction P{core}'s cache is in {state}, which does not allow the access",
                )
        if w.found:
            return w.lines[0], w.tally, w.found[0][1]
        if event == "Load":
            w.tally.cell("cache", w.lines[0].caches[core].state, "Load")
        else:
            self._write(w, core, 0, 0)
        return w.lines[0], w.tally, None

    # ------------------------------------------------------------------ facts about a state

    def node(self, n: int) -> str:
        return "dir" if n == self.home_id and not self.bus else ("memory" if n == self.home_id else f"P{self.tids[n]}")

    def memory(self, lines: Iterable[Line]) -> tuple[dict[str, int], list[int]]:
        """Each location's value where the protocol keeps it (the owning cache, else the
        home), and the lines whose kept value is not the last write."""
        memory: dict[str, int] = {}
        stale: list[int] = []
        for k, line in enumerate(lines):
            value = next((c.value for c in line.caches if "o" in self.cache.permissions[c.state]), line.home.value)
            memory[self.locs[k]] = value
            if value != line.last:
                stale.append(k)
        return memory, stale

    def _quiescent(self, state: MachineState) -> bool:
        return not state.net and all(c.status != RUNNING and not c.buffer for c in state.cores)

    def _blocked(self, state: MachineState, i: int) -> bool:
        core = state.cores[i]
        if core.buffer and self._access(i, core.buffer[0][0], "Store", state.lines, ("flush",), "") is None:
            return True
        if core.status == RUNNING and self._instruction(i, core, state.lines) is None:
            return not core.buffer or not self.model.drains(self.codes[i][core.pc])
        return any(
            key[1] == i and self._message_cell(state.lines, i, msgs[0]).kind == "stall" for key, msgs in state.net
        )

    def _instruction(self, i: int, core: Core, lines) -> Transition | None:
        """The transition for thread `i`'s next memory instruction, if it is enabled."""
        instr = self.codes[i][core.pc]
        if core.buffer and self.model.drains(instr):
            return None
        label = self._labels[i][core.pc]
        if isinstance(instr, (Lock, Unlock, Free)):
            loc = instr.lock if not isinstance(instr, Free) else self.program.objects[instr.obj].freed
        elif isinstance(instr, Fence):
            return self._transition(i, ("exec", None), label)
        else:
            loc = self.code.location(i, instr, core.regs)
        line = self.loc_index[loc]
        if isinstance(instr, Load):
            if self.model.forward(core.buffer, line) is not None:
                return self._transition(i, ("exec", line), label)
            return self._access(i, line, "Load", lines, ("exec", line), label)
        if isinstance(instr, Store) and self.model.buffers(instr):
            return self._transition(i, ("exec", line), label)
        if isinstance(instr, Lock) and lines[line].last and self._writes[lines[line].caches[i].state]:
            return None
        return self._access(i, line, "Store", lines, ("exec", line), label)

    def _access(self, i: int, line: int, event: str, lines, action, label) -> Transition | None:
        """The transition for core `i` accessing `line`: the access itself when its cache
        cell says `hit`, else the request the cell sends; None when the cell stalls."""
        cell = self.cache.cell(lines[line].caches[i].state, event)
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

    def _message_cell(self, lines, dst: int, msg: Message) -> Cell:
        line = lines[msg.line]
        if dst == self.home_id:
            return self.home.cell(line.home.state, self._home_event(line.home, msg))
        return self.cache.cell(line.caches[dst].state, self._cache_event(line.caches[dst], msg)[0])

    # ------------------------------------------------------------------ a core's step

    def _exec(self, state: MachineState, t: Transition, notes: list | None) -> tuple[MachineState, Tally]:
        kind = t.action[0]
        w = _Work(list(state.lines), None, notes)
        if not self.bus and kind in ("deliver", "evict", "request"):
            w.net = {k: list(v) for k, v in state.net}
        cores, deltas, findings = state.cores, state.deltas, state.findings
        i = t.thread
        touched: set[int] = set()
        if kind == "deliver":
            msg = self._pop(w.net, t.action[1])
            touched.add(msg.line)
            self._deliver(w, t.action[1][1], msg)
        elif kind in ("evict", "request"):
            line = t.action[1]
            touched.add(line)
            self._event(w, i, line, "Replacement" if kind == "evict" else t.action[2])
        else:
            core = cores[i]
            if kind == "flush":
                line, value = core.buffer[0]
                touched.add(line)
                self._check_use(w, line, "flush", i)
                self._write(w, i, line, value)
                core = core._replace(buffer=core.buffer[1:])
            else:
                line = t.action[1]
                if line is not None:
                    touched.add(line)
                core = self._run(w, i, core, line)
            cores = cores[:i] + (core,) + cores[i + 1 :]
            settled = self._settle(MachineState(cores, tuple(w.lines), (), deltas, findings), i, notes)
            cores, deltas, findings = settled.cores, settled.deltas, settled.findings
        for line in touched:
            self._check_line(w, line)
        net = state.net if w.net is None else tuple(sorted((k, tuple(v)) for k, v in w.net.items()))
        if w.found:
            findings = tuple(sorted(set(findings) | set(w.found)))
        return MachineState(cores, tuple(w.lines), net, deltas, findings), w.tally

    def _run(self, w: _Work, i: int, core: Core, line: int | None) -> Core:
        """Thread `i` performs its next instruction (its cache holds the line as needed)."""
        instr = self.codes[i][core.pc]
        env = self.code.registers(i, core.regs)
        regs = list(core.regs)
        buffer = core.buffer
        tid = self.tids[i]
        if isinstance(instr, Load):
            fwd = self.model.forward(buffer, line)
            cached = w.lines[line].caches[i]
            if fwd is None:
                self._check_use(w, line, "load", i)
                value = cached.value
                if value != w.lines[line].last:
                    w.found.append(
                        (
                            "data-value",
                            f"P{tid} read {self.locs[line]} = {value} from its cache, "
                            f"but the last write was {w.lines[line].last}",
                        )
                    )
                w.tally.cell("cache", cached.state, "Load")
            else:
                value = fwd
            if instr.reg:
                regs[self.reg_index[i][instr.reg]] = value
            if w.notes is not None:
                w.notes.append(
                    f"read {self.locs[line]} = {value}"
                    + (" (from own store buffer)" if fwd is not None else f" (hit in {cached.state})")
                )
        elif isinstance(instr, Store) and self.model.buffers(instr):
            value = evaluate(instr.value, env)
            buffer = buffer + ((line, value),)
            if w.notes is not None:
                w.notes.append(f"{self.locs[line]} = {value} into the store buffer")
        elif isinstance(instr, Store):
            self._check_use(w, line, "store", i)
            self._write(w, i, line, evaluate(instr.value, env))
        elif isinstance(instr, (Rmw, Cas)):
            self._check_use(w, line, "read-modify-write", i)
            held = w.lines[line].caches[i]
            old = held.value
            if isinstance(instr, Rmw):
                new = RMW_OPS[instr.op](old, evaluate(instr.operand, env))
            else:
                new = evaluate(instr.desired, env) if old == evaluate(instr.expected, env) else old
            if instr.reg:
                regs[self.reg_index[i][instr.reg]] = old
            if w.notes is not None:
                w.notes.append(f"read {self.locs[line]} = {old} with the line held in {held.state}")
            self._write(w, i, line, new)
        elif isinstance(instr, (Lock, Unlock)):
            self._write(w, i, line, int(isinstance(instr, Lock)))
        elif isinstance(instr, Free):
            bad = invariants.double_free(self.program, instr.obj, _LastWrites(self, w.lines), tid)
            if bad is not None:
                w.found.append((bad.kind, bad.message))
            self._write(w, i, line, 1)
        return Core(core.pc + 1, tuple(regs), buffer, core.status)

    def _write(self, w: _Work, i: int, line: int, value: int) -> None:
        lst = w.lines[line]
        mine = lst.caches[i]
        cell = self.cache.cell(mine.state, "Store")
        w.tally.cell("cache", mine.state, "Store")
        w.lines[line] = Line(
            _put(lst.caches, i, mine._replace(state=cell.next or mine.state, value=value)), lst.home, value
        )
        if w.notes is not None:
            w.notes.append(
                f"write {self.locs[line]} = {value} in P{self.tids[i]}'s cache ({mine.state}"
                + (f"->{cell.next})" if cell.next and cell.next != mine.state else ")")
            )

    def _check_use(self, w: _Work, line: int, what: str, i: int) -> None:
        flag = self._freed_line.get(self.locs[line])
        if flag is None or not w.lines[flag].last:
            return
        bad = invariants.use_after_free(self.program, self.locs[line], _LastWrites(self, w.lines), what, self.tids[i])
        if bad is not None:
            w.found.append((bad.kind, bad.message))

    def _settle(self, state: MachineState, i: int, notes: list | None) -> MachineState:
        """Run thread `i`'s thread-local instructions up to its next memory event, with the
        shared thread interpreter (a failed assertion becomes a finding)."""
        core = state.cores[i]
        pc, regs, status, deltas, failed = self.code.run_local(i, core.pc, core.regs, core.status, state.deltas)
        cores = state.cores[:i] + (Core(pc, regs, core.buffer, status),) + state.cores[i + 1 :]
        findings = state.findings
        if failed:
            bad = [invariants.assertion(message, self.tids[i]) for message in failed]
            findings = tuple(sorted(set(findings) | {(f.kind, f.message) for f in bad}))
            if notes is not None:
                notes.extend(bad)
        return state._replace(cores=cores, deltas=deltas, findings=findings)

    # ------------------------------------------------------------------ the protocol engine

    def _take(self, w: _Work, role: str, state: str, event: str, what: str) -> Cell | None:
        """The cell of the `role` table ("cache" or "home") for (`state`, `event`), counted;
        None, with a `protocol` finding, when the table marks the cell impossible (`what`
        names who got the event, for the message)."""
        cell = (self.cache if role == "cache" else self.home).cell(state, event)
        w.tally.cell(role, state, event)
        if cell.kind != "do":
            w.found.append(("protocol", f"{what} in state {state}, a cell the protocol marks {cell.kind}"))
            return None
        return cell

    def _set_cache(self, w: _Work, line: int, i: int, cache: Cache) -> None:
        lst = w.lines[line]
        w.lines[line] = lst._replace(caches=_put(lst.caches, i, cache))

    def _event(self, w: _Work, i: int, line: int, event: str) -> None:
        """Core `i`'s cache handles a processor event (Load, Store, Replacement) on
        `line` whose cell is not a hit: it sends the cell's request."""
        mine = w.lines[line].caches[i]
        cell = self._take(w, "cache", mine.state, event, f"P{self.tids[i]}'s cache got {event} for {self.locs[line]}")
        if cell is None:
            return
        self._set_cache(w, line, i, mine._replace(state=cell.next or mine.state))
        if w.notes is not None:
            w.notes.append(f"P{self.tids[i]} {event}: {self.locs[line]} {mine.state}->{cell.next or mine.state}")
        self._perform(w, i, cell, Message(event, line, i, i), mine.value)
        if w.notes is not None and w.net is not None:
            w.notes.extend(f"{a} {self.locs[line]} sent to dir" for a in cell.actions if a in REQUESTS)

    def _deliver(self, w: _Work, dst: int, msg: Message) -> None:
        """Node `dst` (a cache, or the directory) takes `msg` off its channel."""
        lst = w.lines[msg.line]
        name = self.locs[msg.line]
        if dst == self.home_id:
            home = lst.home
            event = self._home_event(home, msg)
            cell = self._take(w, "home", home.state, event, f"dir got {event} for {name} from {self.node(msg.src)}")
            if cell is None:
                return
            w.lines[msg.line] = lst._replace(home=home._replace(state=cell.next or home.state))
            self._perform(w, dst, cell, msg, home.value)
            if w.notes is not None:
                w.notes.append(
                    f"dir {event} {name} from {self.node(msg.src)}: {home.state}->{cell.next or home.state}"
                    + (f", memory {w.lines[msg.line].home.value}" if "mem<data" in cell.actions else "")
                )
            return
        mine = lst.caches[dst]
        event, acks = self._cache_event(mine, msg)
        cell = self._take(w, "cache", mine.state, event, f"{self.node(dst)}'s cache got {event} for {name}")
        if cell is None:
            return
        data = msg.type in _DATA and msg.value is not None
        value = msg.value if data else mine.value
        self._set_cache(w, msg.line, dst, Cache(cell.next or mine.state, value, acks))
        self._perform(w, dst, cell, msg, value)
        if w.notes is not None:
            w.notes.append(
                f"{self.node(dst)} {event} {name}: {mine.state}->{cell.next or mine.state}"
                + (f" (value {value})" if data else "")
            )

    def _perform(self, w: _Work, node: int, cell: Cell, msg: Message, data: int) -> None:
        """Carry out `cell`'s actions at `node` (a cache, or the home) handling `msg` (a
        processor event is a message from the core to itself), `data` being the value the
        node holds: the one meaning of the tables' action vocabulary
        (`incref.simulator.protocols`), on a bus and on a directory alike — `_send` knows
        the interconnect."""
        line, req = msg.line, msg.requestor
        home_entry = node == self.home_id
        for a in cell.actions:
            home = w.lines[line].home
            others = home.sharers & ~(1 << req)
            if home_entry:
                data = home.value  # memory's value, as the actions before this one left it
            if a == "data>req":  # a forwarded GetM carries the count of acks to wait for
                self._send(w, req, RESP_NET, Message("Data", line, node, req, 0 if home_entry else msg.acks, data))
            elif a == "data+acks>req":
                self._send(w, req, RESP_NET, Message("Data", line, node, req, _popcount(others), data))
            elif a == "excl>req":
                self._send(w, req, RESP_NET, Message("DataExcl", line, node, req, 0, data))
            elif a == "acks>req":  # on the ordered forwarded network, ahead of later Fwd-GetS
                self._send(w, req, FWD_NET, Message("Data", line, node, req, _popcount(others), None))
            elif a == "fwd>owner":  # a forwarded GetM tells the requestor how many sharers will ack
                n = _popcount(others & ~(1 << home.owner)) if home.owner >= 0 and msg.type == "GetM" else 0
                self._send(w, home.owner, FWD_NET, Message("Fwd" + msg.type, line, node, req, n, None))
            elif a == "inv>sharers":
                for s in range(self.cores):
                    if others >> s & 1 and s != home.owner:
                        self._send(w, s, FWD_NET, Message("Inv", line, node, req))
            elif a == "putack>req":
                self._send(w, req, FWD_NET, Message("PutAck", line, node, req))
            elif a == "data>dir":
                self._send(w, self.home_id, RESP_NET, Message("Data", line, node, req, 0, data))
            elif a == "invack>req":
                self._send(w, req, RESP_NET, Message("InvAck", line, node, req))
            elif a in REQUESTS:
                self._send(w, self.home_id, REQ_NET, Message(a, line, node, node, 0, data if a == "PutM" else None))
            elif a in _HOME_UPDATES:
                w.lines[line] = w.lines[line]._replace(home=_HOME_UPDATES[a](home, msg))

    def _send(self, w: _Work, dst: int, vnet: int, msg: Message) -> None:
        """A directory's message goes onto its channel, FIFO per (source, destination,
        virtual network). On a bus everything happens within the one transaction: a request
        is broadcast at once, data to memory is a writeback memory snoops, data to the
        requestor is one of the transaction's responses."""
        if w.net is not None:
            w.net.setdefault((msg.src, dst, vnet), []).append(msg)
            w.tally.message(msg.type)
        elif msg.type in REQUESTS:
            self._bus(w, msg)
        elif dst == self.home_id:
            lst = w.lines[msg.line]
            w.lines[msg.line] = lst._replace(home=lst.home._replace(value=msg.value))
        else:
            w.responses.append(msg)

    def _bus(self, w: _Work, msg: Message) -> None:
        """One atomic bus transaction: every other cache snoops `Other<request>`, the memory
        controller handles the request, and the requestor takes the data response."""
        request, line, i = msg.type, msg.line, msg.requestor
        name = self.locs[line]
        w.tally.message(request)
        w.responses = []
        for o in range(self.cores):
            if o == i:
                continue
            theirs = w.lines[line].caches[o]
            event = "Other" + request
            cell = self._take(w, "cache", theirs.state, event, f"P{self.tids[o]}'s cache snooped {event} on {name}")
            if cell is None:
                continue
            self._set_cache(w, line, o, theirs._replace(state=cell.next or theirs.state))
            self._perform(w, o, cell, msg, theirs.value)
            if w.notes is not None and cell.next and cell.next != theirs.state:
                w.notes.append(
                    f"P{self.tids[o]} {theirs.state}->{cell.next}"
                    + (" (supplies data)" if "data>req" in cell.actions else "")
                )
        home = w.lines[line].home
        hcell = self._take(w, "home", home.state, request, f"memory got {request} for {name}")
        if hcell is not None:
            w.lines[line] = w.lines[line]._replace(home=home._replace(state=hcell.next or home.state))
            self._perform(w, self.home_id, hcell, msg, home.value)
        if request not in ("GetS", "GetM"):
            if w.notes is not None:
                w.notes.append(f"bus {request} {name} by P{self.tids[i]}: memory now holds {w.lines[line].home.value}")
            return
        mine = w.lines[line].caches[i]
        if len(w.responses) > 1:
            w.found.append(
                (
                    "protocol",
                    f"{len(w.responses)} caches and memory answered P{self.tids[i]}'s {request} on {name} with data",
                )
            )
        event, value = (w.responses[0].type, w.responses[0].value) if w.responses else ("NoData", mine.value)
        if w.responses:
            w.tally.message(event)
        cell = self._take(w, "cache", mine.state, event, f"P{self.tids[i]}'s cache got {event} for {name}")
        if cell is not None:
            self._set_cache(w, line, i, mine._replace(state=cell.next or mine.state, value=value))
        if w.notes is not None:
            source = "no data needed" if event == "NoData" else f"data {value}"
            now = w.lines[line].caches[i].state
            w.notes.append(f"bus {request} {name} by P{self.tids[i]}: {source}, P{self.tids[i]} now {now}")

    @staticmethod
    def _pop(net: dict[Channel, list[Message]], key: Channel) -> Message:
        msg = net[key].pop(0)
        if not net[key]:
            del net[key]
        return msg

    def _home_event(self, home: Home, msg: Message) -> str:
        if msg.type == "GetM":
            return "GetMOwner" if msg.requestor == home.owner else "GetM"
        if msg.type == "PutS":
            return "PutSLast" if home.sharers == 1 << msg.requestor else "PutS"
        if msg.type == "PutM":
            return "PutM" if msg.requestor == home.owner else "PutMNonOwner"
        return msg.type

    @staticmethod
    def _cache_event(cache: Cache, msg: Message) -> tuple[str, int]:
        """The event an incoming message is, and the acks still expected after it: data
        completes the transaction when the acks already received cover its count."""
        acks = cache.acks
        if msg.type == "Data":
            acks += msg.acks
            return ("DataAcks" if acks > 0 else "Data"), acks
        if msg.type == "InvAck":
            acks -= 1
            return ("LastInvAck" if acks == 0 else "InvAck"), acks
        return msg.type, acks

    def _check_line(self, w: _Work, line: int) -> None:
        """SWMR and the data-value invariant on `line` (Primer section 2.3)."""
        caches, _, last = w.lines[line]
        writing, reading = self._writes, self._reads
        writers = sum(writing[c.state] for c in caches)
        readers_only = sum(reading[c.state] and not writing[c.state] for c in caches)
        if (writers == 0 or writers == 1 and readers_only == 0) and all(
            c.value == last for c in caches if reading[c.state]
        ):
            return  # the common case, without building messages
        writers_at = [c for c in range(self.cores) if writing[caches[c].state]]
        readers = [c for c in range(self.cores) if reading[caches[c].state]]
        name = self.locs[line]
        if len(writers_at) > 1 or (writers_at and any(r != writers_at[0] for r in readers)):
            held = ", ".join(f"P{self.tids[c]} in {caches[c].state}" for c in readers)
            w.found.append(("swmr", f"{name}: {held} — a writer and another copy at once"))
        for c in readers:
            if caches[c].value != last:
                w.found.append(
                    (
                        "data-value",
                        f"{name}: P{self.tids[c]} holds a readable copy {caches[c].value} in "
                        f"{caches[c].state}, but the last write was {last}",
                    )
                )


# the home's bookkeeping actions: the sharer list and the owner (Primer section 8.2)
_HOME_UPDATES = {
    "+req": lambda h, m: h._replace(sharers=h.sharers | 1 << m.requestor),
    "+owner": lambda h, m: h._replace(sharers=h.sharers | 1 << h.owner),
    "-req": lambda h, m: h._replace(sharers=h.sharers & ~(1 << m.requestor)),
    "clr": lambda h, m: h._replace(sharers=0),
    "owner=req": lambda h, m: h._replace(owner=m.requestor),
    "owner=-": lambda h, m: h._replace(owner=-1),
    "mem<data": lambda h, m: h._replace(value=m.value),
}


def _put(caches: tuple[Cache, ...], i: int, cache: Cache) -> tuple[Cache, ...]:
    return caches[:i] + (cache,) + caches[i + 1 :]


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
        return self._lines[self._machine.loc_index[loc]].last

    def __iter__(self):
        return iter(self._machine.locs)

    def __len__(self) -> int:
        return len(self._machine.locs)
