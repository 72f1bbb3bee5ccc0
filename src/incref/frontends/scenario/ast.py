"""The scenario as written, before parameters are expanded.

Both front ends for refcount stories build this tree: the text format (`parser.py`, from
the Lark grammar) and the Python builder (`incref.frontends.builder`). One compiler
(`compiler.py`) turns it into IR, so the two front ends cannot drift apart.

Names are still unresolved here: whether `x` is a register, a parameter or a shared
location is decided by the compiler, which knows the declarations. Positions point into
the source for error messages; they take no part in equality, so a tree built by the
builder equals the tree parsed from the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


def _pos() -> Pos | None:
    return field(default=None, compare=False)


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Num:
    value: int
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Name:
    """`r`, `threads`, `x` or a field `obj.refcnt` (dotted)."""

    name: str
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class ThreadReg:
    """`0:r0` (herd7) or `owner:r` (a thread declared without copies): final conditions only."""

    thread: str
    reg: str
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Bin:
    """`op` is an IR operator (`incref.ir.program.BINARY_OPS`) or `=`, herd7's equality,
    which the compiler accepts in final conditions only."""

    op: str
    left: Expr
    right: Expr
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Un:
    op: str
    operand: Expr
    pos: Pos | None = _pos()


Expr = Num | Name | ThreadReg | Bin | Un


# --------------------------------------------------------------------------- statements
#
# `order` fields hold the spelling the user wrote (`"acq"`, `"acquire"`, or `None` for the
# default); the compiler validates and maps it.


@dataclass(frozen=True)
class LoadS:
    reg: str
    loc: str
    order: str | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class StoreS:
    loc: str
    value: Expr
    order: str | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class RmwS:
    """`op` is the format's spelling: fetch_add, fetch_sub, fetch_and, fetch_or, fetch_xor,
    exchange. `reg` is None when the old value is discarded."""

    reg: str | None
    op: str
    loc: str
    operand: Expr
    order: str | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class CasS:
    reg: str | None
    loc: str
    expected: Expr
    desired: Expr
    order: str | None = None
    fail_order: str | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class FenceS:
    order: str | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class LockS:
    mutex: str
    release: bool = False  # `unlock`
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class AssignS:
    reg: str
    value: Expr
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class IfS:
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class RepeatS:
    count: Expr
    body: tuple[Stmt, ...]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class WhileS:
    cond: Expr
    bound: Expr
    body: tuple[Stmt, ...]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class AwaitS:
    cond: Expr
    order: str | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class AssertS:
    cond: Expr
    pos: Pos | None = _pos()


OBJECT_OPS = ("incref", "decref", "use", "free")


@dataclass(frozen=True)
class ObjS:
    kind: str  # one of OBJECT_OPS
    obj: str
    pos: Pos | None = _pos()


Stmt = LoadS | StoreS | RmwS | CasS | FenceS | LockS | AssignS | IfS | RepeatS | WhileS | AwaitS | AssertS | ObjS


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class ParamD:
    name: str
    default: Expr
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class SharedD:
    """A shared location; `mutex m` is a shared location starting at 0 (free)."""

    name: str
    value: Expr
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class ObjectD:
    name: str
    count: Expr
    attrs: tuple[tuple[str, Expr], ...] = ()
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class ThreadD:
    """`copies` is None for a single thread (which conditions may then name), else the
    expression after `*`."""

    name: str
    body: tuple[Stmt, ...]
    copies: Expr | None = None
    pos: Pos | None = _pos()


QUANTIFIERS = {"exists": "exists", "not_exists": "~exists", "forall": "forall"}


@dataclass(frozen=True)
class ConditionD:
    quantifier: str  # exists, ~exists, forall
    cond: Expr
    pos: Pos | None = _pos()


Decl = ParamD | SharedD | ObjectD | ThreadD | ConditionD


@dataclass(frozen=True)
class Scenario:
    """A whole scenario. `file` and `lines` locate errors (a builder scenario has none)."""

    name: str
    decls: tuple[Decl, ...]
    description: str = ""
    file: str | None = field(default=None, compare=False)
    lines: tuple[str, ...] = field(default=(), compare=False)


# --------------------------------------------------------------------------- printing

_PRECEDENCE = {
    "=>": 1,
    "||": 2,
    "&&": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "=": 4,
    "|": 5,
    "^": 6,
    "&": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
}
_UNARY = 11


def to_text(expr: Expr, min_precedence: int = 0) -> str:
    """The expression in the format's syntax with only the parentheses it needs: the text
    of a condition or an assert, identical whichever front end built the tree."""
    if isinstance(expr, Num):
        return str(expr.value)
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, ThreadReg):
        return f"{expr.thread}:{expr.reg}"
    if isinstance(expr, Un):
        text, precedence = f"{expr.op}{to_text(expr.operand, _UNARY)}", _UNARY
    else:
        precedence = _PRECEDENCE[expr.op]
        right_assoc = expr.op == "=>"
        non_assoc = precedence == _PRECEDENCE["=="]
        left = to_text(expr.left, precedence + (right_assoc or non_assoc))
        right = to_text(expr.right, precedence + (not right_assoc))
        text = f"{left} {expr.op} {right}"
    return f"({text})" if precedence < min_precedence else text
