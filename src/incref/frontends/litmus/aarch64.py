"""AArch64 litmus instructions as IR.

Orders follow the ARM ARM (DDI 0487, B2.3) as herd's `aarch64.cat` reads them: LDR/STR
are plain accesses (`Order.RLX`), LDAR is an acquire (RCsc) load, LDAPR an acquire-PC
load (`kind="ldapr"`), STLR a release store; the A/L/AL suffixes of LDADD/SWP/CAS add
acquire, release or both. Exclusive pairs are `Load(exclusive=True)` followed by
`Store(status=reg)`. DMB SY/LD/ST and ISB keep their flavour in `Fence.kind`.

Address, data and control dependencies are not annotated: they follow from the registers
an index, a stored value or a branch condition reads (`names_in`), so the register
arithmetic is kept as written (`EOR W2,W1,W1` then `[X3,W2,SXTW]` is an address
dependency on the load into W1). `W`n and `X`n name one register, spelt `Xn`.
"""

from __future__ import annotations

import re

from incref.ir.program import Assign, BinOp, Branch, Cas, Const, Expr, Fence, Load, Order, Reg, Rmw, Store, UnOp

from .asm import Cell, Thread
from .tail import parse_int

ARCH = "AArch64"

_REG = re.compile(r"^([WX])(\d+|ZR)$", re.I)
_IMM = re.compile(r"^#(-?(0x[0-9a-fA-F]+|\d+))$")
_MEM = re.compile(r"^\[\s*(\w+)\s*(?:,\s*(#?-?\w+)\s*(?:,\s*(\w+)(?:\s+#(\d+))?\s*)?)?\]$")
_RMW = re.compile(r"^(LD(ADD|CLR|EOR|SET)|ST(ADD|CLR|EOR|SET)|SWP|CAS)(AL|A|L)?([BH])?$")

LOADS = {
    "LDR": (Order.RLX, False, ""),
    "LDAR": (Order.ACQ, False, ""),
    "LDAPR": (Order.ACQ, False, "ldapr"),
    "LDXR": (Order.RLX, True, ""),
    "LDAXR": (Order.ACQ, True, ""),
}
STORES = {"STR": Order.RLX, "STLR": Order.REL}
EXCLUSIVE_STORES = {"STXR": Order.RLX, "STLXR": Order.REL}
SUFFIX_ORDER = {None: Order.RLX, "A": Order.ACQ, "L": Order.REL, "AL": Order.ACQ_REL}
RMW_OP = {"ADD": "add", "CLR": "clr", "EOR": "xor", "SET": "or"}
DMB = {
    **dict.fromkeys(("SY", "ISH", "OSH", "NSH"), ("dmb.sy", Order.SC)),
    **dict.fromkeys(("LD", "ISHLD", "OSHLD", "NSHLD"), ("dmb.ld", Order.ACQ)),
    **dict.fromkeys(("ST", "ISHST", "OSHST", "NSHST"), ("dmb.st", Order.REL)),
}
ALU = {"ADD": "+", "SUB": "-", "EOR": "^", "AND": "&", "ORR": "|"}
CONDITIONS = {"EQ": "==", "NE": "!=", "GT": ">", "GE": ">=", "LT": "<", "LE": "<="}
FLAGS = "__flags"  # CMP a,b keeps a-b here; B.cond compares it with 0
# Real AArch64 instructions outside the subset: reported as unsupported, not as typos.
KNOWN_UNMODELLED = {
    "LDP",
    "STP",
    "LDAXP",
    "STLXP",
    "LDXP",
    "STXP",
    "LDAPUR",
    "STLUR",
    "LDUR",
    "STUR",
    "DC",
    "IC",
    "TLBI",
    "DSB",
    "MRS",
    "MSR",
    "SVC",
    "HVC",
    "ERET",
    "BR",
    "BLR",
    "RET",
    "BL",
    "CSEL",
    "CSINC",
    "MADD",
    "MUL",
    "LSL",
    "LSR",
    "NEG",
    "MVN",
    "TBZ",
    "TBNZ",
    "LDG",
    "STG",
    "STZG",
    "ADR",
    "ADRP",
    "CCMP",
    "UDF",
    "SMAX",
    "SMIN",
    "UMAX",
    "UMIN",
    "CASP",
    "LDSMAX",
    "LDSMIN",
    "LDUMAX",
    "LDUMIN",
}
MIXED_SIZE = re.compile(r"^(LD|ST)[A-Z]*[BH]$|^LDRS[BHW]$")


def reg_name(name: str) -> str:
    """`W3` and `X3` are one register; incref spells it `X3` (as herd7's conditions do)."""
    m = _REG.match(name)
    return f"X{m.group(2)}" if m and m.group(2).upper() != "ZR" else name.upper()


