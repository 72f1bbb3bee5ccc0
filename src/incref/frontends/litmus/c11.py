"""C litmus tests (herd7's C dialect) as IR (grammar: `c11.lark`).

A thread is a function `Pn(atomic_int* x, int* y, ...)`; its pointer parameters name the
shared locations of the same name. Accesses through the `atomic_*` functions carry their
`memory_order_*` argument (the forms without `_explicit` are `seq_cst`, ISO C11 7.17.7);
a plain `*y` is a non-atomic access (`Order.NA`), whatever the parameter's declared type,
which is how herd7 reads it; RC11 (Lahav et al., PLDI 2017) gives a race on such an
access undefined behaviour. `memory_order_consume` is read as acquire, as compilers do.

Locals (`int r0 = ...`) are registers named as in the source (`0:r0` in conditions).
`atomic_compare_exchange_strong(p, e, v)` reads the expected value from `*e` (or from a
local given as `&r`), and on failure writes the value it saw back there (C11 7.17.7.4).
Loops (`while`) are not modelled: such a test is `unsupported: while loop`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from lark import Lark, Token, Tree, UnexpectedInput

from incref.ir.program import (
    Assign,
    BinOp,
    Branch,
    Cas,
    Const,
    Expr,
    Fence,
    Instr,
    IRError,
    Label,
    Load,
    Order,
    Reg,
    Rmw,
    Store,
    Thread,
    UnOp,
    link,
)

from .source import Piece, Source
from .tail import parse_int

ARCH = "C"

ORDERS = {
    "memory_order_relaxed": Order.RLX,
    "memory_order_consume": Order.ACQ,
    "memory_order_acquire": Order.ACQ,
    "memory_order_release": Order.REL,
    "memory_order_acq_rel": Order.ACQ_REL,
    "memory_order_seq_cst": Order.SC,
}
FETCH_OPS = {"add": "add", "sub": "sub", "and": "and", "or": "or", "xor": "xor"}
_CALL = re.compile(
    r"^atomic_(load|store|exchange|fetch_(add|sub|and|or|xor)|compare_exchange_strong"
    r"|thread_fence)(_explicit)?$"
)
# (value arguments, order arguments) of each call, `_explicit` form
_ARITY = {
    "load": (1, 1),
    "store": (2, 1),
    "exchange": (2, 1),
    "fetch": (2, 1),
    "compare_exchange_strong": (3, 2),
    "thread_fence": (0, 1),
}
_BINARY = {
    "*": "*",
    "+": "+",
    "-": "-",
    "<<": "<<",
    ">>": ">>",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_FOLDED = {"lor": "||", "land": "&&", "bor": "|", "bxor": "^", "band": "&"}


def reg_name(name: str) -> str:
    return name


@cache
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("c11.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True)


def translate(src: Source, piece: Piece) -> tuple[list[Thread], set[str]]:
    try:
        tree = _parser().parse(piece.text)
    except UnexpectedInput as exc:
        at = getattr(exc, "pos_in_stream", None)
        at = len(piece.text.rstrip()) if at in (None, -1) else at
        token = getattr(exc, "token", None)
        at_end = token is None or token.type == "$END"
        what = "end of the code" if at_end else repr(str(token) or piece.text[at : at + 1])
        raise src.error(f"C syntax error: unexpected {what}", piece.offset + at) from None
    threads, named = [], set()
    for tid, node in enumerate(tree.children):
        name = str(node.children[0])
        if name != f"P{tid}":
            raise src.error(f"expected thread function 'P{tid}', got {name!r}", piece.offset + node.meta.start_pos)
        builder = _ThreadBuilder(src, piece, tid, node)
        threads.append(builder.build())
        named |= builder.named
    return threads, named


class _ThreadBuilder:
    def __init__(self, src: Source, piece: Piece, tid: int, node: Tree):
        self.src, self.piece, self.tid, self.node = src, piece, tid, node
        self.params: set[str] = set()
        self.locals: set[str] = set()
        self.named: set[str] = set()
        self.code: list[Instr] = []
        self.fresh = 0

    def build(self) -> Thread:
        for param in self.node.children[1:-1]:
            if param is None:
                continue
            if param.data == "value_param":
                raise self.unsupported("thread parameter that is not a pointer", param)
            self.params.add(str(param.children[-1]))
        self.block(self.node.children[-1])
        try:
            return Thread(self.tid, link(self.code))
        except IRError as exc:  # pragma: no cover - labels are generated uniquely
            raise self.error(str(exc), self.node) from None

    # ---- helpers

    def at(self, node) -> int:
        if isinstance(node, Token):
            return self.piece.offset + node.start_pos
        return self.piece.offset + node.meta.start_pos

    def error(self, message: str, node):
        return self.src.error(message, self.at(node))

    def unsupported(self, feature: str, node):
        return self.src.unsupported(feature, self.at(node))

    def temp(self) -> str:
        self.fresh += 1
        return f"__t{self.fresh}"

    def label(self) -> str:
        self.fresh += 1
        return f"__L{self.fresh}"

    def emit(self, *instrs: Instr) -> None:
        self.code.extend(instrs)

    def address(self, node) -> tuple[str, Expr | None]:
        """A pointer argument with an optional index: `x`, `&x`, or `y+r0` (element r0 of
        the array `y`, the IR's `index`)."""
        if isinstance(node, Tree) and node.data == "binary" and str(node.children[1]) == "+":
            loc = self.location(node.children[0])
            return loc, self.pure(node.children[2])
        return self.location(node), None

    def location(self, node) -> str:
        """A pointer argument: a parameter name, or `&x` of one."""
        if isinstance(node, Tree) and node.data in ("name", "address_of"):
            name = str(node.children[0])
            if name in self.params:
                self.named.add(name)
                return name
            if name in self.locals:
                raise self.unsupported("pointer held in a local variable", node)
        raise self.error("expected a pointer parameter of the thread", node)

    def order(self, node) -> Order:
        if isinstance(node, Tree) and node.data == "name" and str(node.children[0]) in ORDERS:
            return ORDERS[str(node.children[0])]
        raise self.error("expected a memory_order_* constant", node)

    # ---- statements

    def block(self, node: Tree) -> None:
        for stmt in node.children:
            self.stmt(stmt)

    def stmt(self, node: Tree) -> None:
        kind = node.data
        if kind == "block":
            self.block(node)
        elif kind == "decl":
            _, name, value = node.children
            self.locals.add(str(name))
            self.expr(value if value is not None else Tree("number", [Token("INT", "0")]), dest=str(name))
        elif kind == "assign":
            target, value = node.children
            name = str(target.children[0])
            if target.data == "local":
                if name not in self.locals:
                    raise self.error(f"assignment to undeclared variable {name!r}", target)
                self.expr(value, dest=name)
            else:
                loc = self.location(Tree("name", [target.children[0]], target.meta))
                self.emit(Store(loc, self.expr(value), Order.NA, origin=f"*{loc} = ..."))
        elif kind == "expr_stmt":
            self.expr(node.children[0], dest=None)
        elif kind == "if_stmt":
            cond, then, other = node.children
            test = self.expr(cond)
            skip, end = self.label(), self.label()
            self.emit(Branch(UnOp("!", test), skip, origin="if"))
            self.stmt(then)
            if other is not None:
                self.emit(Branch(Const(1), end, origin="else"))
            self.emit(Label(skip))
            if other is not None:
                self.stmt(other)
                self.emit(Label(end))
        elif kind == "while_stmt":
            raise self.unsupported("while loop", node)
        elif kind != "empty":  # pragma: no cover - the grammar has no other statement
            raise self.error(f"unexpected statement {kind}", node)

    # ---- expressions

    def expr(self, node, dest: str | None = "") -> Expr:
        """The value of `node`; side effects (loads, calls) are emitted first, left to
        right. With `dest`, the value ends in that register (a load goes straight there);
        `dest=None` discards it."""
        if isinstance(node, Tree) and node.data in ("call", "deref_expr"):
            reg = dest if dest else (None if dest is None else self.temp())
            if node.data == "call":
                self.call(node, reg)
            else:
                loc = self.location(node.children[0])
                self.emit(Load(reg or self.temp(), loc, Order.NA, origin=f"*{loc}"))
            return Reg(reg) if reg else Const(0)
        value = self.pure(node)
        if dest:
            self.emit(Assign(dest, value, origin=dest))
        return value

    def pure(self, node) -> Expr:
        kind = node.data
        if kind == "number":
            return Const(parse_int(str(node.children[0]).rstrip("uUlL")))
        if kind == "name":
            name = str(node.children[0])
            if name in self.locals:
                return Reg(name)
            if name in self.params:
                raise self.unsupported("pointer used as a value", node)
            raise self.error(f"undeclared variable {name!r}", node)
        if kind in ("call", "deref_expr"):
            return self.expr(node)
        if kind == "not_":
            return UnOp("!", self.pure(node.children[0]))
        if kind == "neg":
            return UnOp("-", self.pure(node.children[0]))
        if kind == "cast":
            return self.pure(node.children[1])
        if kind == "address_of":
            raise self.unsupported("address taken outside an atomic call", node)
        if kind in _FOLDED:
            return self.fold(node, _FOLDED[kind])
        if kind == "binary":
            out = self.pure(node.children[0])
            for op, operand in zip(node.children[1::2], node.children[2::2]):
                if str(op) not in _BINARY:
                    raise self.unsupported(f"operator {op}", op)
                out = BinOp(_BINARY[str(op)], out, self.pure(operand))
            return out
        raise self.error(f"unexpected expression {kind}", node)  # pragma: no cover

    def fold(self, node: Tree, op: str) -> Expr:
        out = self.pure(node.children[0])
        for operand in node.children[1:]:
            before = len(self.code)
            right = self.pure(operand)
            if op in ("&&", "||") and len(self.code) != before:
                raise self.unsupported(f"memory access on the right of {op}", operand)
            out = BinOp(op, out, right)
        return out

    def call(self, node: Tree, reg: str | None) -> None:
        name = str(node.children[0])
        args = [a for a in node.children[1:] if a is not None]
        m = _CALL.match(name)
        if m is None:
            if name.startswith("atomic_") or name in ("READ_ONCE", "WRITE_ONCE", "smp_mb", "spin_lock"):
                raise self.unsupported(f"C function {name}", node)
            raise self.error(f"unknown function {name!r}", node)
        op = m.group(1)
        values, orders = _ARITY["fetch" if op.startswith("fetch") else op]
        explicit = m.group(3) is not None or op == "thread_fence"
        if len(args) != values + (orders if explicit else 0):
            raise self.error(f"{name} takes {values + (orders if explicit else 0)} arguments", node)
        mos = [self.order(a) for a in args[values:]] if explicit else [Order.SC] * orders
        origin = name
        if op == "thread_fence":
            self.emit(Fence(mos[0], origin=origin))
            return
        loc, index = self.address(args[0])
        if op == "load":
            self.emit(Load(reg or self.temp(), loc, mos[0], index, origin=origin))
        elif op == "store":
            self.emit(Store(loc, self.pure(args[1]), mos[0], index, origin=origin))
        elif op == "exchange":
            self.emit(Rmw(reg, loc, "xchg", self.pure(args[1]), mos[0], index, origin=origin))
        elif op.startswith("fetch"):
            self.emit(Rmw(reg, loc, FETCH_OPS[m.group(2)], self.pure(args[1]), mos[0], index, origin=origin))
        elif index is None:
            self.compare_exchange(args, loc, mos, reg, origin)
        else:
            raise self.unsupported("compare-exchange on an array element", args[0])

    def compare_exchange(self, args, loc: str, mos: list[Order], reg: str | None, origin: str) -> None:
        """`reg` gets 1 on success, 0 on failure; on failure the value seen goes to the
        expected object (C11 7.17.7.4 paragraph 2)."""
        expected_node, desired = args[1], self.pure(args[2])
        local = (
            isinstance(expected_node, Tree)
            and expected_node.data == "address_of"
            and str(expected_node.children[0]) in self.locals
        )
        old = self.temp()
        if local:
            expected: Expr = Reg(str(expected_node.children[0]))
        else:
            where = self.location(expected_node)
            seen = self.temp()
            self.emit(Load(seen, where, Order.NA, origin=origin))
            expected = Reg(seen)
        self.emit(Cas(old, loc, expected, desired, mos[0], mos[1], origin=origin))
        flag = reg or self.temp()
        done = self.label()
        self.emit(Assign(flag, BinOp("==", Reg(old), expected), origin=origin), Branch(Reg(flag), done, origin=origin))
        if local:
            self.emit(Assign(str(expected_node.children[0]), Reg(old), origin=origin))
        else:
            self.emit(Store(where, Reg(old), Order.NA, origin=origin))
        self.emit(Label(done))
