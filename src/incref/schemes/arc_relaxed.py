"""`arc-relaxed`: `Arc` with the drop's ordering removed — `fetch_sub(1, Relaxed)` and no
acquire fence before the delete. The textbook use-after-free that the comment in Rust's
library/alloc/src/sync.rs (Arc::drop) warns about: the deleting thread's destructor may
read the data before another thread's last writes to it, because nothing makes those
writes happen before the delete.

Promise (none intended): sc, tso and pso order the writes anyway (an RMW drains the
store buffers); armv8 lets the destructor read a stale payload, and rc11 calls the
unordered payload accesses a data race."""

from incref.ir.program import Order
from incref.schemes.arc import Arc


class ArcRelaxed(Arc):
    name = "arc-relaxed"
    promise = "safe only under sc/tso/pso: a relaxed drop does not order the payload"
    source = "Rust library/alloc/src/sync.rs (Arc::drop), with Release and acquire! removed"
    drop_order = Order.RLX
    acquire_fence = False


SCHEME = ArcRelaxed()
