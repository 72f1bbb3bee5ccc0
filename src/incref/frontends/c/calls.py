"""Calls: the library the fake headers declare, recognised by name, and user functions
(inlined).

* `<stdatomic.h>` (C11 7.17): every operation with its memory order; a weak
  compare-exchange is a strong one (GenMC does not model spurious failure either).
* GCC's `__atomic_*` and legacy `__sync_*` builtins (GCC manual, "Built-in Functions for
  Memory Model Aware Atomic Operations"; `__sync_*` are full barriers: seq_cst).
* `<pthread.h>`: create/join (thread start and end synchronise), mutexes as IR locks.
* `<stdlib.h>`: `malloc`/`calloc` give a fresh block per call site (the code is unrolled,
  so a site runs at most once per execution), `free` frees it; `abort` fails.
* GenMC's `__VERIFIER_assume`/`__VERIFIER_error`, `assert`.
* The CPython refcount API of the fake `<Python.h>` (`__incref_py_*`): object operations
  the `--scheme` expands, and the GIL (`PyGILState_Ensure`/`Release`)."""

from __future__ import annotations

from pycparser import c_ast

from incref.frontends.c.compiler import LV, Compiler, Marker, Spawn, V, fold_expr
from incref.frontends.c.flow import negate
from incref.frontends.c.types import INT, PYOBJECT_TAG, VOID, CType, pointer
from incref.ir.program import (
    ADDRESSED,
    Assert,
    Assume,
    BinOp,
    Cas,
    Const,
    Expr,
    Fence,
    Gil,
    Lock,
    Order,
    Reg,
    Rmw,
    Store,
    Unlock,
)

ORDERS = {0: Order.RLX, 1: Order.ACQ, 2: Order.ACQ, 3: Order.REL, 4: Order.ACQ_REL, 5: Order.SC}
RMW_NAMES = {"add": "add", "sub": "sub", "and": "and", "or": "or", "xor": "xor"}
NEW_VALUE = {"add": "+", "sub": "-", "and": "&", "or": "|", "xor": "^"}
NO_EFFECT = {"printf", "fprintf", "puts", "atomic_signal_fence", "pthread_mutex_init", "pthread_mutex_destroy"}
NO_EFFECT |= {"pthread_attr_init", "pthread_attr_destroy", "fflush", "Py_Initialize", "Py_Finalize"}


def call(c: Compiler, node: c_ast.FuncCall) -> V:
    args = list(node.args.exprs) if node.args is not None else []
    name = node.name.name if isinstance(node.name, c_ast.ID) else None
    if name is None or name not in c.functions and not _shadowed(c, name):
        handler = _builtin(name) if name is not None else None
        if handler is not None:
            with c.at(node):
                return handler(c, node, name, args)
    if name is not None and name in c.functions and not _shadowed(c, name):
        return _inline(c, node, c.functions[name], args)
    target = c.expr(node.name)
    if type(target.e) is Const:
        for fname, addr in c.func_addr.items():
            if addr == target.e.value and fname in c.functions:
                return _inline(c, node, c.functions[fname], args)
    if name is not None:
        raise c.unsupported(node, f"call to {name} (no definition)")
    raise c.unsupported(node, "call through a function pointer known only at run time")


def _shadowed(c: Compiler, name: str) -> bool:
    return bool(c.t.frames) and name in c.t.frames[-1].scope


def _inline(c: Compiler, node, fn, args) -> V:
    values = [c.expr(a) for a in args]
    return c.inline(fn, values, node)


def _builtin(name: str):
    if name in NO_EFFECT:
        return lambda c, node, name, args: V(Const(0), INT)
    base = name.removesuffix("_explicit")
    if base.startswith("atomic_"):
        return ATOMIC.get(base[len("atomic_") :])
    if name.startswith("__atomic_"):
        return GCC_ATOMIC.get(name[len("__atomic_") :])
    if name.startswith("__sync_"):
        return SYNC.get(name[len("__sync_") :])
    return LIBRARY.get(name)


# ---------------------------------------------------------------- helpers


def order(c: Compiler, node, default: Order = Order.SC) -> Order:
    if node is None:
        return default
    value = c.static_value(node)
    if value is None:
        v = c.expr(node).e
        value = v.value if type(v) is Const else None
    if value is None or value not in ORDERS:
        raise c.unsupported(node, "a memory order known only at run time")
    return ORDERS[value]


