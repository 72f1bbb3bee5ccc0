"""`gil`: classic CPython — every refcount operation runs while holding one global
interpreter lock, taken with acquire and released with release ordering
(Python/ceval_gil.c: a mutex; C11 mutex lock/unlock synchronise-with, C11 7.26.4).

Promise: no lost update, no use after free, under every model: the lock makes each
load-add-store indivisible and orders it after the previous holder's writes."""

from incref.ir.program import Assign, BinOp, Const, Load, Lock, Order, Reg, Store, Unlock
from incref.schemes.base import Scheme, free_when_zero

GIL = "gil"


class Gil(Scheme):
    name = "gil"
    promise = "safe under every model: one lock with acquire/release around each operation"
    source = "CPython Python/ceval_gil.c (the GIL is a mutex + condition variable)"

    def globals(self, program):
        return {GIL: 0}

    def gil(self, acquire, x):
        return classic_gil(acquire)

    def incref(self, obj, x):
        r = x.reg()
        return held(
            x,
            [
                Load(r, obj.refcnt, Order.NA),
                Store(obj.refcnt, BinOp("+", Reg(r), Const(1)), Order.NA),
            ],
        )

    def decref(self, obj, x):
        r = x.reg()
        return held(
            x,
            [
                Load(r, obj.refcnt, Order.NA),
                Assign(r, BinOp("-", Reg(r), Const(1))),
                Store(obj.refcnt, Reg(r), Order.NA),
                *free_when_zero(obj, Reg(r), x, ""),
            ],
        )


def held(x, code):
    """`code` under the GIL: taken around it, unless the C program already holds it
    (between `PyGILState_Ensure` and `Release`, where CPython's macros do no locking)."""
    return code if x.holds_gil else [Lock(GIL), *code, Unlock(GIL)]


def classic_gil(acquire):
    """The classic builds' GIL as `PyGILState_Ensure`/`Release` take it."""
    return [Lock(GIL)] if acquire else [Unlock(GIL)]


SCHEME = Gil()
