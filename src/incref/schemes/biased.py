"""`biased`: biased reference counting (Choi, Shull, Torrellas, "Biased Reference
Counting: Minimizing Atomic Operations in Garbage Collection", PACT 2018) as PEP 703's
free-threaded CPython does it (Include/refcount.h `Py_INCREF`/`Py_DECREF`, Objects/object.c
`_Py_DecRefShared`, `_Py_MergeZeroLocalRefcount`, `_Py_ExplicitMergeRefcount`,
Python/brc.c `_Py_brc_queue_object`, `_Py_brc_remove_thread`).

An object has an owner (`ob_tid`), a local count `ob_ref_local` written only by the
owner with relaxed atomics, and a shared count `ob_ref_shared` for everyone else, whose
two low bits are a state: 0 initial, 1 maybe-weakref, 2 queued, 3 merged.

* incref: the owner stores `local + 1` (relaxed); others `fetch_add` 4 on shared (seq_cst).
* decref by the owner: store `local - 1`; at 0, `_Py_MergeZeroLocalRefcount`: if shared
  (acquire load) is 0 the object is freed; otherwise give up ownership (`ob_tid = 0`) and
  set the merged state with a CAS, freeing if only the flags remain.
* decref by others, `_Py_DecRefShared`: a CAS loop that subtracts 4, except when shared
  is 0 (or 1): then it sets *queued* without subtracting — the queue now holds that
  reference — and `_Py_brc_queue_object` hands the object to its owner under the bucket
  mutex. If the owner has already merged (`ob_tid == 0`) it decrefs again; if the owner
  has exited it merges the counts itself (`_Py_ExplicitMergeRefcount(op, -1)`).
* the owner merges its queue when it exits (`_Py_brc_remove_thread`), with the same
  `_Py_ExplicitMergeRefcount(op, -1)`, and frees the object if the merged count is 0.
  CPython also merges earlier, at an eval-breaker check; the exit is the last chance.

Modelling choices: a scenario names the owner with `object obj = 1 (owner=T)` (thread 0
when absent); `ob_tid` holds owner + 1 so that 0 still means "no owner"; CAS retry loops
are one load and one CAS that must succeed (a failed iteration has no side effect);
the owner test reads `ob_tid` with a relaxed load (what the ThreadSanitizer build does;
the plain read compiles to the same instruction), and only in the owner: `ob_tid` is only
ever the creating thread's id (`_PyObject_Init`) or 0 (a merge), never another thread's,
so in any other thread the test is false whatever the load returns, and that dead load
is left out; the immortality test on the local count is left out (that is the
`immortal` scheme's story); the queue is one flag per object (an object is queued at
most once: after that, shared is never 0 again).

Promise: no lost update, no use after free, no data race under every model, with no
atomic read-modify-write on the owner's increments and decrements."""

from incref.ir.program import (
    Assert,
    Assign,
    Assume,
    BinOp,
    Branch,
    Cas,
    Const,
    Label,
    Load,
    Lock,
    Order,
    Reg,
    Rmw,
    Store,
    Unlock,
    Var,
)
from incref.schemes.base import Scheme, dealloc

SHIFT = 2
ONE = 1 << SHIFT  # one reference in the shared count
QUEUED = 2
MERGED = 3
BUCKET = "brc.bucket"


def _tid(obj):
    return f"{obj.name}.tid"


def _local(obj):
    return f"{obj.name}.local"


def _shared(obj):
    return f"{obj.name}.shared"


def _queued(obj):
    return f"brc.{obj.name}.queued"


def _exited(tid):
    return f"brc.exited{tid}"


def _owner(obj):
    return obj.attrs.get("owner", 0)


def _goto(label):
    return Branch(Const(1), label)


def _cas_loop(x, loc, seen, new):
    """`do { ... } while (!compare_exchange(loc, &seen, new))`, folded: the CAS that
    ends the loop reads the value `seen` that the last iteration computed from."""
    old = x.reg("cas")
    return [Cas(old, loc, Reg(seen), new, Order.SC, Order.SC), Assume(BinOp("==", Reg(old), Reg(seen)))]