def target(c: Compiler, node) -> LV:
    """The object a pointer argument points to."""
    p = c.expr(node)
    if p.t.kind != "ptr" or p.t.target is None:
        raise c.error(node, "an atomic operation needs a pointer to an object")
    t = p.t.target
    return LV(p.e, t if t.kind != "void" else INT)


def location(c: Compiler, lv: LV, node) -> tuple[str, Expr | None]:
    """IR location and index of a memory lvalue (a local in a register has no location)."""
    if type(lv.addr) is Const:
        a = lv.addr.value
        if a in c.cells:
            return c.cells[a][0], None
        if a in c.frame:
            raise c.unsupported(node, "an atomic operation on a local variable")
        raise c.error(node, f"access through a pointer to no variable (address {a})")
    return ADDRESSED, lv.addr


def rmw(c: Compiler, lv: LV, op: str, operand: Expr, node, mo: Order = Order.SC) -> Expr:
    """An indivisible read-modify-write; the old value."""
    c.effect(node)
    loc, index = location(c, lv, node)
    reg = c.t.code.reg()
    c.t.code.emit(Rmw(reg, loc, op, operand, mo, index=index, origin=c.current_origin))
    return Reg(reg)


def cas(c: Compiler, lv: LV, expected: Expr, desired: Expr, node, succ: Order, fail: Order) -> Expr:
    c.effect(node)
    loc, index = location(c, lv, node)
    reg = c.t.code.reg()
    c.t.code.emit(Cas(reg, loc, expected, desired, succ, _fail_order(succ, fail), index=index, origin=c.current_origin))
    return Reg(reg)


def _fail_order(succ: Order, fail: Order) -> Order:
    """A failure order may not be release (C11 7.17.7.4p2): a release-only success order's
    failure is relaxed, acq_rel's acquire."""
    if fail in (Order.REL, Order.ACQ_REL):
        return Order.ACQ if fail is Order.ACQ_REL else Order.RLX
    return fail


def _arg(args, i):
    return args[i] if i < len(args) else None


# ---------------------------------------------------------------- <stdatomic.h>


def _load(c, node, name, args):
    return c.load(target(c, args[0]), node, order(c, _arg(args, 1)))


def _store(c, node, name, args):
    v = c.expr(args[1])
    c.store(target(c, args[0]), v.e, node, order(c, _arg(args, 2)))
    return V(Const(0), VOID)


def _init(c, node, name, args):
    v = c.expr(args[1])
    c.store(target(c, args[0]), v.e, node, Order.NA)
    return V(Const(0), VOID)


def _exchange(c, node, name, args):
    lv = target(c, args[0])
    v = c.expr(args[1])
    return V(rmw(c, lv, "xchg", v.e, node, order(c, _arg(args, 2))), lv.t)


def _fetch(op: str, new: bool = False, mo_at: int = 2):
    def handler(c, node, name, args):
        lv = target(c, args[0])
        v = c.expr(args[1]) if len(args) > 1 else V(Const(1), INT)
        mo = order(c, _arg(args, mo_at)) if mo_at is not None else Order.SC
        old = rmw(c, lv, op, v.e, node, mo)
        return V(fold_expr(NEW_VALUE[op], old, v.e) if new else old, lv.t)

    return handler


def _compare_exchange(expected_ptr: bool, mo_at: int):
    """C11's and GCC's compare-exchange: `*expected` receives the value read when the
    exchange fails."""

    def handler(c, node, name, args):
        lv = target(c, args[0])
        exp_lv = target(c, args[1]) if expected_ptr else None
        expected = c.load(exp_lv, node).e if exp_lv is not None else c.expr(args[1]).e
        desired = c.expr(args[2]).e
        succ = order(c, _arg(args, mo_at))
        fail = order(c, _arg(args, mo_at + 1), succ) if len(args) > mo_at + 1 else _fail_order(succ, succ)
        old = cas(c, lv, expected, desired, node, succ, fail)
        ok = fold_expr("==", old, expected)
        if exp_lv is not None:
            _write_back(c, exp_lv, old, ok, node)
        return V(ok, INT)

    return handler


