"""What the X86 and AArch64 front ends share: the instruction table and the per-thread
translation state.

herd7 writes assembly code as a table, one column per thread, cells separated by `|` and
rows ended by `;`, under a header row `P0 | P1 | ... ;`. Each cell is one instruction (or
a label `L:`, or empty). An architecture module turns one cell into IR instructions
through `Thread.emit`; `assemble` links the labels and records which locations were named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from incref.ir.program import Expr, Instr, IRError, Label, link
from incref.ir.program import Thread as IRThread

from .source import Piece, Source

_THREAD_NAME = re.compile(r"P(\d+)$")
_LABEL = re.compile(r"([A-Za-z_][\w.]*)\s*:$")


@dataclass
class Cell:
    text: str
    offset: int


def split_table(src: Source, piece: Piece) -> list[list[Cell]]:
    """The columns of the instruction table: `columns[t]` is thread `t`'s cells, in order."""
    rows: list[list[Cell]] = []
    offset = piece.offset
    for line in piece.text.split("\n"):
        start = offset
        offset += len(line) + 1
        body = line.rstrip()
        if not body.strip():
            continue
        if body.endswith(";"):
            body = body[:-1]
        cells, at = [], start
        for part in body.split("|"):
            lead = len(part) - len(part.lstrip())
            cells.append(Cell(part.strip(), at + lead))
            at += len(part) + 1
        rows.append(cells)
    if not rows:
        raise src.error("no instruction table (expected a header 'P0 | P1 ;')", piece.offset)
    header, body_rows = rows[0], rows[1:]
    for tid, cell in enumerate(header):
        m = _THREAD_NAME.match(cell.text)
        if m is None or int(m.group(1)) != tid:
            raise src.error(f"expected thread name 'P{tid}' in the table header, got {cell.text!r}", cell.offset)
    columns: list[list[Cell]] = [[] for _ in header]
    for row in body_rows:
        if len(row) > len(header):
            raise src.error(
                f"this row has {len(row)} columns but the header names {len(header)} threads", row[len(header)].offset
            )
        for tid, cell in enumerate(row):
            if cell.text:
                columns[tid].append(cell)
    return columns


@dataclass
class Thread:
    """Translation state of one thread: which registers hold which address (herd7's
    `0:X1=x`; an address may carry a register index, `ADD X5,X1,W2,SXTW`), fresh
    temporaries, and the access widths seen per location (to name mixed-size tests)."""

    src: Source
    tid: int
    addresses: dict[str, tuple[str, Expr | None]]
    code: list[Instr] = field(default_factory=list)
    widths: dict[str, set[int]] = field(default_factory=dict)
    temps: int = 0

    def emit(self, *instrs: Instr) -> None:
        self.code.extend(instrs)

    def temp(self) -> str:
        self.temps += 1
        return f"__t{self.temps}"

    def written(self, reg: str) -> None:
        """A register overwritten by a value no longer holds an address."""
        self.addresses.pop(reg, None)

    def accessed(self, loc: str, width: int) -> None:
        self.widths.setdefault(loc, set()).add(width)


def assemble(
    src: Source,
    columns: list[list[Cell]],
    addresses: dict[tuple[int, str], str],
    instruction: Callable[[Thread, Cell], None],
) -> tuple[list[IRThread], set[str]]:
    """Translate every cell of every column; returns the threads and the locations named.
    A location accessed with two widths makes the test mixed-size (unsupported)."""
    threads, widths = [], {}
    for tid, cells in enumerate(columns):
        thread = Thread(src, tid, {r: (loc, None) for (t, r), loc in addresses.items() if t == tid}, widths=widths)
        for cell in cells:
            m = _LABEL.match(cell.text)
            if m:
                thread.emit(Label(m.group(1)))
            else:
                instruction(thread, cell)
        try:
            code = link(thread.code)
        except IRError as exc:
            raise src.error(str(exc), cells[-1].offset if cells else 0) from None
        threads.append(IRThread(tid, code))
    if any(len(w) > 1 for w in widths.values()):
        raise src.unsupported("mixed-size", 0)
    return threads, set(widths)
