"""The scenario tree (`ast.py`) to a scenario-level IR `Program`.

Both the text format and the Python builder end here. Parameters are fixed first (defaults,
then `--set` overrides); every count (thread copies, `repeat`, `while ... max`, initial
values) is then a constant folded from parameters, and loops are unrolled, so the program
an engine sees is finite and loop-free except for the explicit bounds:

* `repeat N { }` is N copies of its body;
* `while C max K { }` is K guarded copies of its body followed by a `LoopBound`, which an
  engine reaches only when K iterations were not enough (its verdict is then at best
  `incomplete`, never `safe`);
* a `while` whose body only reloads registers is a spin loop and compiles like `await`;
* `await C` is a side-effect-free spin loop and compiles to loads of the locations C reads
  and one `Assume(C)`: only the iteration that succeeds matters, which is the
  spin-assume transformation of GenMC (Kokologiannakis, Ren, Vafeiadis, "Dynamic Partial
  Order Reductions for Spinloops", FMCAD 2021), so waiting never makes an exploration
  infinite.

Names are resolved here: in thread code a name is a parameter (folded to its value) or a
register assigned earlier in that thread; shared locations are read only by `load`, the
read-modify-writes and `await`. The final condition reads locations and `T:reg`
registers. Nothing is evaluated as Python: constants are folded with the IR's own
operator table.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from incref import budget
from incref.errors import InputError, UsageError
from incref.frontends.scenario import ast
from incref.ir.program import (
    BINARY_OPS,
    UNARY_OPS,
    Assert,
    Assign,
    Assume,
    BinOp,
    Branch,
    Cas,
    Condition,
    Const,
    Decref,
    Expr,
    Fence,
    Incref,
    Instr,
    Label,
    Load,
    Lock,
    LoopBound,
    ObjectInfo,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    Unlock,
    UnOp,
    Var,
    default_object,
    free_code,
    link,
    reg_key,
    use_code,
)

MAX_THREADS = 64
MAX_INSTRUCTIONS = 20_000
"""After unrolling, per scenario. Exhaustive checking is exponential in the length of the
threads, so a scenario past this size could never be explored anyway."""

ORDERS = {
    "na": Order.NA,
    "rlx": Order.RLX,
    "relaxed": Order.RLX,
    "acq": Order.ACQ,
    "acquire": Order.ACQ,
    "rel": Order.REL,
    "release": Order.REL,
    "acq_rel": Order.ACQ_REL,
    "sc": Order.SC,
    "seq_cst": Order.SC,
}

RMW_OPS = {
    "fetch_add": "add",
    "fetch_sub": "sub",
    "fetch_and": "and",
    "fetch_or": "or",
    "fetch_xor": "xor",
    "exchange": "xchg",
}

# C11 7.17.7: a load may not release, a store may not acquire; a fence has no `relaxed` or
# non-atomic form; a read-modify-write is atomic by definition.
_FORBIDDEN_ORDERS = {
    "load": {Order.REL, Order.ACQ_REL},
    "store": {Order.ACQ, Order.ACQ_REL},
    "fence": {Order.NA, Order.RLX},
    "read-modify-write": {Order.NA},
    "failed compare-and-swap": {Order.NA, Order.REL, Order.ACQ_REL},
}

# C11 7.17.7.4: the order of a failed compare-and-swap when only the success order is given.
_CAS_FAIL_DEFAULT = {Order.ACQ_REL: Order.ACQ, Order.REL: Order.RLX}

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}

_INT64 = 2**63
# constants fold exactly, so that a constant which overflows is refused where it is written
# (the IR's own operators wrap to 64 bits, as the running program does)
_EXACT_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "<<": operator.lshift, ("un", "-"): operator.neg}


def compile_scenario(scenario: ast.Scenario, params: Mapping[str, int] | None = None) -> Program:
    """A scenario-level `Program`; `params` overrides parameter defaults (`--set`)."""
    return _Compiler(scenario).program(dict(params or {}))


@dataclass
class _ThreadState:
    tid: int
    assigned: set[str] = field(default_factory=set)
    fresh: int = 0

    def new(self, hint: str) -> str:
        self.fresh += 1
        return f"__{hint}{self.fresh}"


class _Compiler:
    def __init__(self, scenario: ast.Scenario):
        self.scenario = scenario
        self.params: dict[str, int] = {}
        self.locations: dict[str, int] = {}
        self.shared: set[str] = set()
        self.objects: dict[str, ObjectInfo] = {}
        self.declared: dict[str, str] = {}  # name -> what it is, for clash messages
        self.threads: list[Thread] = []
        self.registers: dict[int, set[str]] = {}
        self.single: dict[str, int] = {}  # threads declared without copies: name -> tid
        self.size = 0

    # ---- errors

    def error(self, message: str, pos: ast.Pos | None) -> InputError:
        lines = self.scenario.lines
        file = self.scenario.file or f"<scenario {self.scenario.name}>"
        if pos is None or self.scenario.file is None:  # a builder scenario has no text to point into
            return InputError(message, file)
        source = lines[pos.line - 1] if 0 < pos.line <= len(lines) else None
        return InputError(message, file, pos.line, pos.column, source)

    # ---- the whole scenario

    def program(self, overrides: dict[str, int]) -> Program:
        decls = self.scenario.decls
        self._params([d for d in decls if isinstance(d, ast.ParamD)], overrides)
        for decl in decls:
            if isinstance(decl, ast.SharedD):
                self._shared(decl)
            elif isinstance(decl, ast.ObjectD):
                self._object(decl)
        for decl in decls:
            if isinstance(decl, ast.ThreadD):
                self._thread(decl)
        if not self.threads:
            raise self.error("no thread: a scenario needs at least one `thread name { ... }`", None)
        conditions = [d for d in decls if isinstance(d, ast.ConditionD)]
        if len(conditions) > 1:
            raise self.error("a scenario has at most one final condition", conditions[1].pos)
        meta: dict[str, object] = {"params": dict(self.params), "description": self.scenario.description}
        if self.scenario.file:
            meta["file"] = self.scenario.file
        return Program(
            name=self.scenario.name,
            locations=dict(self.locations),
            threads=tuple(self.threads),
            objects=dict(self.objects),
            condition=self._condition(conditions[0]) if conditions else None,
            meta=meta,
        )

    def _declare(self, name: str, what: str, pos: ast.Pos | None) -> None:
        if name in self.declared:
            raise self.error(f"{name!r} is already declared as a {self.declared[name]}", pos)
        self.declared[name] = what

    def _params(self, decls: list[ast.ParamD], overrides: dict[str, int]) -> None:
        known = [d.name for d in decls]
        for name, value in overrides.items():
            if name not in known:
                have = f"its parameters: {', '.join(known)}" if known else "it has none"
                raise UsageError(f"--set {name}: scenario {self.scenario.name!r} has no parameter {name!r} ({have})")
            if type(value) is not int or not -_INT64 <= value < _INT64:
                raise UsageError(f"--set {name}: {value!r} is not a 64-bit integer")
        for decl in decls:
            self._declare(decl.name, "parameter", decl.pos)
            default = self.constant(decl.default, f"the default of parameter {decl.name!r}")
            self.params[decl.name] = overrides.get(decl.name, default)

    def _shared(self, decl: ast.SharedD) -> None:
        self._declare(decl.name, "shared location", decl.pos)
        self.locations[decl.name] = self.constant(decl.value, f"the initial value of {decl.name!r}")
        self.shared.add(decl.name)

    def _object(self, decl: ast.ObjectD) -> None:
        self._declare(decl.name, "object", decl.pos)
        count = self.count(decl.count, f"the initial count of object {decl.name!r}")
        attrs: dict[str, int] = {}
        for key, value in decl.attrs:
            if key in attrs:
                raise self.error(f"attribute {key!r} of object {decl.name!r} given twice", decl.pos)
            attrs[key] = self.constant(value, f"attribute {key!r} of object {decl.name!r}")
        info, fields = default_object(decl.name, count, **attrs)
        self.objects[decl.name] = info
        self.locations.update(fields)

    def _thread(self, decl: ast.ThreadD) -> None:
        copies = 1 if decl.copies is None else self.count(decl.copies, f"the number of copies of thread {decl.name!r}")
        if len(self.threads) + copies > MAX_THREADS:
            raise self.error(f"more than {MAX_THREADS} threads; exhaustive checking is for a handful", decl.pos)
        if decl.copies is None:
            if decl.name in self.single:
                raise self.error(f"thread {decl.name!r} is declared twice", decl.pos)
            self.single[decl.name] = len(self.threads)
        for copy in range(copies):
            state = _ThreadState(len(self.threads))
            code = link(self._block(decl.body, state))
            name = decl.name if decl.copies is None else f"{decl.name}.{copy}"
            self.threads.append(Thread(state.tid, code, name))
            self.registers[state.tid] = {r for r in state.assigned if not r.startswith("__")}

    # ---- constants

    def constant(self, expr: ast.Expr, what: str) -> int:
        """An expression over parameters only, folded to an integer."""

        def params_only(node):
            if isinstance(node, ast.Name) and node.name in self.params:
                return Const(self.params[node.name])
            shown = ast.to_text(node)
            raise self.error(f"{what} must be a constant: {shown!r} is not a parameter declared above", node.pos)

        value = self.lower(expr, params_only)
        assert isinstance(value, Const)
        return value.value

    def count(self, expr: ast.Expr, what: str) -> int:
        """A constant that counts something, hence not negative."""
        value = self.constant(expr, what)
        if value < 0:
            raise self.error(f"{what} is {value} ({ast.to_text(expr)}); a count cannot be negative", expr.pos)
        return value

    # ---- expressions

    def lower(self, expr: ast.Expr, resolve: Callable[[ast.Expr], Expr], herd_eq: bool = False) -> Expr:
        """IR expression with constants folded; `resolve` gives names their meaning."""
        if isinstance(expr, ast.Num):
            return Const(expr.value)
        if isinstance(expr, (ast.Name, ast.ThreadReg)):
            return resolve(expr)
        if isinstance(expr, ast.Un):
            operand = self.lower(expr.operand, resolve, herd_eq)
            if isinstance(operand, Const):
                return self._fold(_EXACT_OPS.get(("un", expr.op), UNARY_OPS[expr.op]), (operand.value,), expr)
            return UnOp(expr.op, operand)
        op = expr.op
        if op == "=":
            if not herd_eq:
                raise self.error("'=' compares only in the final condition; write '=='", expr.pos)
            op = "=="
        left = self.lower(expr.left, resolve, herd_eq)
        right = self.lower(expr.right, resolve, herd_eq)
        if isinstance(left, Const) and isinstance(right, Const):
            if op in ("<<", ">>") and not 0 <= right.value < 64:
                raise self.error(f"shift by {right.value}; shifts take 0 to 63", expr.pos)
            return self._fold(_EXACT_OPS.get(op, BINARY_OPS[op]), (left.value, right.value), expr)
        return BinOp(op, left, right)

    def _fold(self, function, args, expr: ast.Expr) -> Const:
        value = function(*args)
        if not -_INT64 <= value < _INT64:
            raise self.error(f"{ast.to_text(expr)} overflows 64 bits", expr.pos)
        return Const(value)

    def _in_thread(self, state: _ThreadState) -> Callable[[ast.Expr], Expr]:
        """Names in thread code: parameters and this thread's registers."""

        def resolve(node):
            if isinstance(node, ast.ThreadReg):
                raise self.error(
                    f"{node.thread}:{node.reg} names a register of a thread; only the final condition can", node.pos
                )
            if node.name in self.params:
                return Const(self.params[node.name])
            if node.name in state.assigned:
                return Reg(node.name)
            if node.name in self.locations:
                raise self.error(
                    f"{node.name!r} is a shared location; read it into a register first (r = load {node.name})",
                    node.pos,
                )
            raise self.error(f"undefined register or parameter {node.name!r}", node.pos)

        return resolve

    # ---- statements

    def _block(self, stmts, state: _ThreadState) -> list[Instr]:
        out: list[Instr] = []
        for stmt in stmts:
            budget.check("compiling the scenario")
            code = self._stmt(stmt, state)
            self.size += sum(not isinstance(i, Label) for i in code)
            if self.size > MAX_INSTRUCTIONS:
                raise self.error(
                    f"the scenario unrolls to more than {MAX_INSTRUCTIONS} instructions; "
                    "exhaustive checking needs small scenarios",
                    stmt.pos,
                )
            out.extend(code)
        return out

    def _stmt(self, stmt: ast.Stmt, state: _ThreadState) -> list[Instr]:
        value = lambda e: self.lower(e, self._in_thread(state))  # noqa: E731
        if isinstance(stmt, ast.LoadS):
            loc = self._location(stmt.loc, stmt.pos)
            order = self._order(stmt.order, Order.NA, "load", stmt.pos)
            return [Load(self._target(stmt.reg, state, stmt.pos), loc, order)]
        if isinstance(stmt, ast.StoreS):
            loc = self._location(stmt.loc, stmt.pos)
            return [Store(loc, value(stmt.value), self._order(stmt.order, Order.NA, "store", stmt.pos))]
        if isinstance(stmt, ast.RmwS):
            loc, operand = self._location(stmt.loc, stmt.pos), value(stmt.operand)
            order = self._order(stmt.order, Order.SC, "read-modify-write", stmt.pos)
            return [Rmw(self._target(stmt.reg, state, stmt.pos), loc, RMW_OPS[stmt.op], operand, order)]
        if isinstance(stmt, ast.CasS):
            return [self._cas(stmt, state, value)]
        if isinstance(stmt, ast.FenceS):
            return [Fence(self._order(stmt.order, Order.SC, "fence", stmt.pos))]
        if isinstance(stmt, ast.LockS):
            if stmt.mutex not in self.shared:
                raise self.error(f"undefined mutex {stmt.mutex!r}; declare it with `mutex {stmt.mutex}`", stmt.pos)
            return [Unlock(stmt.mutex) if stmt.release else Lock(stmt.mutex)]
        if isinstance(stmt, ast.AssignS):
            rhs = value(stmt.value)
            return [Assign(self._target(stmt.reg, state, stmt.pos), rhs)]
        if isinstance(stmt, ast.IfS):
            return self._if(stmt, state)
        if isinstance(stmt, ast.RepeatS):
            return self._repeat(stmt, state)
        if isinstance(stmt, ast.WhileS):
            return self._while(stmt, state)
        if isinstance(stmt, ast.AwaitS):
            return self._await(stmt, state)
        if isinstance(stmt, ast.AssertS):
            return [Assert(value(stmt.cond), ast.to_text(stmt.cond))]
        return self._object_op(stmt, state)

    def _cas(self, stmt: ast.CasS, state: _ThreadState, value) -> Cas:
        loc = self._location(stmt.loc, stmt.pos)
        expected, desired = value(stmt.expected), value(stmt.desired)
        order = self._order(stmt.order, Order.SC, "read-modify-write", stmt.pos)
        fail = self._order(stmt.fail_order, _CAS_FAIL_DEFAULT.get(order, order), "failed compare-and-swap", stmt.pos)
        return Cas(self._target(stmt.reg, state, stmt.pos), loc, expected, desired, order, fail)

    def _object_op(self, stmt: ast.ObjS, state: _ThreadState) -> list[Instr]:
        if stmt.obj not in self.objects:
            raise self.error(f"undefined object {stmt.obj!r}; declare it with `object {stmt.obj} = 1`", stmt.pos)
        if stmt.kind == "incref":
            return [Incref(stmt.obj)]
        if stmt.kind == "decref":
            return [Decref(stmt.obj)]
        if stmt.kind == "use":
            return list(use_code(stmt.obj, state.new("use")))
        return list(free_code(stmt.obj))

    def _if(self, stmt: ast.IfS, state: _ThreadState) -> list[Instr]:
        cond = self.lower(stmt.cond, self._in_thread(state))
        if isinstance(cond, Const):
            # A condition on parameters only (`if fence { fence.sc }`) picks its branch now.
            # The other branch is still compiled (and its registers declared, as they are
            # when the condition is not constant) so that errors do not depend on --set.
            taken, dropped = (stmt.then, stmt.orelse) if cond.value else (stmt.orelse, stmt.then)
            size, scratch = self.size, _ThreadState(state.tid, set(state.assigned), state.fresh)
            self._block(dropped, scratch)
            self.size = size
            state.assigned |= {r for r in scratch.assigned if not r.startswith("__")}
            return self._block(taken, state)
        end = state.new("endif")
        then = self._block(stmt.then, state)
        if not stmt.orelse:
            return [Branch(_negate(cond), end), *then, Label(end)]
        other = state.new("else")
        orelse = self._block(stmt.orelse, state)
        return [Branch(_negate(cond), other), *then, Branch(Const(1), end), Label(other), *orelse, Label(end)]

    def _repeat(self, stmt: ast.RepeatS, state: _ThreadState) -> list[Instr]:
        times = self.count(stmt.count, "a repeat count")
        if times > MAX_INSTRUCTIONS:
            raise self.error(
                f"repeat {times} is over the limit of {MAX_INSTRUCTIONS}; exhaustive checking needs small scenarios",
                stmt.pos,
            )
        out: list[Instr] = []
        for _ in range(times):
            out.extend(self._block(stmt.body, state))
        return out

    def _while(self, stmt: ast.WhileS, state: _ThreadState) -> list[Instr]:
        bound = self.count(stmt.bound, "a loop bound (max)")
        if bound > MAX_INSTRUCTIONS:
            raise self.error(f"max {bound} is over the limit of {MAX_INSTRUCTIONS}", stmt.pos)
        end = state.new("endwhile")
        text = f"while {ast.to_text(stmt.cond)} max {bound}"
        if _is_spin_loop(stmt.body):
            # Failed iterations only reload registers: keep the one that ends the loop
            # (the spin-assume transformation, as for `await`); the bound is never needed.
            guard = self.lower(stmt.cond, self._in_thread(state))
            body = self._block(stmt.body, state)
            done = _negate(self.lower(stmt.cond, self._in_thread(state)))
            return [Branch(_negate(guard), end), *body, Assume(done, origin=text), Label(end)]
        exit_unless = lambda: Branch(_negate(self.lower(stmt.cond, self._in_thread(state))), end)  # noqa: E731
        out: list[Instr] = []
        for _ in range(bound):
            out.append(exit_unless())
            out.extend(self._block(stmt.body, state))
        out.append(exit_unless())
        out += [LoopBound(f"`{text}` ran out of iterations", origin=text), Label(end)]
        return out

    def _await(self, stmt: ast.AwaitS, state: _ThreadState) -> list[Instr]:
        order = self._order(stmt.order, Order.NA, "load", stmt.pos)
        text = f"await {ast.to_text(stmt.cond)}"
        loads: dict[str, str] = {}  # location -> register holding the value read
        in_thread = self._in_thread(state)

        def resolve(node):
            if isinstance(node, ast.Name) and node.name in self.locations:
                if node.name not in loads:
                    loads[node.name] = state.new("await")
                return Reg(loads[node.name])
            return in_thread(node)

        cond = self.lower(stmt.cond, resolve)
        if not loads:
            raise self.error("await waits for another thread, so its condition must read a shared location", stmt.pos)
        state.assigned.update(loads.values())
        return [*(Load(reg, loc, order, origin=text) for loc, reg in loads.items()), Assume(cond, origin=text)]

    # ---- names

    def _target(self, reg: str | None, state: _ThreadState, pos: ast.Pos | None) -> str | None:
        """A register the statement writes: a fresh name, not a parameter or a location."""
        if reg is None:
            return None
        if reg.startswith("__"):
            raise self.error(f"register names starting with '__' are reserved for incref: {reg!r}", pos)
        if reg in self.declared:
            raise self.error(f"{reg!r} is a {self.declared[reg]}, not a register; pick another name", pos)
        state.assigned.add(reg)
        return reg

    def _location(self, loc: str, pos: ast.Pos | None) -> str:
        if loc in self.locations:
            return loc
        if loc in self.objects:
            fields = ", ".join(f"{loc}.{f}" for f in ("refcnt", "payload", "freed"))
            raise self.error(f"{loc!r} is an object, not a location; its fields are {fields}", pos)
        if "." in loc:
            raise self.error(f"undefined location {loc!r}", pos)
        raise self.error(f"undefined shared location {loc!r}; declare it with `shared {loc} = 0`", pos)

    def _order(self, written: str | None, default: Order, what: str, pos: ast.Pos | None) -> Order:
        if written is None:
            return default
        order = ORDERS.get(written)
        if order is None:
            raise self.error(f"unknown memory order '.{written}'; use .na, .rlx, .acq, .rel, .acq_rel or .sc", pos)
        if order in _FORBIDDEN_ORDERS[what]:
            raise self.error(f"a {what} cannot have order .{order.value}", pos)
        return order

    # ---- the final condition

    def _condition(self, decl: ast.ConditionD) -> Condition:
        def resolve(node):
            if isinstance(node, ast.ThreadReg):
                return Var(reg_key(self._thread_id(node), node.reg))
            if node.name in self.params:
                return Const(self.params[node.name])
            if node.name in self.locations:
                return Var(node.name)
            if any(node.name in regs for regs in self.registers.values()):
                raise self.error(
                    f"{node.name!r} is a register; in the final condition write it as T:{node.name} "
                    "(T the thread number)",
                    node.pos,
                )
            raise self.error(f"undefined location or parameter {node.name!r}", node.pos)

        prop = self.lower(decl.cond, resolve, herd_eq=True)
        return Condition(decl.quantifier, prop, f"{decl.quantifier} {ast.to_text(decl.cond)}")

    def _thread_id(self, node: ast.ThreadReg) -> int:
        if node.thread.isdigit():
            number = node.thread.lstrip("0") or "0"
            if len(number) > 9 or int(number) >= len(self.threads):  # compared before any huge int is made
                shown = number if len(number) <= 12 else number[:12] + "..."
                raise self.error(f"no thread {shown}: threads are numbered 0 to {len(self.threads) - 1}", node.pos)
            tid = int(number)
        elif node.thread in self.single:
            tid = self.single[node.thread]
        else:
            raise self.error(f"no single thread named {node.thread!r}; name a copy by its number", node.pos)
        if node.reg not in self.registers[tid]:
            raise self.error(f"thread {tid} ({self.threads[tid].name}) has no register {node.reg!r}", node.pos)
        return tid