def _write_back(c: Compiler, lv: LV, value: Expr, ok: Expr, node) -> None:
    """`*expected = old` on failure: a local just takes the value read (equal on success)."""
    if type(lv.addr) is Const and lv.addr.value in c.frame:
        c.store(lv, value, node)
        return
    code = c.t.code
    end = code.label("cas")
    code.branch(ok, end)
    c.store(lv, value, node)
    code.place(end)


def _fence(c, node, name, args):
    c.t.code.emit(Fence(order(c, _arg(args, 0)), origin=c.current_origin))
    return V(Const(0), VOID)


def _flag_set(c, node, name, args):
    lv = target(c, args[0])
    return V(rmw(c, lv, "xchg", Const(1), node, order(c, _arg(args, 1))), INT)


def _flag_clear(c, node, name, args):
    c.store(target(c, args[0]), Const(0), node, order(c, _arg(args, 1)))
    return V(Const(0), VOID)


ATOMIC = {
    "load": _load,
    "store": _store,
    "init": _init,
    "exchange": _exchange,
    "compare_exchange_strong": _compare_exchange(True, 3),
    "compare_exchange_weak": _compare_exchange(True, 3),
    "fetch_add": _fetch("add"),
    "fetch_sub": _fetch("sub"),
    "fetch_and": _fetch("and"),
    "fetch_or": _fetch("or"),
    "fetch_xor": _fetch("xor"),
    "thread_fence": _fence,
    "flag_test_and_set": _flag_set,
    "flag_clear": _flag_clear,
}

# ---------------------------------------------------------------- GCC builtins


def _gcc_load(c, node, name, args):
    return c.load(target(c, args[0]), node, order(c, _arg(args, 1)))


def _gcc_store(c, node, name, args):
    v = c.expr(args[1])
    c.store(target(c, args[0]), v.e, node, order(c, _arg(args, 2)))
    return V(Const(0), VOID)


GCC_ATOMIC = {
    "load_n": _gcc_load,
    "store_n": _gcc_store,
    "exchange_n": _exchange,
    "compare_exchange_n": _compare_exchange(True, 4),
    "thread_fence": _fence,
    "signal_fence": lambda c, node, name, args: V(Const(0), VOID),
}
for _op in RMW_NAMES:
    GCC_ATOMIC[f"fetch_{_op}"] = _fetch(_op)
    GCC_ATOMIC[f"{_op}_fetch"] = _fetch(_op, new=True)


def _sync_cas(returns_bool: bool):
    def handler(c, node, name, args):
        lv = target(c, args[0])
        expected, desired = c.expr(args[1]).e, c.expr(args[2]).e
        old = cas(c, lv, expected, desired, node, Order.SC, Order.SC)
        return V(fold_expr("==", old, expected) if returns_bool else old, INT if returns_bool else lv.t)

    return handler


SYNC = {
    "synchronize": lambda c, node, name, args: _emit_fence(c),
    "bool_compare_and_swap": _sync_cas(True),
    "val_compare_and_swap": _sync_cas(False),
    "lock_test_and_set": lambda c, node, name, args: V(
        rmw(c, target(c, args[0]), "xchg", c.expr(args[1]).e, node, Order.ACQ), INT
    ),
    "lock_release": lambda c, node, name, args: _release(c, node, args),
}
for _op in RMW_NAMES:
    SYNC[f"fetch_and_{_op}"] = _fetch(_op, mo_at=None)
    SYNC[f"{_op}_and_fetch"] = _fetch(_op, new=True, mo_at=None)


def _emit_fence(c: Compiler) -> V:
    c.t.code.emit(Fence(Order.SC, origin=c.current_origin))
    return V(Const(0), VOID)


def _release(c, node, args) -> V:
    c.store(target(c, args[0]), Const(0), node, Order.REL)
    return V(Const(0), VOID)


# ---------------------------------------------------------------- pthreads


def _static(c: Compiler, node, what: str) -> None:
    if c.t.dynamic:
        raise c.unsupported(node, f"{what} under a run-time condition or in a loop with a run-time bound")


