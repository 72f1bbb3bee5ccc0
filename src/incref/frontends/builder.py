"""The Python builder: a refcount story written in code instead of a `.inc` file.

    s = incref.Scenario("incref-race", "Two threads incref one object")
    s.param("threads", 2)
    s.object("obj", 1)
    with s.thread("worker", copies="threads") as t:
        t.incref("obj")
    s.forall("obj.refcnt == 1 + threads")
    result = incref.check(s, model="tso", scheme="plain")

Each call appends a node of the scenario tree (`incref.frontends.scenario.ast`) and
`build` runs the same compiler as the text format, so a story gives the same `Program`
whichever way it is written. Values and conditions are integers or expressions in the
format's syntax (`"r + 1"`, `"0:r0 == 0 && 1:r0 == 0"`), parsed by the format's grammar;
nothing is evaluated as Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from functools import partialmethod

from incref.errors import UsageError
from incref.frontends.scenario import ast
from incref.frontends.scenario.compiler import compile_scenario
from incref.frontends.scenario.parser import parse_expr
from incref.frontends.scenario.printer import format_scenario
from incref.ir.program import Program

Value = int | str


def _expr(value: Value, what: str) -> ast.Expr:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UsageError(f"{what}: expected an integer or an expression string, got {value!r}")
    return ast.Num(value) if isinstance(value, int) else parse_expr(value, what)


class Scenario:
    """A scenario under construction; `build(params)` gives its scenario-level `Program`."""

    def __init__(self, name: str = "scenario", description: str = ""):
        self.name = name
        self.description = description
        self._decls: list[ast.Decl] = []

    def param(self, name: str, default: Value) -> Scenario:
        """A parameter with a default, overridable at `build` (`--set` on the CLI)."""
        self._decls.append(ast.ParamD(name, _expr(default, f"param {name}")))
        return self

    def shared(self, name: str, value: Value = 0) -> Scenario:
        self._decls.append(ast.SharedD(name, _expr(value, f"shared {name}")))
        return self

    def mutex(self, name: str) -> Scenario:
        """A lock word for `lock`/`unlock` (a shared location starting free, 0)."""
        return self.shared(name, 0)

    def object(self, name: str, count: Value = 1, **attrs: Value) -> Scenario:
        """A refcounted object with fields `<name>.refcnt`, `.payload`, `.freed`; `attrs`
        are scheme inputs such as `owner=0` or `immortal=1`."""
        pairs = tuple((key, _expr(value, f"object {name} {key}")) for key, value in attrs.items())
        self._decls.append(ast.ObjectD(name, _expr(count, f"object {name}"), pairs))
        return self

    @contextmanager
    def thread(self, name: str, copies: Value | None = None) -> Iterator[ThreadBuilder]:
        """`with s.thread("worker", copies="threads") as t:` then statements on `t`."""
        builder = ThreadBuilder()
        yield builder
        count = None if copies is None else _expr(copies, f"thread {name} copies")
        self._decls.append(ast.ThreadD(name, builder.body(), count))

    def _condition(self, quantifier: str, prop: str) -> Scenario:
        self._decls.append(ast.ConditionD(quantifier, _expr(prop, quantifier)))
        return self

    exists = partialmethod(_condition, "exists")
    not_exists = partialmethod(_condition, "~exists")
    forall = partialmethod(_condition, "forall")

    def tree(self) -> ast.Scenario:
        return ast.Scenario(self.name, tuple(self._decls), self.description)

    def to_text(self) -> str:
        """The scenario as `.inc` text, for a file that `incref check` can run."""
        return format_scenario(self.tree())

    def build(self, params: Mapping[str, int] | None = None, **overrides: int) -> Program:
        """The scenario-level `Program`, parameters set from `params` and `overrides`."""
        return compile_scenario(self.tree(), {**(params or {}), **overrides})


class ThreadBuilder:
    """Statements of one thread, in program order. Orders are the format's spellings
    (`"acq"`, `"release"`, ...); `None` is the format's default."""

    def __init__(self) -> None:
        self._blocks: list[list[ast.Stmt]] = [[]]

    def body(self) -> tuple[ast.Stmt, ...]:
        if len(self._blocks) != 1:
            raise UsageError("a block (if_, repeat, while_) is still open")
        return tuple(self._blocks[0])

    def _add(self, stmt: ast.Stmt) -> ThreadBuilder:
        self._blocks[-1].append(stmt)
        return self

    def load(self, reg: str, loc: str, order: str | None = None) -> ThreadBuilder:
        return self._add(ast.LoadS(reg, loc, order))

    def store(self, loc: str, value: Value, order: str | None = None) -> ThreadBuilder:
        return self._add(ast.StoreS(loc, _expr(value, f"store {loc}"), order))

    def rmw(self, op: str, loc: str, operand: Value, reg: str | None = None, order: str | None = None) -> ThreadBuilder:
        """`reg = op.order loc, operand`; `op` is fetch_add, fetch_sub, fetch_and,
        fetch_or, fetch_xor or exchange."""
        return self._add(ast.RmwS(reg, op, loc, _expr(operand, f"{op} {loc}"), order))

    fetch_add = partialmethod(rmw, "fetch_add")
    fetch_sub = partialmethod(rmw, "fetch_sub")
    exchange = partialmethod(rmw, "exchange")

    def cas(
        self,
        loc: str,
        expected: Value,
        desired: Value,
        reg: str | None = None,
        order: str | None = None,
        fail_order: str | None = None,
    ) -> ThreadBuilder:
        if fail_order is not None and order is None:
            raise UsageError("cas: a fail_order needs the success order too (cas.SUCCESS.FAILURE)")
        return self._add(
            ast.CasS(reg, loc, _expr(expected, f"cas {loc}"), _expr(desired, f"cas {loc}"), order, fail_order)
        )

    def fence(self, order: str | None = None) -> ThreadBuilder:
        return self._add(ast.FenceS(order))

    def lock(self, mutex: str) -> ThreadBuilder:
        return self._add(ast.LockS(mutex, False))

    def unlock(self, mutex: str) -> ThreadBuilder:
        return self._add(ast.LockS(mutex, True))

    def assign(self, reg: str, value: Value) -> ThreadBuilder:
        return self._add(ast.AssignS(reg, _expr(value, f"{reg} =")))

    def await_(self, cond: str, order: str | None = None) -> ThreadBuilder:
        return self._add(ast.AwaitS(_expr(cond, "await"), order))

    def assert_(self, cond: str) -> ThreadBuilder:
        return self._add(ast.AssertS(_expr(cond, "assert")))

    def _object_op(self, kind: str, obj: str) -> ThreadBuilder:
        return self._add(ast.ObjS(kind, obj))

    incref = partialmethod(_object_op, "incref")
    decref = partialmethod(_object_op, "decref")
    use = partialmethod(_object_op, "use")
    free = partialmethod(_object_op, "free")

    @contextmanager
    def _nested(self, make: Callable[[tuple[ast.Stmt, ...]], ast.Stmt]) -> Iterator[ThreadBuilder]:
        self._blocks.append([])
        yield self
        self._add(make(tuple(self._blocks.pop())))

    def if_(self, cond: str):
        """`with t.if_("r == 1"):` ... optionally followed by `with t.else_():`."""
        cond_expr = _expr(cond, "if")
        return self._nested(lambda body: ast.IfS(cond_expr, body))

    def else_(self):
        block = self._blocks[-1]
        if not block or not isinstance(block[-1], ast.IfS) or block[-1].orelse:
            raise UsageError("else_() must come right after an if_() block")
        branch = block.pop()
        return self._nested(lambda body: replace(branch, orelse=body))

    def repeat(self, count: Value):
        count_expr = _expr(count, "repeat")
        return self._nested(lambda body: ast.RepeatS(count_expr, body))

    def while_(self, cond: str, max: Value):  # noqa: A002 - the format's keyword
        cond_expr, bound = _expr(cond, "while"), _expr(max, "while max")
        return self._nested(lambda body: ast.WhileS(cond_expr, bound, body))