def _is_spin_loop(body: tuple[ast.Stmt, ...]) -> bool:
    """Whether a failed iteration of a loop with this body has no effect at all: the body
    only loads, and computes only from what the same iteration loaded (or from registers
    the loop never writes), so no iteration depends on the ones before it (GenMC's
    side-effect-free spinloops, Kokologiannakis et al., FMCAD 2021, section 3)."""
    written = {s.reg for s in body if isinstance(s, (ast.LoadS, ast.AssignS))}
    this_iteration: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.AssignS) and not (_names(stmt.value) & written) - this_iteration:
            this_iteration.add(stmt.reg)
        elif isinstance(stmt, ast.LoadS):
            this_iteration.add(stmt.reg)
        else:
            return False
    return any(isinstance(stmt, ast.LoadS) for stmt in body)


def _names(expr: ast.Expr) -> set[str]:
    if isinstance(expr, ast.Name):
        return {expr.name}
    if isinstance(expr, ast.Bin):
        return _names(expr.left) | _names(expr.right)
    if isinstance(expr, ast.Un):
        return _names(expr.operand)
    return set()


def _negate(cond: Expr) -> Expr:
    """`!cond`, written as the opposite comparison when there is one (readable traces)."""
    if isinstance(cond, BinOp) and cond.op in _NEGATED:
        return BinOp(_NEGATED[cond.op], cond.left, cond.right)
    if isinstance(cond, UnOp) and cond.op == "!":
        return cond.operand
    if isinstance(cond, Const):
        return Const(int(not cond.value))
    return UnOp("!", cond)