def _create(c, node, name, args):
    _static(c, node, "pthread_create")
    fn = c.expr(args[2])
    fname = next((f for f, a in c.func_addr.items() if type(fn.e) is Const and a == fn.e.value), None)
    if fname is None:
        raise c.unsupported(args[2], "a thread function known only at run time")
    arg = c.expr(args[3]).e
    child = c.new_thread(fname)
    child.name = f"{fname}#{child.tid}" if any(s.function == fname for s in c.spawns) else fname
    handle = target(c, args[0])
    if type(handle.addr) is Const:
        c.handles[handle.addr.value] = child.tid
        if handle.addr.value in c.frame:
            c.store(handle, Const(child.tid), node)
    else:
        raise c.unsupported(args[0], "a pthread_t reached through a run-time pointer")
    if type(arg) is not Const:
        loc = c._flag(f"__arg{child.tid}")
        c.t.code.emit(Store(loc, arg, Order.NA, origin=c.current_origin))
        c.passed.add(child.tid)
    c.spawns.append(Spawn(child.tid, c.t.tid, fname, arg, node))
    c.t.code.emit(Marker("spawn", child.tid, origin=c.current_origin))
    return V(Const(0), INT)


def _join(c, node, name, args):
    _static(c, node, "pthread_join")
    child = None
    if isinstance(args[0], (c_ast.ID, c_ast.ArrayRef, c_ast.StructRef)) or (
        isinstance(args[0], c_ast.UnaryOp) and args[0].op == "*"
    ):
        lv = c.lvalue(args[0])
        if type(lv.addr) is Const:
            child = c.handles.get(lv.addr.value)
    if child is None:
        v = c.expr(args[0]).e
        if type(v) is Const and 0 < v.value < len(c.threads):
            child = v.value
    if child is None:
        raise c.unsupported(args[0], "a pthread_join whose thread is known only at run time")
    if len(args) > 1 and c.static_value(args[1]) != 0:
        raise c.unsupported(args[1], "a thread's return value (pthread_join's second argument)")
    c.t.code.emit(Marker("join", child, origin=c.current_origin))
    return V(Const(0), INT)


def _self(c, node, name, args):
    return V(Const(c.t.tid), INT)


def _exit_thread(c, node, name, args):
    c.t.code.jump(c.t.frames[0].ret_label)
    return V(Const(0), VOID)


def _mutex(kind: str):
    def handler(c, node, name, args):
        lv = target(c, args[0])
        loc, index = location(c, lv, node)
        if index is not None:
            raise c.unsupported(args[0], "a mutex reached through a run-time pointer")
        c.effect(node)
        if kind == "lock":
            c.t.code.emit(Lock(loc, origin=c.current_origin))
        elif kind == "unlock":
            c.t.code.emit(Unlock(loc, origin=c.current_origin))
        else:
            old = cas(c, lv, Const(0), Const(1), node, Order.ACQ, Order.ACQ)
            return V(fold_expr("!=", old, Const(0)), INT)
        return V(Const(0), INT)

    return handler


# ---------------------------------------------------------------- memory, errors


def _malloc(c, node, name, args):
    if c.t.scratch:
        from incref.frontends.c.compiler import NotPure

        raise NotPure
    size_node = args[0] if name == "malloc" else args[1]
    count = c.expr(args[0]).e if name == "calloc" else Const(1)
    size = c.expr(size_node).e
    if type(size) is not Const or type(count) is not Const:
        raise c.unsupported(node, f"{name} of a size known only at run time")
    cells = max(1, size.value * count.value)
    t = _allocated_type(c, size_node, cells)
    prefix = c.unique_prefix(f"{c.hint}_mem" if c.hint else "mem")
    base = c.allocate(prefix, t)
    c.new_object(base, t, prefix, refcounted=False, owner=c.t.tid)
    return V(Const(base), pointer(t))


def _allocated_type(c: Compiler, size_node, cells: int) -> CType:
    """`malloc(sizeof(struct node))` lays out a node's fields by name; other sizes are
    an array of cells."""
    if isinstance(size_node, c_ast.UnaryOp) and size_node.op == "sizeof" and isinstance(size_node.expr, c_ast.Typename):
        t = c.ctype(size_node.expr)
        if c.types.cells(t) == cells:
            return t
    return CType("array", target=INT, length=cells)


def _free(c, node, name, args):
    p = c.expr(args[0]).e
    object_op(c, node, "free", p)
    return V(Const(0), VOID)


