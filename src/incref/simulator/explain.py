"""`--explain`: the lost increment the model checker found, replayed on the coherent
machine, one line-level step at a time — which core held the line in which state, which
messages moved it — and a conclusion that names what did and did not happen.

Why replay the checker's execution rather than search again: the question is about *that*
execution ("why was this increment lost?"). The checker's trace is a sequence of core
events (loads, stores entering the buffer, flushes); each is replayed in order on the
machine, and whenever the core's cache does not hold the line as the event needs, the
protocol transaction that fetches it runs first, to completion (its request and, on a
directory, every message until the network is quiet). The explanation then reads the
facts off the replay: whether any cache ever held a copy that was not the last write or
wrote one back (the "stale L1 copy" theory), whether two caches ever held the line
writable at once, and whether the line left a core between its load and its store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from incref.errors import UsageError
from incref.ir.program import Program
from incref.ir.results import Violation
from incref.simulator.exhaustive import simulate
from incref.simulator.machine import Config, Machine

MAX_PROTOCOL_STEPS = 1000


@dataclass
class Row:
    actor: str
    what: str
    detail: str
    lines: dict[str, str]  # location -> "P0:M P1:I"
    kind: str  # "core", "flush" or "protocol"


@dataclass
class Explanation:
    scenario: str
    protocol: str
    interconnect: str
    model: str
    violation: Violation | None
    rows: list[Row] = field(default_factory=list)
    conclusion: str = ""
    reachable_states: int = 0
    swmr_everywhere: bool = True
    data_value_everywhere: bool = True
    complete: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "protocol": self.protocol,
            "interconnect": self.interconnect,
            "model": self.model,
            "violation": None if self.violation is None else self.violation.to_json(),
            "steps": [
                {"actor": r.actor, "what": r.what, "detail": r.detail, "lines": r.lines, "kind": r.kind}
                for r in self.rows
            ],
            "conclusion": self.conclusion,
            "reachable_states": self.reachable_states,
            "swmr": self.swmr_everywhere,
            "data_value": self.data_value_everywhere,
            "complete": self.complete,
        }

    def render(self) -> str:
        """The story as text: a numbered table of steps, then the conclusion."""
        if self.violation is None:
            return (
                f"{self.scenario}: the model checker ({self.model}) found no lost update to explain.\n"
                f"{self.conclusion}\n"
            )
        locs = list(self.rows[0].lines) if self.rows else []
        head = f"{'#':>3}  {'who':<7} {'step':<44} " + "  ".join(f"{loc:<16}" for loc in locs)
        out = [
            f"{self.scenario} on {self.protocol.upper()} ({self.interconnect}), replaying the model checker's "
            f"({self.model}) lost update: {self.violation.message}",
            "",
            head,
            "-" * len(head),
        ]
        for n, r in enumerate(self.rows, 1):
            what = r.what if len(r.what) <= 44 else r.what[:41] + "..."
            out.append(f"{n:>3}  {r.actor:<7} {what:<44} " + "  ".join(f"{r.lines[loc]:<16}" for loc in locs))
            if r.detail:
                out.append(f"{'':>13}{r.detail}")
        out += ["", self.conclusion, ""]
        return "\n".join(out)


def explain(
    program: Program,
    config: Config,
    lost: Violation | None,
    *,
    max_states: int | None = None,
    timeout: float | None = None,
) -> Explanation:
    """Replay `lost`, the model checker's shortest lost update of `program` (engine level)
    under the model of `config`'s cores (`core_model`), on `config`'s machine and explain
    it; also explore the machine exhaustively for the SWMR count. The simulator runs no
    other engine: `incref.compose.explain_lost_update` asks the checker for `lost`."""
    model = core_model(config)
    machine = Machine(program, config)
    found = simulate(program, config, max_states=max_states, timeout=timeout)
    coherent_kinds = {v.kind for v in found.violations}
    story = Explanation(
        program.name,
        config.protocol.name,
        config.protocol.interconnect,
        model,
        lost,
        reachable_states=found.stats.explored,
        swmr_everywhere="swmr" not in coherent_kinds,
        data_value_everywhere="data-value" not in coherent_kinds,
        complete=found.stats.complete,
    )
    if story.violation is None:
        story.conclusion = _invariants_sentence(story)
        return story
    watched = _watched(program)
    state = machine.initial()
    stale_writeback = False
    for step in story.violation.trace:
        state, rows, stale = _replay_step(machine, state, step.thread, step.step == "flush", watched)
        story.rows += rows
        stale_writeback |= stale
    story.conclusion = _conclude(story, machine, watched, stale_writeback)
    return story


def core_model(config: Config) -> str:
    """The memory model the machine's cores implement: x86-TSO with store buffers, SC
    without (Primer, 2nd ed., sections 3.5 and 4.3)."""
    return "tso" if config.store_buffers else "sc"


def _watched(program: Program) -> list[str]:
    """The lines the story shows: every object's count fields, else every location."""
    fields = [f for obj in program.objects.values() for f in obj.fields if f != obj.payload]
    return fields or sorted(program.locations)


