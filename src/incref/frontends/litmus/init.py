"""The init block `{ ... }`: initial values of locations and registers.

Items are separated by `;`: `x=1`, `[x]=1` (C style), `0:EAX=1`, `P0:r0=1`, an AArch64
address register `0:X1=x` (the register holds the address of `x`), and typed declarations
(`int x = 0;`, `uint64_t 0:X1;`). Unnamed locations and registers start at 0. A location
holding an address (`x=y`: a pointer in memory) is outside what incref models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .source import Piece, Source
from .tail import parse_int

_ITEM = re.compile(
    r"""\s*(?P<type>(?:[A-Za-z_]\w*\s+|[A-Za-z_]\w*\s*\*\s*)*?)
        (?P<lhs>\[\s*[A-Za-z_][\w.]*\s*\]|P?\d+:[A-Za-z_]\w*|[A-Za-z_][\w.]*)
        (?:\s*\[\s*(?P<size>\d+)\s*\])?
        \s*(?:=\s*(?P<rhs>&?\s*[A-Za-z_][\w.]*|-?(?:0x[0-9a-fA-F]+|\d+)|\{[^{}]*\}))?\s*$""",
    re.X,
)
_SIZED_TYPES = re.compile(r"\b(u?int(8|16|64)_t|char|short|long)\b")


@dataclass
class Init:
    locations: dict[str, int] = field(default_factory=dict)
    regs: dict[tuple[int, str], int] = field(default_factory=dict)
    addresses: dict[tuple[int, str], str] = field(default_factory=dict)
    sized: set[str] = field(default_factory=set)  # declared with a non-default width


def parse_init(src: Source, piece: Piece, reg_name: Callable[[str], str]) -> Init:
    init = Init()
    offset = piece.offset
    for raw in piece.text.split(";"):
        item_offset = offset + len(raw) - len(raw.lstrip())
        offset += len(raw) + 1
        if not raw.strip():
            continue
        m = _ITEM.match(raw)
        if m is None:
            raise src.error(f"cannot read init item {raw.strip()!r}", item_offset)
        if "*" in m.group("type"):
            raise src.unsupported("pointer variable in the init block", item_offset)
        if _SIZED_TYPES.search(m.group("type")):
            init.sized.add(m.group("lhs"))
        lhs = m.group("lhs").strip("[] ")
        rhs = (m.group("rhs") or "0").replace(" ", "")
        if m.group("size") is not None:
            _array(src, init, lhs, int(m.group("size")), rhs, item_offset)
            continue
        tid, sep, reg = lhs.lstrip("P").partition(":") if ":" in lhs else ("", "", lhs)
        if rhs.lstrip("&")[:1].isalpha() or rhs.startswith("_"):
            if not sep:
                raise src.unsupported("pointer value in memory", item_offset)
            init.addresses[(int(tid), reg_name(reg))] = rhs.lstrip("&")
            init.locations.setdefault(rhs.lstrip("&"), 0)
        elif sep:
            init.regs[(int(tid), reg_name(reg))] = parse_int(rhs)
        else:
            init.locations[lhs] = parse_int(rhs)
    return init


def _array(src: Source, init: Init, name: str, size: int, rhs: str, offset: int) -> None:
    """`int y[2] = {0, 1}`: element 0 is the location `y`, element i the location `y[i]`
    (the IR's `index` convention)."""
    values = [v for v in rhs.strip("{}").split(",") if v] if rhs.startswith("{") else [rhs] * size
    if len(values) > size or not all(re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", v) for v in values):
        raise src.error(f"bad initialiser for array {name}[{size}]", offset)
    values += ["0"] * (size - len(values))
    for i, value in enumerate(values):
        init.locations[name if i == 0 else f"{name}[{i}]"] = parse_int(value)
