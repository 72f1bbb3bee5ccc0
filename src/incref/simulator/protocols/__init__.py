"""Coherence protocols as data: each one is two tables of (state, event) -> (actions, next
state), one for the private cache controller and one for the home (the memory controller
of a snooping bus, or the directory), written the way Sorin, Hill and Wood's *A Primer on
Memory Consistency and Cache Coherence* (2nd ed., 2020) prints them in chapters 7 and 8:
a row per state, a column per event, one cell per pair.

The engine that runs a table (`incref.simulator.machine`) knows no protocol: it knows the
small action vocabulary below (send a request, send data, invalidate the sharers, ...) and
how an incoming message becomes an event. A table is rejected when loaded if a (state,
event) cell is missing or given twice, or names an unknown state or action, the way gem5's
SLICC `StateMachine` rejects a duplicate `transition(...)` (src/mem/slicc/symbols/
StateMachine.py); a protocol bug that the table cannot show statically (a cell marked
impossible that is reached, a broken invalidation) is found by exhaustive exploration.

Text format (one table)::

    table cache                        # or: table home
    states  I:- S:r M:rwo IS_D:-       # state:permissions (r read, w write, o owns the data)
    events  Load Store Replacement ... # the columns, in order
    state | Load      | Store     | ...
    I     | GetS/IS_D | GetM/IM_D | ...

A cell is `-` (impossible: reaching it is a protocol error), `stall` (the event waits) or
`action,action/NEXT` (actions, then the next state; no `/NEXT` keeps the state).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path

from incref.errors import InputError, UsageError
from incref.frontends.text import read_source

INTERCONNECTS = ("bus", "directory")

# What the engine can do for a cache controller. Requests go to the home (a broadcast on the
# bus); `hit` performs the core's access; `data>req` sends this cache's data to the
# requestor of the message being handled, `data>dir` to the home (a writeback);
# `invack>req` acknowledges an invalidation to the requestor (Primer section 8.2.4).
REQUESTS = ("GetS", "GetM", "PutS", "PutM")
CACHE_ACTIONS = frozenset({"hit", *REQUESTS, "data>req", "data>dir", "invack>req"})
# What the engine can do for a home: answer with memory's data (`data>req`: acks 0,
# `data+acks>req`: with the number of other sharers to wait for, `excl>req`: exclusive,
# Primer section 7.3 / 8.3), forward a request to the owner, invalidate the sharers,
# send only the ack count (`acks>req`, an owner upgrading from O), acknowledge a Put,
# update the sharer list and owner, and copy the data of the message into memory.
HOME_ACTIONS = frozenset(
    {
        "data>req",
        "data+acks>req",
        "excl>req",
        "fwd>owner",
        "inv>sharers",
        "acks>req",
        "putack>req",
        "+req",
        "+owner",
        "-req",
        "clr",
        "owner=req",
        "owner=-",
        "mem<data",
    }
)
ROLES = {"cache": CACHE_ACTIONS, "home": HOME_ACTIONS}

# The events the engine raises, per interconnect and role (a table may list more).
ENGINE_EVENTS = {
    "bus": {
        "cache": ("Load", "Store", "Replacement", "OtherGetS", "OtherGetM", "OtherPutM", "Data", "DataExcl", "NoData"),
        "home": ("GetS", "GetM", "PutM"),
    },
    "directory": {
        "cache": (
            "Load",
            "Store",
            "Replacement",
            "FwdGetS",
            "FwdGetM",
            "Inv",
            "PutAck",
            "Data",
            "DataAcks",
            "DataExcl",
            "InvAck",
            "LastInvAck",
        ),
        "home": ("GetS", "GetM", "GetMOwner", "PutS", "PutSLast", "PutM", "PutMNonOwner", "Data"),
    },
}
BUS_REQUESTS = ("GetS", "GetM", "PutM")  # a shared block leaves a snooping cache silently

IMPOSSIBLE = "-"
STALL = "stall"


@dataclass(frozen=True)
class Cell:
    """One transition: `kind` is "do", "stall" or "impossible"; `next` the next state
    (the same state when the cell does not change it)."""

    kind: str
    actions: tuple[str, ...] = ()
    next: str = ""
    text: str = ""


@dataclass(frozen=True)
class Table:
    """One controller's table. `permissions[state]` is a subset of "rwo": read, write, and
    owning the only up-to-date copy of the data (memory is stale)."""

    role: str
    states: tuple[str, ...]
    events: tuple[str, ...]
    permissions: Mapping[str, str]
    cells: Mapping[tuple[str, str], Cell]

    def cell(self, state: str, event: str) -> Cell:
        return self.cells[(state, event)]

    def with_cell(self, state: str, event: str, text: str) -> Table:
        """A copy with one cell rewritten (to build a deliberately broken protocol)."""
        if (state, event) not in self.cells:
            raise UsageError(f"{self.role} table has no cell ({state}, {event})")
        cells = dict(self.cells)
        cells[(state, event)] = _parse_cell(text, self, None, 0)
        return replace(self, cells=cells)


@dataclass(frozen=True)
class Protocol:
    """A protocol for one interconnect: the cache table and the home table."""

    name: str
    interconnect: str
    cache: Table
    home: Table
    source: str = ""

    def with_cell(self, role: str, state: str, event: str, text: str) -> Protocol:
        table = getattr(self, role)
        return replace(self, **{role: table.with_cell(state, event, text)})


# name -> module in this package (each module holds BUS and DIRECTORY texts and SOURCE)
REGISTRY = {"msi": "msi", "mesi": "mesi", "moesi": "moesi"}


def names() -> list[str]:
    return list(REGISTRY)


def load(spec: str, interconnect: str = "bus") -> Protocol:
    """The protocol `spec` (a name in `REGISTRY`, or a path to a protocol file holding the
    tables of one interconnect) for `interconnect`. Raises `UsageError`/`InputError`."""
    if interconnect not in INTERCONNECTS:
        raise UsageError(f"unknown interconnect {interconnect!r} (known: {', '.join(INTERCONNECTS)})")
    if spec in REGISTRY:
        module = import_module(f"incref.simulator.protocols.{REGISTRY[spec]}")
        text = module.BUS if interconnect == "bus" else module.DIRECTORY
        return parse(
            text, name=spec, interconnect=interconnect, file=f"<{spec}-{interconnect}>", source=module.__doc__ or ""
        )
    path = Path(spec)
    if not path.suffix or not path.exists():
        raise UsageError(f"unknown protocol {spec!r} (known: {', '.join(REGISTRY)}, or a protocol file)")
    text = read_source(path, "protocol table")
    return parse(text, name=path.stem, interconnect=interconnect, file=str(path))


_STATE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*$")


def parse(text: str, *, name: str, interconnect: str, file: str = "<protocol>", source: str = "") -> Protocol:
    """Parse the two tables of a protocol text and check them (see the module docstring)."""
    tables: dict[str, Table] = {}
    blocks: list[tuple[str, int, list[tuple[int, str]]]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        words = line.split()
        if words[0] == "table":
            if len(words) != 2 or words[1] not in ROLES:
                raise InputError("expected `table cache` or `table home`", file, lineno, 1, raw)
            blocks.append((words[1], lineno, []))
        elif not blocks:
            raise InputError("expected `table cache` or `table home` first", file, lineno, 1, raw)
        else:
            blocks[-1][2].append((lineno, line))
    header_line: dict[str, int] = {}
    for role, lineno, lines in blocks:
        if role in tables:
            raise InputError(f"table {role} given twice", file, lineno, 1)
        tables[role] = _parse_table(role, lines, file, lineno)
        header_line[role] = lineno
    for role in ROLES:
        if role not in tables:
            raise InputError(f"protocol has no `table {role}`", file, None)
        missing = [e for e in ENGINE_EVENTS[interconnect][role] if e not in tables[role].events]
        if missing:
            raise InputError(
                f"table {role}: a {interconnect} raises the events {', '.join(missing)}, "
                "which the table has no column for",
                file,
                header_line[role],
                1,
            )
    if interconnect == "bus":
        odd = sorted(
            {a for c in tables["cache"].cells.values() for a in c.actions if a in REQUESTS} - set(BUS_REQUESTS)
        )
        if odd:
            raise InputError(
                f"table cache: a bus carries the requests {', '.join(BUS_REQUESTS)}, not {', '.join(odd)}",
                file,
                header_line["cache"],
                1,
            )
    return Protocol(name=name, interconnect=interconnect, cache=tables["cache"], home=tables["home"], source=source)


def _parse_table(role: str, lines: list[tuple[int, str]], file: str, start: int) -> Table:
    states: dict[str, str] = {}
    events: tuple[str, ...] = ()
    rows: list[tuple[int, str]] = []
    for lineno, line in lines:
        head = line.split(None, 1)
        if head[0] == "states":
            for word in head[1].split() if len(head) > 1 else ():
                state, _, perms = word.partition(":")
                perms = "" if perms == "-" else perms
                if not _STATE_NAME.match(state) or set(perms) - set("rwo"):
                    raise InputError(
                        f"bad state declaration {word!r} (expected NAME:perms, perms from r w o or -)",
                        file,
                        lineno,
                        line.find(word) + 1,
                        line,
                    )
                if state in states:
                    raise InputError(f"state {state} declared twice", file, lineno, line.find(word) + 1, line)
                states[state] = perms
        elif head[0] == "events":
            events = tuple(head[1].split()) if len(head) > 1 else ()
            if len(set(events)) != len(events):
                dup = next(e for e in events if events.count(e) > 1)
                raise InputError(f"event {dup} listed twice", file, lineno, line.find(dup) + 1, line)
        else:
            rows.append((lineno, line))
    if not states or not events:
        raise InputError(f"table {role} needs `states` and `events` lines", file, start, 1)
    table = Table(role, tuple(states), events, states, {})
    cells: dict[tuple[str, str], Cell] = {}
    header_seen = False
    for lineno, line in rows:
        parts = [p.strip() for p in line.split("|")]
        if not header_seen:
            if parts[1:] != list(events):
                raise InputError(
                    f"table {role}: the header row must list the events in order: {' | '.join(events)}",
                    file,
                    lineno,
                    1,
                    line,
                )
            header_seen = True
            continue
        state, texts = parts[0], parts[1:]
        if state not in states:
            raise InputError(f"table {role}: row for undeclared state {state!r}", file, lineno, 1, line)
        if len(texts) != len(events):
            what = (
                f"missing cell ({state}, {events[len(texts)]}): row {state} has {len(texts)} cells for "
                f"{len(events)} events, read left to right"
                if len(texts) < len(events)
                else f"row {state} has {len(texts)} cells for {len(events)} events"
            )
            raise InputError(f"table {role}: {what}", file, lineno, len(line) + 1, line)
        for event, text in zip(events, texts):
            if (state, event) in cells:
                raise InputError(f"table {role}: duplicate cell ({state}, {event})", file, lineno, 1, line)
            cells[(state, event)] = _parse_cell(text, table, file, lineno, line)
    for state in states:
        for event in events:
            if (state, event) not in cells:
                raise InputError(f"table {role}: missing cell ({state}, {event})", file, start, 1)
    return replace(table, cells=cells)


def _parse_cell(text: str, table: Table, file: str | None, lineno: int, line: str | None = None) -> Cell:
    text = text.strip()
    column = (line.find(text) + 1) if line and text else 1

    def fail(message: str) -> InputError:
        return InputError(f"table {table.role}: {message}", file, lineno or None, column, line)

    if text == IMPOSSIBLE:
        return Cell("impossible", text=text)
    if text == STALL:
        return Cell("stall", text=text)
    if not text:
        raise fail("empty cell (write `-` for an impossible event)")
    acts, sep, nxt = text.partition("/")
    actions = tuple(a.strip() for a in acts.split(",") if a.strip())
    for a in actions:
        if a not in ROLES[table.role]:
            raise fail(f"unknown action {a!r} in cell {text!r} (known: {', '.join(sorted(ROLES[table.role]))})")
    nxt = nxt.strip()
    if sep and nxt not in table.permissions:
        raise fail(f"unknown next state {nxt!r} in cell {text!r}")
    return Cell("do", actions, nxt, text)


def transitions_count(counts: Mapping[tuple[str, str, str], int]) -> dict[str, dict[str, dict[str, int]]]:
    """`{role: {state: {event: n}}}` from flat `(role, state, event) -> n` counts, the shape of
    gem5's `m_counters[state][event]`."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for (role, state, event), n in sorted(counts.items()):
        out.setdefault(role, {}).setdefault(state, {})[event] = n
    return out