def _line_states(machine: Machine, state, watched: list[str]) -> dict[str, str]:
    out = {}
    for loc in watched:
        caches = state.lines[machine.loc_index[loc]].caches
        out[loc] = " ".join(f"P{machine.tids[c]}:{caches[c].state}" for c in range(machine.cores))
    return out


def _replay_step(machine: Machine, state, thread: int, flush: bool, watched: list[str]):
    """Take the checker's next event of `thread` (a flush or its next instruction) on the
    machine, running the protocol transactions it needs first."""
    rows: list[Row] = []
    stale = False
    for _ in range(MAX_PROTOCOL_STEPS):
        want = machine.core_move(state, thread, flush)
        deliveries = [t for t in machine.enabled(state) if t.action[0] == "deliver"]
        if deliveries:
            t = deliveries[0]
        elif want is None:
            raise UsageError(f"cannot replay the checker's trace on the machine: P{machine.tids[thread]} is stuck")
        else:
            t = want
        detail, _ = machine.explain(state, t)
        if t.action[0] == "deliver":
            msg = dict(state.net)[t.action[1]][0]
            last = state.lines[msg.line].last
            stale |= (
                msg.type in ("PutM", "Data") and t.action[1][1] == machine.home_id and msg.value not in (None, last)
            )
        state = machine.step(state, t)
        kind = "protocol" if t.action[0] in ("request", "deliver") else ("flush" if flush else "core")
        actor = machine.node(t.thread) if t.action[0] == "deliver" else f"P{machine.tids[t.thread]}"
        rows.append(Row(actor, t.label, detail, _line_states(machine, state, watched), kind))
        if t is want and t.action[0] != "request":
            return state, rows, stale
    raise UsageError("cannot replay the checker's trace on the machine: the protocol does not settle")


def _conclude(story: Explanation, machine: Machine, watched: list[str], stale_writeback: bool) -> str:
    moved = _moves_between_load_and_store(story, machine, watched)
    parts = []
    if stale_writeback:
        parts.append("A copy that was not the last write was written back.")
    else:
        parts.append(
            "No stale copy was ever written back: every writeback and every data response in this "
            "execution carried the last value written to the line."
        )
    if moved:
        parts.append(
            "The increment was lost because the line moved between a load and its store: "
            + "; ".join(moved)
            + ". The caches were coherent throughout: the value that was out of date "
            "was in a register, not in a cache. "
            "A locked read-modify-write (the `atomic` scheme) holds the line writable from its read to "
            "its write, so no other core can take it in between."
        )
    else:
        parts.append(
            "The line did not leave a core between its load and its store; the update was lost in the "
            "store buffer ordering."
        )
    parts.append(_invariants_sentence(story))
    return " ".join(parts)


def _invariants_sentence(story: Explanation) -> str:
    scope = "all" if story.complete else "the first (the search was cut short)"
    held = "SWMR held" if story.swmr_everywhere else "SWMR was broken"
    value = (
        "and so did the data-value invariant" if story.data_value_everywhere else "but the data-value invariant broke"
    )
    return (
        f"{held} in {scope} {story.reachable_states:,} reachable states of this scenario on "
        f"{story.protocol.upper()} ({story.interconnect}), {value}: no two caches ever held the line "
        "writable at once."
        if story.swmr_everywhere
        else f"{held} in {scope} {story.reachable_states:,} states."
    )


_READ = re.compile(r"^read (\S+) = (-?\d+)")
_WRITE = re.compile(r"write (\S+) = (-?\d+) in")


def _moves_between_load_and_store(story: Explanation, machine: Machine, watched: list[str]) -> list[str]:
    """For each core, between its load of a watched line (from its cache) and the write of
    its store to that line: the other cores that took the line writable, and what they
    wrote (read off the machine's own step notes)."""
    out = []
    loads: dict[tuple[str, str], tuple[int, str]] = {}
    writes: list[tuple[int, str, str, str]] = []  # (step, core, loc, value)
    for n, row in enumerate(story.rows):
        read = _READ.match(row.detail) if row.kind == "core" and "store buffer" not in row.detail else None
        if read and read.group(1) in watched:
            loads[(row.actor, read.group(1))] = (n, read.group(2))
        write = _WRITE.search(row.detail) if row.kind in ("core", "flush") else None
        if not write:
            continue
        loc, value = write.groups()
        writes.append((n, row.actor, loc, value))
        start = loads.pop((row.actor, loc), None)
        if start is None:
            continue
        takers = []
        for later in story.rows[start[0] + 1 : n]:
            for holder in later.lines.get(loc, "").split():
                core, _, st = holder.partition(":")
                if core != row.actor and "w" in machine.cache.permissions[st] and core not in takers:
                    takers.append(core)
        if takers:
            between = [
                f"{w[1]} wrote {w[3]} at step {w[0] + 1}"
                for w in writes
                if start[0] < w[0] < n and w[2] == loc and w[1] != row.actor
            ]
            out.append(
                f"{row.actor} loaded {loc} = {start[1]} at step {start[0] + 1} and stored {value} at step "
                f"{n + 1}; in between {', '.join(takers)} held the line writable"
                + (f" ({', '.join(between)})" if between else "")
                + f", so {row.actor}'s store, computed from the {start[1]} it had loaded, overwrote that"
            )
    return out
