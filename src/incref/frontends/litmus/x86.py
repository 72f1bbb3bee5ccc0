"""X86 litmus instructions (Intel operand order, `MOV dst,src`) as IR.

Semantics follow x86-TSO (Sewell et al., "x86-TSO: a rigorous and usable programmer's
model for x86 multiprocessors", CACM 2010, the abstract machine): plain MOVs are ordinary accesses
(`Order.RLX`: a hardware access is never undefined behaviour; TSO orders it), MFENCE
drains the store buffer, and LOCK'd instructions and XCHG (implicitly locked) are atomic
read-modify-writes that also drain it (`Order.SC`). A read-modify-write on memory
*without* LOCK (`INC [x]`) is three steps, load, compute, store: exactly CPython's
`ob_refcnt++`, the shape this project is about.
"""

from __future__ import annotations

import re

from incref.ir.program import Assign, BinOp, Cas, Const, Expr, Fence, Load, Order, Reg, Rmw, Store

from .asm import Cell, Thread
from .tail import parse_int

ARCH = "X86"

_REGISTER = re.compile(r"^(E?(AX|BX|CX|DX|SI|DI|BP)|R(AX|BX|CX|DX|SI|DI|BP)|R(8|9|1[0-5])D?)$")
_MEMORY = re.compile(r"^\[\s*([A-Za-z_]\w*)\s*\]$")
_IMMEDIATE = re.compile(r"^\$?(-?(0x[0-9a-fA-F]+|\d+))$")

ALU = {"ADD": "add", "SUB": "sub", "AND": "and", "OR": "or", "XOR": "xor"}
STEP = {"INC": "add", "DEC": "sub"}
IR_OPS = {"add": "+", "sub": "-", "and": "&", "or": "|", "xor": "^"}
# Real x86 instructions outside the subset: reported as unsupported, not as typos.
KNOWN_UNMODELLED = {
    "LFENCE",
    "SFENCE",
    "CMP",
    "TEST",
    "JMP",
    "JE",
    "JNE",
    "JZ",
    "JNZ",
    "PUSH",
    "POP",
    "LEA",
    "NEG",
    "NOT",
    "SHL",
    "SHR",
    "IMUL",
    "CMOVE",
    "CMOVNE",
    "SETE",
    "SETNE",
    "MOVNTI",
    "CLFLUSH",
    "PAUSE",
    "NOP",
}


def reg_name(name: str) -> str:
    return name.upper()


def instruction(thread: Thread, cell: Cell) -> None:
    words = cell.text.split(None, 1)
    mnemonic = words[0].upper()
    operands = [op.strip() for op in words[1].split(",")] if len(words) > 1 else []
    locked = mnemonic == "LOCK"
    if locked:
        if not operands:
            raise thread.src.error("LOCK prefix without an instruction", cell.offset)
        words = words[1].split(None, 1)
        mnemonic = words[0].upper()
        operands = [op.strip() for op in words[1].split(",")] if len(words) > 1 else []
    origin = " ".join(cell.text.split())
    handler = _HANDLERS.get(mnemonic)
    if handler is None:
        if mnemonic in KNOWN_UNMODELLED:
            raise thread.src.unsupported(f"X86 instruction {mnemonic}", cell.offset)
        raise thread.src.error(f"unknown X86 instruction {words[0]!r}", cell.offset)
    _Operands(thread, cell, operands, origin).run(handler, mnemonic, locked)


class _Operands:
    """One instruction's operands, read in the instruction's context (for error positions)."""

    def __init__(self, thread: Thread, cell: Cell, operands: list[str], origin: str):
        self.thread, self.cell, self.ops, self.origin = thread, cell, operands, origin

    def run(self, handler, mnemonic: str, locked: bool) -> None:
        if locked and mnemonic not in _LOCKABLE:
            raise self.thread.src.error(f"{mnemonic} cannot take a LOCK prefix", self.cell.offset)
        handler(self, mnemonic, locked)

    def count(self, n: int) -> None:
        if len(self.ops) != n:
            raise self.thread.src.error(f"expected {n} operand(s), got {len(self.ops)}", self.cell.offset)

    def memory(self, i: int) -> str | None:
        m = _MEMORY.match(self.ops[i])
        if m is None:
            if self.ops[i].startswith("["):
                raise self.thread.src.unsupported("X86 register-indirect addressing", self.cell.offset)
            return None
        self.thread.accessed(m.group(1), 32)
        return m.group(1)

    def register(self, i: int) -> str | None:
        name = self.ops[i].upper()
        return name if _REGISTER.match(name) else None

    def value(self, i: int) -> Expr:
        reg = self.register(i)
        if reg is not None:
            return Reg(reg)
        m = _IMMEDIATE.match(self.ops[i])
        if m is None:
            raise self.thread.src.error(
                f"bad operand {self.ops[i]!r} (register, [location] or $value)", self.cell.offset
            )
        return Const(parse_int(m.group(1)))

    def dest_register(self, i: int) -> str:
        reg = self.register(i)
        if reg is None:
            raise self.thread.src.error(f"bad register {self.ops[i]!r}", self.cell.offset)
        self.thread.written(reg)
        return reg

    def emit(self, *instrs) -> None:
        self.thread.emit(*instrs)


