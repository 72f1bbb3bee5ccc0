"""`saturating`: Linux `refcount_t` (include/linux/refcount.h, lib/refcount.c).

* `refcount_inc` → `__refcount_add`: `old = atomic_fetch_add_relaxed(1, &r->refs)`,
  *then* check: `old == 0` is an increment on a freed object (REFCOUNT_ADD_UAF);
  `old < 0 || old + 1 < 0` is an overflow (REFCOUNT_ADD_OVF). Either way
  `refcount_warn_saturate` sets the count to REFCOUNT_SATURATED (INT_MIN / 2) with a
  plain `refcount_set` and WARNs once.
* `refcount_dec_and_test` → `__refcount_sub_and_test`: `old = atomic_fetch_sub_release(1)`;
  `old == 1` → `smp_acquire__after_ctrl_dep()` (an acquire fence) and the caller frees;
  `old < 0 || old - 1 < 0` → saturate and WARN (REFCOUNT_SUB_UAF).

The count is a 32-bit `int`; the IR's integers are unbounded, so a stored value above
INT_MAX stands for the wrapped negative one: "old < 0" is written `old < 0 || old >
INT_MAX` (a value past INT_MAX can only be a wrapped one). Saturated counts stay near
INT_MIN / 2, far from both 0 and the wrap, so an overflowed object is never freed: it
is leaked on purpose, which the lost-update check reports as the count forgotten.
The WARN is a diagnostic, not modelled.

Promise: atomic's safety for counts in range, and an overflowed count never reaches
zero (no use after free from a wrapped count)."""

from incref.ir.program import BinOp, Branch, Const, Fence, Label, Order, Reg, Rmw, Store
from incref.schemes.base import Scheme, dealloc

INT_MAX = 2**31 - 1
REFCOUNT_SATURATED = -(2**30)


def _negative(old):
    """`old < 0` for a 32-bit int kept in an unbounded register."""
    return BinOp("||", BinOp("<", old, Const(0)), BinOp(">", old, Const(INT_MAX)))


class Saturating(Scheme):
    name = "saturating"
    promise = "in range: like atomic; on overflow the count saturates and the object leaks"
    source = "Linux include/linux/refcount.h (__refcount_add, __refcount_sub_and_test), lib/refcount.c"

    def _saturate(self, obj, cond, x):
        ok = x.label("ok")
        return [
            Branch(BinOp("==", cond, Const(0)), ok),
            Store(obj.refcnt, Const(REFCOUNT_SATURATED), Order.RLX),
            Label(ok),
        ]

    def incref(self, obj, x):
        old = Reg(x.reg())
        bad = BinOp("||", BinOp("==", old, Const(0)), BinOp("||", _negative(old), _negative(BinOp("+", old, Const(1)))))
        return [Rmw(old.name, obj.refcnt, "add", Const(1), Order.RLX), *self._saturate(obj, bad, x)]

    def decref(self, obj, x):
        old = Reg(x.reg())
        last, done = x.label("last"), x.label("done")
        bad = BinOp("||", _negative(old), BinOp("<", BinOp("-", old, Const(1)), Const(0)))
        return [
            Rmw(old.name, obj.refcnt, "sub", Const(1), Order.REL),
            Branch(BinOp("==", old, Const(1)), last),
            *self._saturate(obj, bad, x),
            Branch(Const(1), done),
            Label(last),
            Fence(Order.ACQ),
            *dealloc(obj),
            Label(done),
        ]


SCHEME = Saturating()