def instruction(thread: Thread, cell: Cell) -> None:
    words = cell.text.split(None, 1)
    mnemonic = words[0].upper()
    ops = [op.strip() for op in _split_operands(words[1])] if len(words) > 1 else []
    ins = _Instr(thread, cell, ops, " ".join(cell.text.split()))
    if mnemonic in LOADS:
        ins.load(*LOADS[mnemonic])
    elif mnemonic in STORES:
        ins.store(STORES[mnemonic], exclusive=False)
    elif mnemonic in EXCLUSIVE_STORES:
        ins.store(EXCLUSIVE_STORES[mnemonic], exclusive=True)
    elif mnemonic in ("MOV", *ALU, "CMP"):
        ins.arith(mnemonic)
    elif mnemonic == "DMB":
        ins.count(1)
        kind, order = DMB.get(ops[0].upper(), (None, None))
        if kind is None:
            raise thread.src.error(f"unknown DMB option {ops[0]!r}", cell.offset)
        thread.emit(Fence(order, kind, origin=ins.origin))
    elif mnemonic == "ISB":
        thread.emit(Fence(Order.RLX, "isb", origin=ins.origin))
    elif mnemonic == "NOP":
        return
    elif mnemonic in ("B", "CBZ", "CBNZ") or mnemonic.startswith("B."):
        ins.branch(mnemonic)
    elif MIXED_SIZE.match(mnemonic):
        raise thread.src.unsupported("mixed-size", cell.offset)
    elif (m := _RMW.match(mnemonic)) is not None:
        ins.rmw(m)
    elif mnemonic in KNOWN_UNMODELLED:
        raise thread.src.unsupported(f"AArch64 instruction {mnemonic}", cell.offset)
    else:
        raise thread.src.error(f"unknown AArch64 instruction {words[0]!r}", cell.offset)


