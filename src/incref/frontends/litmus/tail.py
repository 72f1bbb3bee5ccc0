"""`locations`, `filter` and the final condition of a litmus file (grammar: `tail.lark`).

Keys come out in incref's final-state spelling: registers `T:reg` (herd7 also accepts
`PT:reg`), locations by name (`[x]` is `x`). Each architecture says how a register name is
spelt canonically (AArch64's `W0` and `X0` are one register), through `reg_name`.
The older `final P; with tso: ~exists; ...` form is read as `exists P`, as herd7's
conformance corpora do (the per-model expectations after `with` are not verdicts of ours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Callable

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, v_args

from incref.ir.program import BinOp, Condition, Const, Expr, UnOp, Var

from .source import Piece, Source


@dataclass
class Tail:
    observed: tuple[str, ...]  # herd7's `locations`, in order
    filter: Expr | None
    condition: Condition


@cache
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("tail.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True)


def parse_int(text: str) -> int:
    """A litmus integer: decimal (leading zeros allowed, `#02`), hex `0x..`, signed."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-")
    return sign * (int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 10))


def parse_tail(src: Source, piece: Piece, reg_name: Callable[[str], str]) -> Tail:
    try:
        tree = _parser().parse(piece.text)
    except UnexpectedInput as exc:
        raise _syntax_error(src, piece, exc) from None
    return _Build(src, piece, reg_name).transform(tree)


def _syntax_error(src: Source, piece: Piece, exc: UnexpectedInput):
    token = getattr(exc, "token", None)
    if (isinstance(exc, UnexpectedEOF) or getattr(exc, "pos_in_stream", None) in (None, -1)
            or getattr(token, "type", "") == "$END"):
        return src.error("condition ends too early (unbalanced parenthesis or missing operand?)",
                         piece.offset + len(piece.text.rstrip()))
    at = piece.offset + exc.pos_in_stream
    if isinstance(exc, UnexpectedCharacters):
        return src.error(f"unexpected character {piece.text[exc.pos_in_stream]!r} in the condition", at)
    return src.error(f"unexpected {str(token)!r} in the condition", at)


class _Build(Transformer):
    def __init__(self, src: Source, piece: Piece, reg_name: Callable[[str], str]):
        super().__init__()
        self.src, self.piece, self.reg_name = src, piece, reg_name

    def start(self, items):
        observed, filt, cond = (), None, items[-1]
        for item in items[:-1]:
            if isinstance(item, tuple):
                observed = item
            else:
                filt = item
        return Tail(observed, filt, cond)

    def locations(self, keys):
        return tuple(k.name for k in keys)

    def filter(self, items):
        return items[0]

    def _condition(self, quantifier: str, meta, prop: Expr, keyword: str) -> Condition:
        """The text herd7 prints after `Condition`: the quantifier and the proposition as
        written (whitespace folded; an old `final` form drops its `with` part)."""
        text = self.piece.text[meta.start_pos:meta.end_pos]
        text = re.sub(r"\bwith\b.*", "", text[text.index(keyword) + len(keyword):], flags=re.S)
        return Condition(quantifier, prop, f"{quantifier} {' '.join(text.split()).rstrip(';').rstrip()}")

    @v_args(meta=True)
    def exists(self, meta, items):
        return self._condition("exists", meta, items[0], "exists")

    @v_args(meta=True)
    def not_exists(self, meta, items):
        return self._condition("~exists", meta, items[0], "exists")

    @v_args(meta=True)
    def forall(self, meta, items):
        return self._condition("forall", meta, items[0], "forall")

    @v_args(meta=True)
    def final(self, meta, items):
        return self._condition("exists", meta, items[0], "final")

    def key(self, items):
        tok: Token = items[0]
        if tok.type == "REGKEY":
            tid, _, reg = tok.value.lstrip("P").partition(":")
            return Var(f"{int(tid)}:{self.reg_name(reg)}")
        return Var(tok.value)

    def value(self, items):
        tok: Token = items[0]
        if tok.type == "NAME":
            raise self.src.unsupported("address value in the condition", self.piece.offset + tok.start_pos)
        return Const(parse_int(tok.value))

    def equal(self, items):
        return BinOp("==", items[0], items[1])

    def not_equal(self, items):
        return BinOp("!=", items[0], items[1])

    def true(self, _):
        return Const(1)

    def false(self, _):
        return Const(0)

    def negation(self, items):
        return UnOp("!", items[0])

    def conj(self, items):
        return _fold("&&", items)

    def disj(self, items):
        return _fold("||", items)

    def implies(self, items):
        return BinOp("=>", items[0], items[1])


def _fold(op: str, items) -> Expr:
    out = items[0]
    for item in items[1:]:
        out = BinOp(op, out, item)
    return out
