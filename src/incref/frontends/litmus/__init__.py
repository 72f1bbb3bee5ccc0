"""herd7 litmus files (X86, AArch64, C) as incref programs.

`parse_file(path)` and `parse_text(text, file=...)` return an engine-level `Program`
(litmus tests have no `incref`/`decref`): one `Thread` per column or thread function, the
init block as initial values, `locations` as `Program.observed` (followed by the keys the
condition names, which is what herd7 lists in a final state), `filter` as
`Program.filter`, and the condition as a `Condition`. `Program.meta` records the
architecture (`arch`), the file, the quoted cycle and `key=value` lines.

Malformed input raises `InputError` with file:line:col; a well-formed test that uses a
feature incref does not model raises `Unsupported` naming the feature, never a guess.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from incref import budget
from incref.frontends.text import read_source
from incref.ir.program import BinOp, Expr, Program, UnOp, Var, names_in

from . import aarch64, c11, x86
from .asm import assemble, split_table
from .init import parse_init
from .source import Piece, Source, blank_comments, split
from .tail import parse_tail

FRONT_ENDS: dict[str, ModuleType] = {"X86": x86, "AArch64": aarch64, "C": c11}


def parse_file(path: str | Path) -> Program:
    return parse_text(read_source(path, "litmus test"), file=str(path))


def parse_text(text: str, file: str = "<litmus>") -> Program:
    src = Source(blank_comments(text, file), file)
    sections = split(src)
    arch = FRONT_ENDS[sections.arch]
    for piece in (sections.init, sections.code, sections.tail):
        refuse_wide_numbers(src, piece)
    budget.check("reading the litmus test")
    init = parse_init(src, sections.init, arch.reg_name)
    if sections.arch == "C":
        refuse_deep_expressions(src, sections.code)
        threads, named = c11.translate(src, sections.code)
    else:
        if init.sized and sections.arch == "AArch64":
            raise src.unsupported("mixed-size", sections.init.offset)
        threads, named = assemble(src, split_table(src, sections.code), init.addresses, arch.instruction)
    budget.check("reading the litmus test")
    refuse_deep_expressions(src, sections.tail)
    tail = parse_tail(src, sections.tail, arch.reg_name)
    locations = {loc: 0 for loc in sorted(named)}
    locations.update(init.locations)
    refuse_unknown_threads(src, sections.tail, tail, len(threads))
    observed = list(tail.observed)
    for key in _keys_in_order(tail.condition.prop):
        if key not in observed:
            observed.append(key)
    for key in observed + sorted(names_in(tail.filter)):
        if ":" not in key:
            locations.setdefault(key, 0)
    return Program(
        name=sections.name,
        locations=locations,
        threads=tuple(threads),
        condition=tail.condition,
        filter=tail.filter,
        observed=tuple(observed),
        init_regs=init.regs,
        meta={"arch": sections.arch, "file": file, **sections.meta},
    )


def refuse_unknown_threads(src: Source, piece: Piece, tail, nthreads: int) -> None:
    """A register of a thread the test does not have (`7:EAX` in a two-thread test) is a
    typo, not a register that stays 0: reading it as one would silently change the verdict."""
    names = set(tail.observed) | names_in(tail.condition.prop) | names_in(tail.filter)
    for key in sorted(names):
        tid, sep, _ = key.partition(":")
        if sep and tid.isdigit() and int(tid) >= nthreads:
            m = re.search(rf"(?<![\w:])P?{tid}:", piece.text)
            raise src.error(
                f"{key} names thread {tid}, but the test has threads 0 to {nthreads - 1}",
                piece.offset + (m.start() if m else 0),
            )


# A number token, with a thread number's `P` (`P0:r0`) and hex's `0x` (AArch64 `#0x..`)
_NUMBER = re.compile(r"(?<![\w.])P?(0[xX][0-9a-fA-F]+|\d+)(?![\w.])")
_MAX_VALUE = 2**64 - 1  # litmus values are 64-bit registers and words (herd7's default size)


def refuse_wide_numbers(src: Source, piece: Piece | None) -> None:
    """A number that does not fit in 64 bits is refused where it is written: the engines
    compute on 64-bit words (as the hardware back end does), and a 5,000-digit literal is
    a damaged file, not a value to read (Python refuses to convert one)."""
    if piece is None:
        return
    for m in _NUMBER.finditer(piece.text):
        digits = m.group(1)
        base = 16 if digits[:2].lower() == "0x" else 10
        significant = (digits[2:] if base == 16 else digits).lstrip("0") or "0"
        if len(significant) > 20 or int(significant, base) > _MAX_VALUE:
            shown = digits if len(digits) <= 24 else digits[:20] + "..."
            raise src.error(f"number {shown} does not fit in 64 bits", piece.offset + m.start(1))


MAX_OPERATORS = 200
_OPERATOR = re.compile(r"/\\|\\/|~|=>|&&|\|\||[-+*^&|!(]")


def refuse_deep_expressions(src: Source, piece: Piece) -> None:
    """A statement or condition with more than `MAX_OPERATORS` operators is refused with
    its location: the parsers and the engines walk expressions recursively, and no person
    writes one that long (a machine-written or hostile file can)."""
    start = 0
    for statement in piece.text.split(";"):
        ops = list(_OPERATOR.finditer(statement))
        if len(ops) > MAX_OPERATORS:
            raise src.error(
                f"expression too long (over {MAX_OPERATORS} operators in one statement or condition)",
                piece.offset + start + ops[MAX_OPERATORS].start(),
            )
        start += len(statement) + 1


def _keys_in_order(expr: Expr) -> list[str]:
    """Final-state keys of a condition in the order written (herd7 lists them so)."""
    if isinstance(expr, Var):
        return [expr.name]
    if isinstance(expr, BinOp):
        return _keys_in_order(expr.left) + _keys_in_order(expr.right)
    if isinstance(expr, UnOp):
        return _keys_in_order(expr.operand)
    return []
