"""`arc`: Rust's `Arc<T>` (library/alloc/src/sync.rs). `Clone` is
`strong.fetch_add(1, Relaxed)` — a new reference can only be made from an existing one,
so nothing needs ordering; `Drop` is `strong.fetch_sub(1, Release)` and, only in the
thread that saw 1, `acquire!(strong)` (an `Acquire` fence) before `drop_slow`.
sync.rs explains the fence: every use of the data must happen before its deletion, so
each drop releases and the deleting thread acquires, synchronising with all the earlier
releases through the release sequence of the RMWs (Boost.Atomic's "reference counting"
example). `Clone` also aborts when the old count exceeds `isize::MAX`; the zoo's counts
stay far below it, so the check is left out.

Promise: no lost update, no use after free, no data race, under every model."""

from incref.ir.program import BinOp, Branch, Const, Fence, Label, Order, Reg, Rmw
from incref.schemes.base import Scheme, dealloc


class Arc(Scheme):
    name = "arc"
    promise = "safe under every model: relaxed clone, release drop, acquire fence before delete"
    source = "Rust library/alloc/src/sync.rs (Arc::clone, Arc::drop and its comment on acquire!)"
    drop_order = Order.REL
    acquire_fence = True

    def incref(self, obj, x):
        return [Rmw(None, obj.refcnt, "add", Const(1), Order.RLX)]

    def decref(self, obj, x):
        old, keep = x.reg(), x.label("keep")
        fence = [Fence(Order.ACQ)] if self.acquire_fence else []
        return [
            Rmw(old, obj.refcnt, "sub", Const(1), self.drop_order),
            Branch(BinOp("!=", Reg(old), Const(1)), keep),
            *fence,
            *dealloc(obj),
            Label(keep),
        ]


SCHEME = Arc()
