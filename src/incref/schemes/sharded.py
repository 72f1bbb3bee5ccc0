"""`sharded`: per-thread counters summed on release, as Linux's `percpu_ref` does it
(include/linux/percpu-refcount.h, lib/percpu-refcount.c).

* In percpu mode `percpu_ref_get`/`percpu_ref_put` only add to or subtract from this
  CPU's counter (`this_cpu_add` / `this_cpu_sub`): no locked instruction, no shared
  cache line, and a put never frees, whatever the counter says.
* Release: `percpu_ref_kill` switches to atomic mode; after an RCU grace period (every
  CPU has left its get/put) `percpu_ref_switch_to_atomic_rcu` sums the per-CPU counters
  into the atomic count, and from then on the put that reaches zero calls `release`.

Here a thread is a CPU and the kill happens when the scenario's threads are done: each
thread's exit is its quiescent state, counted by an acq_rel fetch_add (the grace
period), and the last thread to pass it sums the shards and frees the object if the
sum is zero. The per-thread counters are written only by their thread, with relaxed
atomics because the summing thread reads them. The initial count sits in the atomic
count (`refcnt`); `PERCPU_COUNT_BIAS` is left out since nothing reads the atomic count
before the sum.

Promise: no lost update and no use after free under every model, without a single
locked instruction on get/put; the cost is that the object can only be freed after a
grace period, never by the put that drops the last reference."""

from incref.ir.program import Assign, BinOp, Branch, Const, Label, Load, Order, Reg, Rmw, Store, Var
from incref.schemes.base import Scheme, dealloc


def _shard(obj, tid):
    return f"{obj.name}.shard{tid}"


def _quiesced(obj):
    return f"{obj.name}.quiesced"


class Sharded(Scheme):
    name = "sharded"
    promise = "safe under every model: per-thread counts, summed after a grace period"
    source = "Linux include/linux/percpu-refcount.h, lib/percpu-refcount.c (percpu_ref)"

    def layout(self, obj, nthreads):
        return {obj.refcnt: obj.initial_count, _quiesced(obj): 0, **{_shard(obj, t): 0 for t in range(nthreads)}}

    def count(self, obj, nthreads):
        total = Var(obj.refcnt)
        for t in range(nthreads):
            total = BinOp("+", total, Var(_shard(obj, t)))
        return total

    def _add(self, obj, x, delta):
        r = x.reg()
        return [
            Load(r, _shard(obj, x.tid), Order.RLX),
            Store(_shard(obj, x.tid), BinOp("+", Reg(r), Const(delta)), Order.RLX),
        ]

    def incref(self, obj, x):
        return self._add(obj, x, +1)

    def decref(self, obj, x):
        return self._add(obj, x, -1)

    def thread_exit(self, objects, x):
        code = []
        for obj in objects.values():
            passed, total, done = x.reg("gp"), x.reg("sum"), x.label("done")
            code += [
                Rmw(passed, _quiesced(obj), "add", Const(1), Order.ACQ_REL),
                Branch(BinOp("!=", Reg(passed), Const(x.nthreads - 1)), done),
                Load(total, obj.refcnt, Order.RLX),
            ]
            for t in range(x.nthreads):
                part = x.reg("shard")
                code += [Load(part, _shard(obj, t), Order.RLX), Assign(total, BinOp("+", Reg(total), Reg(part)))]
            code += [Branch(BinOp("!=", Reg(total), Const(0)), done), *dealloc(obj), Label(done)]
        return code


SCHEME = Sharded()
