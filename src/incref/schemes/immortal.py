"""`immortal`: PEP 683 immortal objects, as CPython 3.14 implements them for the default
(GIL) build on 64-bit machines (Include/refcount.h).

* `Py_INCREF`: `cur = (uint32_t)op->ob_refcnt; if (cur >= _Py_IMMORTAL_INITIAL_REFCNT)
  return; op->ob_refcnt = cur + 1;`
* `Py_DECREF`: `if (_Py_IsImmortal(op)) return; if (--op->ob_refcnt == 0) _Py_Dealloc(op);`
  where `_Py_IsImmortal` is `(int32_t)op->ob_refcnt < 0`, i.e. the low 32 bits are at
  least 2**31 (`_Py_IMMORTAL_MINIMUM_REFCNT`).

An object is immortal because of its count. A scenario marks one with the attribute
`immortal=1` (`object none = 1 (immortal=1)`): its count starts at
`_Py_IMMORTAL_INITIAL_REFCNT` (3 << 30), as `_Py_SetImmortal` leaves it, and since that
count no longer counts references the lost-update and leak checks do not apply to it.
`Py_DECREF` reads the count twice (the
immortality test, then `--`); here once, as a compiler may merge two plain reads with
nothing between them. The accesses are plain, as in CPython,
which relies on the GIL (or, across interpreters with their own GIL, PEP 684, on the
count never being written).

Promise: the count of an immortal object is never written, so immortal objects can be
shared by threads that hold no common lock, with no race and no dirtied cache line;
mortal objects get exactly `plain`'s guarantees (none without a lock)."""

from incref.ir.program import INVARIANTS, Assign, BinOp, Branch, Const, Label, Load, Order, Reg, Store
from incref.schemes.base import Scheme, free_when_zero

IMMORTAL_INITIAL_REFCNT = 3 << 30
IMMORTAL_MINIMUM_REFCNT = 1 << 31


def is_immortal(obj):
    return bool(obj.attrs.get("immortal", 0)) or obj.initial_count >= IMMORTAL_MINIMUM_REFCNT


class Immortal(Scheme):
    name = "immortal"
    promise = "an immortal object's count is never written; mortal objects as plain"
    source = "PEP 683; CPython Include/refcount.h (Py_INCREF, Py_DECREF, _Py_IsImmortal)"

    def layout(self, obj, nthreads):
        return {obj.refcnt: IMMORTAL_INITIAL_REFCNT if is_immortal(obj) else obj.initial_count}

    def object_invariants(self, obj):
        return frozenset(INVARIANTS) - {"lost-update", "leak"} if is_immortal(obj) else super().object_invariants(obj)

    def incref(self, obj, x):
        cur, skip = x.reg(), x.label("immortal")
        return [
            Load(cur, obj.refcnt, Order.NA),
            Branch(BinOp(">=", BinOp("&", Reg(cur), Const(0xFFFFFFFF)), Const(IMMORTAL_INITIAL_REFCNT)), skip),
            Store(obj.refcnt, BinOp("+", Reg(cur), Const(1)), Order.NA),
            Label(skip),
        ]

    def decref(self, obj, x):
        r, skip = x.reg(), x.label("immortal")
        return [
            Load(r, obj.refcnt, Order.NA),
            Branch(BinOp(">=", BinOp("&", Reg(r), Const(0xFFFFFFFF)), Const(IMMORTAL_MINIMUM_REFCNT)), skip),
            Assign(r, BinOp("-", Reg(r), Const(1))),
            Store(obj.refcnt, Reg(r), Order.NA),
            *free_when_zero(obj, Reg(r), x, ""),
            Label(skip),
        ]


SCHEME = Immortal()
