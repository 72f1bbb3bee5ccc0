"""`gil-nofence`: the classic GIL (`gil`) with its ordering left out — the same critical
sections, but the lock is taken with a *relaxed* exchange (spinning until the old value
is 0, folded into an assume) and released with a *relaxed* store.

This is the mistake behind the question "does the GIL need `_Py_atomic` / a fence?":
mutual exclusion makes load-add-store indivisible only if the next holder also sees the
previous holder's store to the count. C11 7.17.4 and Boehm, "Threads cannot be
implemented as a library" (PLDI 2005), say why a lock must acquire on entry and release
on exit; without them nothing orders the count store before the unlock.

Promise: holds only where the hardware orders stores and loads anyway (sc, tso); under
pso the unlock store can overtake the count store (a lost update), under armv8 the next
holder can read a stale count, and under rc11 the plain count accesses race."""

from incref.ir.program import Assume, BinOp, Const, Lock, Order, Reg, Rmw, Store, Unlock
from incref.schemes.gil import Gil


class GilNoFence(Gil):
    name = "gil-nofence"
    promise = "safe only under sc and tso: mutual exclusion without acquire/release"
    source = "CPython Python/ceval_gil.c with relaxed _Py_atomic operations; C11 7.17.4"

    def incref(self, obj, x):
        return _unordered(super().incref(obj, x), x)

    def decref(self, obj, x):
        return _unordered(super().decref(obj, x), x)

    def gil(self, acquire, x):
        return _unordered(super().gil(acquire, x), x)


def _unordered(code, x):
    """`gil`'s code with each lock/unlock replaced by its relaxed twin."""
    out = []
    for instr in code:
        if isinstance(instr, Lock):
            old = x.reg("gil")
            out += [Rmw(old, instr.lock, "xchg", Const(1), Order.RLX), Assume(BinOp("==", Reg(old), Const(0)))]
        elif isinstance(instr, Unlock):
            out.append(Store(instr.lock, Const(0), Order.RLX))
        else:
            out.append(instr)
    return out


SCHEME = GilNoFence()
