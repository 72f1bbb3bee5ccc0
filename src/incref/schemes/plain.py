"""`plain`: CPython's `Py_INCREF`/`Py_DECREF` with no GIL — `op->ob_refcnt++` is a
non-atomic load, add and store (Include/object.h, CPython 3.11).

Promise: none under concurrency. Two threads can both load 1 and both store 2, already
under sequential consistency: a lost update, and with decrements a leak or a use after
free."""

from incref.ir.program import Assign, BinOp, Const, Load, Order, Reg, Store
from incref.schemes.base import Scheme, free_when_zero


class Plain(Scheme):
    name = "plain"
    promise = "none: load, add, store can interleave and lose updates"
    source = "CPython Include/object.h (Py_INCREF/Py_DECREF without the GIL)"

    def gil(self, acquire, x):
        """The classic build: `PyGILState_Ensure` takes the GIL."""
        from incref.schemes.gil import classic_gil

        return classic_gil(acquire)

    def incref(self, obj, x):
        r = x.reg()
        return [
            Load(r, obj.refcnt, Order.NA),
            Store(obj.refcnt, BinOp("+", Reg(r), Const(1)), Order.NA),
        ]

    def decref(self, obj, x):
        r = x.reg()
        return [
            Load(r, obj.refcnt, Order.NA),
            Assign(r, BinOp("-", Reg(r), Const(1))),
            Store(obj.refcnt, Reg(r), Order.NA),
            *free_when_zero(obj, Reg(r), x, ""),
        ]


SCHEME = Plain()
