"""`locations`, `filter` and the final condition of a litmus file (grammar: `tail.lark`).

Keys come out in incref's final-state spelling: registers `T:reg` (herd7 also accepts
`PT:reg`), locations by name (`[x]` is `x`). Each architecture says how a register name is
spelt canonically (AArch64's `W0` and `X0` are one register), through `reg_name`.
The older `final P; with tso: ~exists; ...` form is read as `exists P`, as herd7's
conformance corpora do (the per-model expectations after `with` are not verdicts of ours).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from incref.ir.program import BinOp, Condition, Const, Expr, UnOp, Var

from .source import Piece, Source


@dataclass
class Tail:
    observed: tuple[str, ...]  # herd7's `locations`, in order
    filter: Expr | None
    condition: Condition


@cache
def _parser(reg_name: Callable[[str], str]) -> Lark:
    """One LALR parser per register spelling, building the IR as it parses (no tree):
    the tail is most of a litmus file's tokens, so this is the front end's hot path."""
    grammar = resources.files(__package__).joinpath("tail.lark").read_text()
    return Lark(grammar, parser="lalr", lexer="basic", transformer=_Build(reg_name))


class _AddressValue(Exception):
    """A location name used as a value (`0:X1=x`), at `pos` in the tail."""

    def __init__(self, pos: int):
        super().__init__(pos)
        self.pos = pos


def parse_int(text: str) -> int:
    """A litmus integer: decimal (leading zeros allowed, `#02`), hex `0x..`, signed."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-")
    return sign * (int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 10))


def parse_tail(src: Source, piece: Piece, reg_name: Callable[[str], str]) -> Tail:
    try:
        tail = _parser(reg_name).parse(piece.text)
    except UnexpectedInput as exc:
        raise _syntax_error(src, piece, exc) from None
    except _AddressValue as exc:
        raise src.unsupported("address value in the condition", piece.offset + exc.pos) from None
    cond = tail.condition
    tail.condition = Condition(cond.quantifier, cond.prop, _condition_text(cond.quantifier, piece.text))
    return tail


_QUANTIFIER = re.compile(r"(?<![\w~])(~\s*exists|exists|forall|final)\b")


def _condition_text(quantifier: str, tail: str) -> str:
    """What herd7 prints after `Condition`: the quantifier and the proposition as written
    (whitespace folded; an old `final` form drops its `with` part)."""
    m = _QUANTIFIER.search(tail)
    body = re.sub(r"\bwith\b.*", "", tail[m.end() :], flags=re.S) if m else ""
    return f"{quantifier} {' '.join(body.split()).rstrip(';').rstrip()}"


def _syntax_error(src: Source, piece: Piece, exc: UnexpectedInput):
    token = getattr(exc, "token", None)
    if (
        isinstance(exc, UnexpectedEOF)
        or getattr(exc, "pos_in_stream", None) in (None, -1)
        or getattr(token, "type", "") == "$END"
    ):
        return src.error(
            "condition ends too early (unbalanced parenthesis or missing operand?)",
            piece.offset + len(piece.text.rstrip()),
        )
    at = piece.offset + exc.pos_in_stream
    if isinstance(exc, UnexpectedCharacters):
        return src.error(f"unexpected character {piece.text[exc.pos_in_stream]!r} in the condition", at)
    return src.error(f"unexpected {str(token)!r} in the condition", at)


class _Build(Transformer):
    def __init__(self, reg_name: Callable[[str], str]):
        super().__init__()
        self.reg_name = reg_name

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

    def exists(self, items):
        return Condition("exists", items[0], "exists")

    def not_exists(self, items):
        return Condition("~exists", items[0], "~exists")

    def forall(self, items):
        return Condition("forall", items[0], "forall")

    def final(self, items):
        return Condition("exists", items[0], "exists")

    def key(self, items):
        tok: Token = items[0]
        if tok.type == "REGKEY":
            tid, _, reg = tok.value.lstrip("P").partition(":")
            return Var(f"{int(tid)}:{self.reg_name(reg)}")
        return Var(tok.value)

    def value(self, items):
        tok: Token = items[0]
        if tok.type == "NAME":
            raise _AddressValue(tok.start_pos)
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
