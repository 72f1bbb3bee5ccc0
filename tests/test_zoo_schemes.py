"""Scheme definitions as data: what each expansion must contain, by its source."""

from incref import schemes
from incref.ir.program import (
    Branch,
    Cas,
    Decref,
    Fence,
    Free,
    Incref,
    Lock,
    Order,
    Program,
    Rmw,
    Store,
    Thread,
    Unlock,
    default_object,
    desugar_locks,
    link,
)


def one_object_program(code_per_thread, **attrs):
    obj, locs = default_object("obj", 2, **attrs)
    threads = tuple(Thread(t, link(code)) for t, code in enumerate(code_per_thread))
    return Program("t", locs, threads, {"obj": obj})


def expand(name, code_per_thread, **attrs):
    return schemes.apply_scheme(one_object_program(code_per_thread, **attrs), schemes.get(name))


def test_desugared_locks_keep_branches_on_their_instruction():
    code = expand("gil", [[Decref("obj"), Incref("obj")]]).threads[0].code
    flat = desugar_locks(code, 0)
    before = [i for i in code if isinstance(i, Branch)]
    after = [i for i in flat if isinstance(i, Branch)]
    assert len(before) == len(after) > 0
    for old, new in zip(before, after):
        target = code[old.target] if old.target < len(code) else None
        landed = flat[new.target] if new.target < len(flat) else None
        desugared = {Lock: Cas, Unlock: Store}.get(type(target))
        assert landed is target or (desugared is not None and isinstance(landed, desugared))


def test_arc_orders_are_rusts():
    (inc,) = [i for i in expand("arc", [[Incref("obj")]]).threads[0].code if isinstance(i, Rmw)]
    assert inc.order is Order.RLX
    code = expand("arc", [[Decref("obj")]]).threads[0].code
    (dec,) = [i for i in code if isinstance(i, Rmw)]
    assert dec.order is Order.REL
    assert any(isinstance(i, Fence) and i.order is Order.ACQ for i in code)
    relaxed = expand("arc-relaxed", [[Decref("obj")]]).threads[0].code
    assert not any(isinstance(i, Fence) for i in relaxed)
    assert [i.order for i in relaxed if isinstance(i, Rmw)] == [Order.RLX]


def test_gil_nofence_is_gil_with_relaxed_lock_operations():
    code = expand("gil-nofence", [[Incref("obj")]]).threads[0].code
    assert not any(isinstance(i, Lock) for i in code)
    assert [i.order for i in code if isinstance(i, (Rmw, Store)) and i.loc == "gil"] == [Order.RLX, Order.RLX]


def test_biased_owner_counts_locally_and_others_share():
    program = expand("biased", [[Incref("obj")], [Incref("obj")]], owner=1)
    assert program.locations["obj.tid"] == 2  # owner + 1
    assert program.locations["obj.local"] == 2
    assert "brc.exited1" in program.locations
    shared_adds = [i for i in program.threads[0].code if isinstance(i, Rmw) and i.loc == "obj.shared"]
    assert shared_adds and shared_adds[0].order is Order.SC
    assert any(isinstance(i, Lock) for i in program.threads[1].code)  # the owner's exit merges its queue
    assert not any(isinstance(i, Lock) for i in program.threads[0].code)


def test_biased_non_owner_decref_can_queue_and_merge():
    code = expand("biased", [[Decref("obj")], [Decref("obj")]]).threads[1].code
    assert any(isinstance(i, Cas) and i.loc == "obj.shared" for i in code)
    assert any(isinstance(i, Store) and i.loc == "brc.obj.queued" for i in code)
    assert sum(isinstance(i, Free) for i in code) >= 3  # merged-zero, queue-merge, shared-zero paths


def test_sharded_counts_per_thread_and_frees_at_the_grace_period():
    program = expand("sharded", [[Decref("obj")], [Decref("obj")]])
    first = program.threads[0].code
    assert {i.loc for i in first if isinstance(i, Store)} == {"obj.shard0"}
    assert not any(isinstance(i, Free) for i in first[: first.index(next(i for i in first if isinstance(i, Rmw)))])


def test_immortal_objects_start_at_the_immortal_count_and_drop_count_checks():
    from incref.schemes.immortal import IMMORTAL_INITIAL_REFCNT

    program = expand("immortal", [[Incref("obj")]], immortal=1)
    assert program.locations["obj.refcnt"] == IMMORTAL_INITIAL_REFCNT
    assert "lost-update" not in program.objects["obj"].invariants
    mortal = expand("immortal", [[Incref("obj")]])
    assert "lost-update" in mortal.objects["obj"].invariants


def test_deferred_references_touch_no_memory():
    code = expand("deferred", [[Incref("obj"), Decref("obj")]]).threads[0].code
    assert not any(isinstance(i, (Rmw, Store, Cas, Free)) for i in code)