def _split_operands(text: str) -> list[str]:
    """Commas separate operands except inside a memory operand `[X1,W2,SXTW]`."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    out.append(cur)
    return out


class _Instr:
    def __init__(self, thread: Thread, cell: Cell, ops: list[str], origin: str):
        self.thread, self.cell, self.ops, self.origin = thread, cell, ops, origin

    def error(self, message: str):
        return self.thread.src.error(message, self.cell.offset)

    def count(self, n: int) -> None:
        if len(self.ops) != n:
            raise self.error(f"expected {n} operand(s), got {len(self.ops)}")

    def register(self, i: int) -> tuple[str | None, int]:
        """(canonical name or None for the zero register, width in bits)."""
        m = _REG.match(self.ops[i])
        if m is None:
            raise self.error(f"bad register {self.ops[i]!r}")
        width = 32 if m.group(1).upper() == "W" else 64
        return (None if m.group(2).upper() == "ZR" else f"X{m.group(2)}"), width

    def dest(self, i: int) -> str | None:
        reg, _ = self.register(i)
        if reg is not None:
            self.thread.written(reg)
        return reg

    def value(self, i: int) -> Expr:
        m = _IMM.match(self.ops[i])
        if m:
            return Const(parse_int(m.group(1)))
        reg, _ = self.register(i)
        return Const(0) if reg is None else Reg(reg)

    def address(self, i: int, width: int) -> tuple[str, Expr | None]:
        """Location and index of a memory operand: the base register's address (from the
        init block, or computed by ADD) plus an optional index register."""
        if i >= len(self.ops):
            raise self.error("missing memory operand")
        m = _MEM.match(self.ops[i])
        if m is None:
            if self.ops[i].startswith("[") and self.ops[i].rstrip().endswith("!"):
                raise self.thread.src.unsupported("pre-indexed addressing", self.cell.offset)
            raise self.error(f"bad memory operand {self.ops[i]!r}")
        base, off, ext, shift = m.groups()
        if _REG.match(base) is None:
            raise self.error(f"bad base register {base!r}")
        if i + 1 < len(self.ops):
            raise self.thread.src.unsupported("post-indexed addressing", self.cell.offset)
        target = self.thread.addresses.get(reg_name(base))
        if target is None:
            raise self.thread.src.unsupported("address computed at run time", self.cell.offset)
        loc, index = target
        if off is not None:
            imm = _IMM.match(off)
            if imm is not None:
                if parse_int(imm.group(1)) != 0:
                    raise self.thread.src.unsupported("mixed-size", self.cell.offset)
            else:
                if (ext and ext.upper() not in ("SXTW", "UXTW", "LSL", "SXTX", "UXTX")) or (shift and int(shift)):
                    raise self.thread.src.unsupported(f"scaled index {self.ops[i]!r}", self.cell.offset)
                r = _REG.match(off)
                if r is None:
                    raise self.error(f"bad index register {off!r}")
                if r.group(2).upper() != "ZR":
                    index = Reg(f"X{r.group(2)}") if index is None else BinOp("+", index, Reg(f"X{r.group(2)}"))
        self.thread.accessed(loc, width)
        return loc, index

    def load(self, order: Order, exclusive: bool, kind: str) -> None:
        self.count(2)
        _, width = self.register(0)
        loc, index = self.address(1, width)
        self.thread.emit(Load(self.dest(0), loc, order, index, exclusive, kind, origin=self.origin))

    def store(self, order: Order, exclusive: bool) -> None:
        status = None
        if exclusive:
            self.count(3)
            status = self.dest(0)
            self.ops = self.ops[1:]
        else:
            self.count(2)
        _, width = self.register(0)
        loc, index = self.address(1, width)
        self.thread.emit(Store(loc, self.value(0), order, index, status, origin=self.origin))

    def rmw(self, m: re.Match) -> None:
        """LDADD/LDCLR/LDEOR/LDSET Rs,Rt,[Xn] (ST* forms discard the old value),
        SWP Rs,Rt,[Xn], CAS Rs,Rt,[Xn] (Rs: expected, then the old value; Rt: new)."""
        if m.group(5):
            raise self.thread.src.unsupported("mixed-size", self.cell.offset)
        order = SUFFIX_ORDER[m.group(4)]
        stem = m.group(1)
        if stem.startswith("ST") and stem != "SWP":
            self.count(2)
            loc, index = self.address(1, self.register(0)[1])
            self.thread.emit(Rmw(None, loc, RMW_OP[stem[2:]], self.value(0), order, index, origin=self.origin))
            return
        self.count(3)
        loc, index = self.address(2, self.register(0)[1])
        if stem == "CAS":
            fail = Order.ACQ if order.acquires else Order.RLX
            old = self.dest(0)
            self.thread.emit(Cas(old, loc, self.value(0), self.value(1), order, fail, index, origin=self.origin))
            return
        op = "xchg" if stem == "SWP" else RMW_OP[stem[2:]]
        operand = self.value(0)
        self.thread.emit(Rmw(self.dest(1), loc, op, operand, order, index, origin=self.origin))

    def arith(self, mnemonic: str) -> None:
        if mnemonic == "MOV":
            self.count(2)
            self._set(0, self.value(1), self.thread.addresses.get(reg_name(self.ops[1])))
            return
        if mnemonic == "CMP":
            self.count(2)
            self.thread.emit(Assign(FLAGS, BinOp("-", self.value(0), self.value(1)), origin=self.origin))
            return
        if len(self.ops) == 4 and self.ops[3].upper() in ("SXTW", "UXTW", "LSL #0", "SXTX", "UXTX"):
            self.ops = self.ops[:3]
        self.count(3)
        base = self.thread.addresses.get(reg_name(self.ops[1]))
        if base is not None:
            if mnemonic != "ADD":
                raise self.thread.src.unsupported(f"{mnemonic} on an address", self.cell.offset)
            loc, index = base
            offset = self.value(2)
            self._set(0, None, (loc, offset if index is None else BinOp("+", index, offset)))
            return
        self._set(0, BinOp(ALU[mnemonic], self.value(1), self.value(2)), None)

    def _set(self, i: int, value: Expr | None, address: tuple[str, Expr | None] | None) -> None:
        """Write register `i`: an address (tracked statically, as herd's init gives it) or
        a value (an `Assign`)."""
        reg = self.dest(i)
        if reg is None:
            return
        if address is not None:
            self.thread.addresses[reg] = address
        else:
            self.thread.emit(Assign(reg, value, origin=self.origin))

    def branch(self, mnemonic: str) -> None:
        if mnemonic == "B":
            self.count(1)
            self.thread.emit(Branch(Const(1), self.ops[0], origin=self.origin))
        elif mnemonic in ("CBZ", "CBNZ"):
            self.count(2)
            test = self.value(0)
            cond = test if mnemonic == "CBNZ" else UnOp("!", test)
            self.thread.emit(Branch(cond, self.ops[1], origin=self.origin))
        else:
            self.count(1)
            rel = CONDITIONS.get(mnemonic[2:])
            if rel is None:
                raise self.thread.src.unsupported(f"branch condition {mnemonic}", self.cell.offset)
            self.thread.emit(Branch(BinOp(rel, Reg(FLAGS), Const(0)), self.ops[0], origin=self.origin))
