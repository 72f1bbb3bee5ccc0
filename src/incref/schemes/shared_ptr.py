"""`shared_ptr`: libstdc++'s `std::shared_ptr` control block (`_Sp_counted_base<_S_atomic>`
in bits/shared_ptr_base.h, atomics from ext/atomicity.h).

* Copy: `_M_add_ref_copy` → `__atomic_add_dispatch(&_M_use_count, 1)`, and
  `__atomic_add` is `__atomic_fetch_add(mem, val, __ATOMIC_ACQ_REL)` — libstdc++ uses
  acq_rel for the increment too (libc++ uses relaxed there; the decrement is what
  matters).
* Release: `_M_release` first loads both counts with `__ATOMIC_ACQUIRE`; if this is the
  unique reference (use count 1, weak count 1) it stores 0 to both counts non-atomically
  and disposes without an RMW (GCC 12+). Otherwise `__exchange_and_add_dispatch(
  &_M_use_count, -1)` (acq_rel fetch_add of -1) and, when the old value was 1,
  `_M_dispose()`. The weak count is not modelled: the zoo's objects have no weak
  references, so it stays 1 and the unique test reads the use count alone.

Promise: no lost update, no use after free, no data race, under every model."""

from incref.ir.program import BinOp, Branch, Const, Label, Load, Order, Reg, Rmw, Store
from incref.schemes.base import Scheme, dealloc


class SharedPtr(Scheme):
    name = "shared_ptr"
    promise = "safe under every model: acq_rel increment and decrement, acquire fast path"
    source = "libstdc++ bits/shared_ptr_base.h (_M_add_ref_copy, _M_release), ext/atomicity.h"

    def incref(self, obj, x):
        return [Rmw(None, obj.refcnt, "add", Const(1), Order.ACQ_REL)]

    def decref(self, obj, x):
        both, old = x.reg("both"), x.reg()
        shared, destroy, keep = x.label("shared"), x.label("dispose"), x.label("keep")
        return [
            Load(both, obj.refcnt, Order.ACQ),
            Branch(BinOp("!=", Reg(both), Const(1)), shared),
            Store(obj.refcnt, Const(0), Order.NA),
            Branch(Const(1), destroy),
            Label(shared),
            Rmw(old, obj.refcnt, "sub", Const(1), Order.ACQ_REL),
            Branch(BinOp("!=", Reg(old), Const(1)), keep),
            Label(destroy),
            *dealloc(obj),
            Label(keep),
        ]


SCHEME = SharedPtr()