def object_op(c: Compiler, node, kind: str, p: Expr) -> None:
    """An operation on the object `p` points to: direct when `p` is known, else a test of
    each candidate object, resolved once every allocation is known."""
    c.effect(node)
    code = c.t.code
    if type(p) is Const:
        if p.value == 0 and kind == "free":
            return
        obj = c.blocks.get(p.value)
        if obj is None:
            raise c.error(node, f"{kind} of a pointer to no allocated object")
        for instr in c.object_op(kind, obj, c.current_origin):
            code.emit(instr)
        return
    code.emit(Marker(kind, addr=p, origin=c.current_origin))


def _fail(message: str):
    def handler(c, node, name, args):
        c.t.code.emit(Assert(Const(0), message, origin=c.current_origin))
        c.t.code.env = None
        return V(Const(0), VOID)

    return handler


def _assert(c, node, name, args):
    cond = c.expr(args[0]).e
    file, line, _ = c.where(node)
    text = c.current_origin.split(": ", 1)[-1] if c.current_origin else f"line {line}"
    if type(cond) is Const and cond.value:
        return V(Const(0), VOID)
    c.t.code.emit(Assert(cond, text, origin=c.current_origin))
    return V(Const(0), VOID)


def _assume(c, node, name, args):
    cond = c.expr(args[0]).e
    if type(cond) is Const:
        if not cond.value:
            c.t.code.emit(Assume(Const(0), origin=c.current_origin))
            c.t.code.env = None
        return V(Const(0), VOID)
    c.t.code.emit(Assume(cond, origin=c.current_origin))
    return V(Const(0), VOID)


def _exit(c, node, name, args):
    c.t.code.jump(c.t.frames[0].ret_label)
    return V(Const(0), VOID)


# ---------------------------------------------------------------- CPython


def _py(kind: str):
    def handler(c, node, name, args):
        p = c.expr(args[0]).e
        if type(p) is Const and p.value == 0:
            raise c.error(node, f"Py_{kind.upper()} of NULL")
        object_op(c, node, kind, p)
        return V(p, pointer(CType("struct", tag=PYOBJECT_TAG)))

    return handler


def _py_alloc(c, node, name, args):
    """`PyObject_New`: a fresh object with one reference, owned (biased counting) by the
    thread that made it."""
    if c.t.scratch:
        from incref.frontends.c.compiler import NotPure

        raise NotPure
    size = c.expr(args[0]).e
    t = CType("struct", tag=PYOBJECT_TAG)
    if len(args) > 1:
        t = c.ctype(args[1]) if isinstance(args[1], c_ast.Typename) else t
    if type(size) is not Const:
        raise c.unsupported(node, "an object size known only at run time")
    prefix = c.unique_prefix(f"{c.hint}_obj" if c.hint else "obj")
    base = c.allocate(prefix, t, {0: 1})
    c.new_object(base, t, prefix, refcounted=True, owner=c.t.tid)
    return V(Const(base), pointer(t))


def _gil(acquire: bool):
    def handler(c, node, name, args):
        c.uses_gil = True
        c.effect(node)
        c.t.code.emit(Gil(acquire, origin=c.current_origin))
        return V(Const(0), INT)

    return handler


LIBRARY = {
    "pthread_create": _create,
    "pthread_join": _join,
    "pthread_self": _self,
    "pthread_exit": _exit_thread,
    "pthread_mutex_lock": _mutex("lock"),
    "pthread_mutex_unlock": _mutex("unlock"),
    "pthread_mutex_trylock": _mutex("trylock"),
    "malloc": _malloc,
    "calloc": _malloc,
    "free": _free,
    "abort": _fail("abort() called"),
    "__VERIFIER_error": _fail("__VERIFIER_error() reached"),
    "__incref_assert": _assert,
    "__VERIFIER_assume": _assume,
    "exit": _exit,
    "__incref_py_incref": _py("incref"),
    "__incref_py_decref": _py("decref"),
    "__incref_py_alloc": _py_alloc,
    "_Py_Dealloc": lambda c, node, name, args: _free_object(c, node, args),
    "PyGILState_Ensure": _gil(True),
    "PyGILState_Release": _gil(False),
    "__incref_gil_ensure": _gil(True),
    "__incref_gil_release": _gil(False),
}


def _free_object(c, node, args) -> V:
    object_op(c, node, "free", c.expr(args[0]).e)
    return V(Const(0), VOID)


__all__ = ["call", "rmw", "negate", "BinOp"]