def _mov(o: _Operands, mnemonic: str, locked: bool) -> None:
    o.count(2)
    dst = o.memory(0)
    if dst is not None:
        o.emit(Store(dst, o.value(1), Order.RLX, origin=o.origin))
        return
    src = o.memory(1)
    reg = o.dest_register(0)
    if src is not None:
        o.emit(Load(reg, src, Order.RLX, origin=o.origin))
    else:
        o.emit(Assign(reg, o.value(1), origin=o.origin))


def _mfence(o: _Operands, mnemonic: str, locked: bool) -> None:
    o.count(0)
    o.emit(Fence(Order.SC, "mfence", origin=o.origin))


def _xchg(o: _Operands, mnemonic: str, locked: bool) -> None:
    """XCHG with a memory operand is locked whether or not it says so (Intel SDM vol. 3,
    8.1.2.1)."""
    o.count(2)
    for mem_i, reg_i in ((0, 1), (1, 0)):
        loc = o.memory(mem_i)
        if loc is not None:
            reg = o.dest_register(reg_i)
            o.emit(Rmw(reg, loc, "xchg", Reg(reg), Order.SC, origin=o.origin))
            return
    a, b = o.dest_register(0), o.dest_register(1)
    tmp = o.thread.temp()
    o.emit(
        Assign(tmp, Reg(a), origin=o.origin), Assign(a, Reg(b), origin=o.origin), Assign(b, Reg(tmp), origin=o.origin)
    )


def _arith(o: _Operands, mnemonic: str, locked: bool) -> None:
    """INC/DEC/ADD/SUB/AND/OR/XOR: one locked RMW with LOCK, three steps without."""
    if mnemonic in STEP:
        o.count(1)
        op, operand = STEP[mnemonic], Const(1)
    else:
        o.count(2)
        op, operand = ALU[mnemonic], o.value(1)
    loc = o.memory(0)
    if loc is None:
        if locked:
            raise o.thread.src.error("LOCK needs a memory destination", o.cell.offset)
        reg = o.dest_register(0)
        o.emit(Assign(reg, BinOp(IR_OPS[op], Reg(reg), operand), origin=o.origin))
    elif locked:
        o.emit(Rmw(None, loc, op, operand, Order.SC, origin=o.origin))
    else:
        tmp = o.thread.temp()
        o.emit(
            Load(tmp, loc, Order.RLX, origin=o.origin),
            Assign(tmp, BinOp(IR_OPS[op], Reg(tmp), operand), origin=o.origin),
            Store(loc, Reg(tmp), Order.RLX, origin=o.origin),
        )


def _xadd(o: _Operands, mnemonic: str, locked: bool) -> None:
    o.count(2)
    loc = o.memory(0)
    if loc is None or not locked:
        raise o.thread.src.unsupported(f"{mnemonic} without LOCK on memory", o.cell.offset)
    reg = o.dest_register(1)
    o.emit(Rmw(reg, loc, "add", Reg(reg), Order.SC, origin=o.origin))


def _cmpxchg(o: _Operands, mnemonic: str, locked: bool) -> None:
    """LOCK CMPXCHG [x],r: if EAX = [x] then [x] := r; EAX ends holding the old value
    either way (Intel SDM vol. 2A, CMPXCHG)."""
    o.count(2)
    loc = o.memory(0)
    if loc is None or not locked:
        raise o.thread.src.unsupported(f"{mnemonic} without LOCK on memory", o.cell.offset)
    o.thread.written("EAX")
    o.emit(Cas("EAX", loc, Reg("EAX"), o.value(1), Order.SC, Order.SC, origin=o.origin))


_HANDLERS = {
    "MOV": _mov,
    "MFENCE": _mfence,
    "XCHG": _xchg,
    "XADD": _xadd,
    "CMPXCHG": _cmpxchg,
    **{m: _arith for m in (*ALU, *STEP)},
}
_LOCKABLE = {"XCHG", "XADD", "CMPXCHG", *ALU, *STEP}
