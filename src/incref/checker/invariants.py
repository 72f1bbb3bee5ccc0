"""The refcount invariants, as plain functions of one execution's facts, so that every
exhaustive engine (operational here, axiomatic in `incref.checker.axiomatic`) reports the
same violations with the same messages.

* **lost update** — the scheme's logical count (`ObjectInfo.count`, an expression over
  final values) differs from the initial count plus the `ObjOp.delta`s the execution ran;
  checked only where the scheme lists "lost-update" in `ObjectInfo.invariants`.
* **use after free** — a load, store (when it reaches memory, so a store-buffer flush),
  read-modify-write or CAS on a field of an object whose `Free` already happened.
* **double free** — a `Free` of an object already freed.
* **leak** — the references the execution took and dropped bring the expected count to 0,
  yet the object was never freed.
* **assertion** — an `Assert` whose condition is 0.
* **condition** — one final state refutes a `~exists` or `forall` condition
  (`Condition.is_violated_by`); an `exists` is only *witnessed*, never violated.
"""

from __future__ import annotations

from collections.abc import Mapping

from incref.checker.explore import Finding
from incref.ir.program import ObjectInfo, Program, evaluate


def use_after_free(program: Program, loc: str, memory: Mapping[str, int], what: str, thread: int) -> Finding | None:
    """`what` (load, store, flush, ...) by `thread` touches `loc`; a finding if `loc` is
    a field of an object that is already freed in `memory`."""
    obj = owner(program, loc)
    if obj is None or "use-after-free" not in obj.invariants or not memory.get(obj.freed, 0):
        return None
    return Finding("use-after-free", f"thread {thread}: {what} of {loc} after {obj.name} was freed")


def owner(program: Program, loc: str) -> ObjectInfo | None:
    """The object `loc` is a field of."""
    return next((o for o in program.objects.values() if loc in o.fields), None)


def double_free(program: Program, obj: str, memory: Mapping[str, int], thread: int) -> Finding | None:
    info = program.objects.get(obj)
    if info is None or "double-free" not in info.invariants or not memory.get(info.freed, 0):
        return None
    return Finding("double-free", f"thread {thread}: free of {obj}, which was already freed")


def assertion(message: str, thread: int) -> Finding:
    return Finding("assertion", f"thread {thread}: assertion failed: {message}")


def end_of_execution(
    program: Program,
    memory: Mapping[str, int],
    deltas: Mapping[str, int],
    state: Mapping[str, int],
) -> list[Finding]:
    """Violations visible at the end of a complete execution: lost update and leak for
    each object (given the final `memory` and the sum of executed deltas per object), and
    the condition against the outcome `state`."""
    found: list[Finding] = []
    for name, obj in program.objects.items():
        expected = obj.initial_count + deltas.get(name, 0)
        freed = bool(memory.get(obj.freed, 0))
        if "lost-update" in obj.invariants:
            actual = evaluate(obj.count, memory)
            if actual != expected:
                found.append(
                    Finding(
                        "lost-update",
                        f"{name}: final count {actual}, expected {expected} "
                        f"(initial {obj.initial_count}, net {deltas.get(name, 0):+d} from the operations executed)",
                    )
                )
        if "leak" in obj.invariants and expected == 0 and not freed:
            found.append(Finding("leak", f"{name}: every reference was dropped but {name} was never freed"))
    cond = program.condition
    if cond is not None and cond.is_violated_by(state):
        shown = ", ".join(f"{k}={v}" for k, v in state.items())
        found.append(Finding("condition", f"final state {shown} refutes '{cond.text}'"))
    return found
