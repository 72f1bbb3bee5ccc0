"""`atomic`: every refcount operation is one seq_cst read-modify-write
(`atomic_fetch_add`/`atomic_fetch_sub`), as in the 2015 "atomic refcount" CPython
experiment and `LOCK XADD` on x86.

Promise: no lost update and no use after free under every model; the cost is a locked
instruction on every incref/decref."""

from incref.ir.program import BinOp, Const, Order, Reg, Rmw
from incref.schemes.base import Scheme, free_when_zero


class Atomic(Scheme):
    name = "atomic"
    promise = "safe under every model: indivisible seq_cst read-modify-write"
    source = "C11 atomic_fetch_add/sub (seq_cst); CPython atomic-refcount experiment (2015)"

    def incref(self, obj, x):
        return [Rmw(None, obj.refcnt, "add", Const(1), Order.SC)]

    def decref(self, obj, x):
        r = x.reg()
        return [
            Rmw(r, obj.refcnt, "sub", Const(1), Order.SC),
            *free_when_zero(obj, BinOp("-", Reg(r), Const(1)), x, ""),
        ]


SCHEME = Atomic()
