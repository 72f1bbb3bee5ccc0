"""The ARMv8 event sets of IR events (the model itself is `incref/models/cat/armv8.cat`).

Native scenarios get their ARMv8 sets from the standard C11 -> ARMv8 compilation mapping
(rlx/na -> LDR/STR, acq -> LDAR, rel -> STLR, seq_cst load/store -> LDAR/STLR, RMWs ->
LDADD/SWP/CAS with A/L/AL, acquire fence -> DMB ISHLD, other fences -> DMB ISH), as on the
Cambridge "C/C++11 mappings to processors" page and in Podkopaev, Lahav, Vafeiadis,
"Bridging the gap between programming languages and hardware weak memory models", POPL
2019, section 6; AArch64 litmus tests name their own instructions."""

from __future__ import annotations

from incref.ir.program import Fence, Order

FENCE_SETS = {"dmb.sy": "dmb.full", "mfence": "dmb.full", "dmb.ld": "dmb.ld", "dmb.st": "dmb.st", "isb": "isb"}


def access_flavour(order: Order, is_read: bool, kind: str = "") -> str | None:
    """The ARMv8 set (`A`, `Q`, `L`) of one access event with IR order `order`; the same
    rule serves AArch64 litmus (LDAR is `acq`, LDAPR `acq` with kind "ldapr", STLR `rel`)
    and the C11 mapping (an sc load is LDAR, an sc store STLR)."""
    if is_read and order.acquires:
        return "Q" if kind == "ldapr" else "A"
    if not is_read and order.releases:
        return "L"
    return None


def fence_flavour(fence: Fence) -> str | None:
    """The ARMv8 barrier of a fence: its own kind for AArch64 litmus, else the C11
    mapping (acquire fence -> DMB ISHLD, release/acq_rel/seq_cst -> DMB ISH)."""
    if fence.kind:
        return FENCE_SETS.get(fence.kind)
    if fence.order is Order.ACQ:
        return "dmb.ld"
    if fence.order is Order.RLX:
        return None
    return "dmb.full"