def _explicit_merge(obj, x, extra):
    """`_Py_ExplicitMergeRefcount(op, extra)`; the merged count ends in the returned register."""
    local, shared, refcnt = x.reg("local"), x.reg("shared"), x.reg("refcnt")
    return [
        Load(local, _local(obj), Order.NA),
        Store(_local(obj), Const(0), Order.RLX),
        Store(_tid(obj), Const(0), Order.RLX),
        Load(shared, _shared(obj), Order.RLX),
        Assign(refcnt, BinOp("+", BinOp("+", BinOp(">>", Reg(shared), Const(SHIFT)), Reg(local)), Const(extra))),
        *_cas_loop(x, _shared(obj), shared, BinOp("+", BinOp("<<", Reg(refcnt), Const(SHIFT)), Const(MERGED))),
    ], refcnt


def _free_if_zero(obj, x, reg):
    keep = x.label("keep")
    return [Branch(BinOp("!=", Reg(reg), Const(0)), keep), *dealloc(obj), Label(keep)]


class Biased(Scheme):
    name = "biased"
    promise = "safe under every model: owner counts without atomics, others with a CAS"
    source = "Choi et al., PACT 2018; PEP 703; CPython refcount.h, object.c, brc.c"

    def layout(self, obj, nthreads):
        return {_tid(obj): _owner(obj) + 1, _local(obj): obj.initial_count, _shared(obj): 0}

    def count(self, obj, nthreads):
        """local + (shared >> 2), minus the reference the owner's queue holds."""
        shared = BinOp(">>", Var(_shared(obj)), Const(SHIFT))
        return BinOp("-", BinOp("+", Var(_local(obj)), shared), Var(_queued(obj)))

    def globals(self, program):
        out = {BUCKET: 0}
        for obj in program.objects.values():
            out[_queued(obj)] = 0
            out[_exited(_owner(obj))] = 0
        return out

    def _owned(self, obj, x, local):
        """In the owner thread: branch to the returned label unless it still owns `obj`
        (`_Py_IsOwnedByCurrentThread`; it gives ownership up when it merges), else load
        the local count. CPython loads the local count before the test, for the
        immortality test that is left out here; two relaxed loads of different
        locations may be reordered."""
        tid, other = x.reg("tid"), x.label("shared")
        return [
            Load(tid, _tid(obj), Order.RLX),
            Branch(BinOp("!=", Reg(tid), Const(x.tid + 1)), other),
            Load(local, _local(obj), Order.RLX),
        ], other

    def incref(self, obj, x):
        shared = [Rmw(None, _shared(obj), "add", Const(ONE), Order.SC)]
        if x.tid != _owner(obj):
            return shared
        local, done = x.reg("local"), x.label("done")
        owned, other = self._owned(obj, x, local)
        return [
            *owned,
            Store(_local(obj), BinOp("+", Reg(local), Const(1)), Order.RLX),
            _goto(done),
            Label(other),
            *shared,
            Label(done),
        ]

    def decref(self, obj, x):
        if x.tid != _owner(obj):
            return self._dec_ref_shared(obj, x, may_queue=True)
        local, done = x.reg("local"), x.label("done")
        owned, other = self._owned(obj, x, local)
        return [
            *owned,
            Assign(local, BinOp("-", Reg(local), Const(1))),
            Store(_local(obj), Reg(local), Order.RLX),
            Branch(BinOp("!=", Reg(local), Const(0)), done),
            *self._merge_zero_local(obj, x),
            _goto(done),
            Label(other),
            *self._dec_ref_shared(obj, x, may_queue=True),
            Label(done),
        ]

    def _merge_zero_local(self, obj, x):
        shared, new, slow, done = x.reg("shared"), x.reg("new"), x.label("slow"), x.label("done")
        return [
            Load(shared, _shared(obj), Order.ACQ),
            Branch(BinOp("!=", Reg(shared), Const(0)), slow),
            *dealloc(obj),
            _goto(done),
            Label(slow),
            Store(_tid(obj), Const(0), Order.RLX),
            Assign(new, BinOp("|", BinOp("&", Reg(shared), Const(~3)), Const(MERGED))),
            *_cas_loop(x, _shared(obj), shared, Reg(new)),
            Branch(BinOp("!=", Reg(new), Const(MERGED)), done),
            *dealloc(obj),
            Label(done),
        ]

    def _dec_ref_shared(self, obj, x, may_queue):
        shared, queue, new = x.reg("shared"), x.reg("queue"), x.reg("new")
        to_queue, done = x.label("queue"), x.label("done")
        should_queue = BinOp("||", BinOp("==", Reg(shared), Const(0)), BinOp("==", Reg(shared), Const(1)))
        code = [
            Load(shared, _shared(obj), Order.RLX),
            Assign(queue, should_queue),
            # queued: new = QUEUED (no subtraction); otherwise new = shared - ONE
            Assign(
                new,
                BinOp(
                    "+",
                    BinOp("-", Reg(shared), Const(ONE)),
                    BinOp("*", Reg(queue), BinOp("-", Const(QUEUED + ONE), Reg(shared))),
                ),
            ),
            *_cas_loop(x, _shared(obj), shared, Reg(new)),
        ]
        if may_queue:
            code.append(Branch(Reg(queue), to_queue))
        else:
            code.append(Assert(BinOp("==", Reg(queue), Const(0)), "a merged object was queued again"))
        code += [Branch(BinOp("!=", Reg(new), Const(MERGED)), done), *dealloc(obj)]
        if may_queue:
            code += [_goto(done), Label(to_queue), *self._queue_object(obj, x)]
        return code + [Label(done)]

    def _queue_object(self, obj, x):
        """`_Py_brc_queue_object`: hand the object (and the reference the queue holds) to
        its owner, or merge now when the owner is gone."""
        tid, exited, done = x.reg("tid"), x.reg("exited"), x.label("done")
        locked, merge = x.label("locked"), x.label("merge")
        merged, refcnt = _explicit_merge(obj, x, -1)
        return [
            Load(tid, _tid(obj), Order.SC),
            Branch(Reg(tid), locked),
            *self._dec_ref_shared(obj, x, may_queue=False),
            _goto(done),
            Label(locked),
            Lock(BUCKET),
            Load(exited, _exited(_owner(obj)), Order.NA),
            Branch(Reg(exited), merge),
            Store(_queued(obj), Const(1), Order.NA),
            Unlock(BUCKET),
            _goto(done),
            Label(merge),
            *merged,
            Unlock(BUCKET),
            *_free_if_zero(obj, x, refcnt),
            Label(done),
        ]

    def thread_exit(self, objects, x):
        """`_Py_brc_remove_thread`: under the bucket mutex take the queue and leave the
        bucket, then merge each queued object, dropping the queue's reference."""
        owned = [obj for obj in objects.values() if _owner(obj) == x.tid]
        if not owned:
            return []
        taken = {obj.name: x.reg("queued") for obj in owned}
        code = [Lock(BUCKET)]
        for obj in owned:
            empty = x.label("empty")
            code += [
                Load(taken[obj.name], _queued(obj), Order.NA),
                Branch(BinOp("==", Reg(taken[obj.name]), Const(0)), empty),
                Store(_queued(obj), Const(0), Order.NA),
                Label(empty),
            ]
        code += [Store(_exited(x.tid), Const(1), Order.NA), Unlock(BUCKET)]
        for obj in owned:
            skip = x.label("empty")
            merged, refcnt = _explicit_merge(obj, x, -1)
            code += [
                Branch(BinOp("==", Reg(taken[obj.name]), Const(0)), skip),
                *merged,
                *_free_if_zero(obj, x, refcnt),
                Label(skip),
            ]
        return code


SCHEME = Biased()
