"""ARMv8 (AArch64), the official multi-copy-atomic model: Pulte, Flur, Deacon, French,
Sarkar, Sewell, "Simplifying ARM concurrency: multicopy-atomic axiomatic and operational
models for ARMv8", POPL 2018, section 4 (the model of herd7's `aarch64.cat`).

Sets: `A` acquire loads (LDAR, LDAXR, the read of an A/AL atomic), `Q` LDAPR, `L`
release stores (STLR, STLXR, the write of an L/AL atomic), fences `dmb.full`, `dmb.ld`,
`dmb.st`, `isb`. Native scenarios get their sets from `arm_flavour` below: the standard
C11 -> ARMv8 compilation mapping (rlx/na -> LDR/STR, acq -> LDAR, rel -> STLR,
seq_cst load/store -> LDAR/STLR, RMWs -> LDADD/SWP/CAS with A/L/AL, acquire fence ->
DMB ISHLD, other fences -> DMB ISH), as on the Cambridge "C/C++11 mappings to processors"
page and in Podkopaev, Lahav, Vafeiadis, "Bridging the gap between programming languages
and hardware weak memory models", POPL 2019, section 6.

`lws` (local write successor: a write after an access to its location) is in the
locally-ordered-before of the ARM ARM (DDI 0487, B2.3.7) and herd7's `aarch64.cat`;
without it `LB+data+data-wsi` would be allowed.

A use after free is an access that is neither program-order before the free nor
ordered-before it (`ob`): GenMC's object invariants carried to ARMv8."""

from __future__ import annotations

from incref.ir.program import Fence, Order

SOURCE = "Pulte et al., POPL 2018, section 4; herd7 aarch64.cat; ARM ARM B2.3 (lws)"

TEXT = """
acyclic po-loc | fr | co | rf as internal
empty rmw & (fre ; coe) as atomic
let obs = rfe | fre | coe
let dob = addr | data | ctrl ; [W] | (ctrl | addr ; po) ; [isb] ; po ; [R]
        | addr ; po ; [W] | (addr | data) ; rfi
let aob = rmw | [range(rmw)] ; rfi ; [A | Q]
let bob = po ; [dmb.full] ; po | [L] ; po ; [A] | [R] ; po ; [dmb.ld] ; po
        | [A | Q] ; po | [W] ; po ; [dmb.st] ; po ; [W] | po ; [L]
let lws = po-loc ; [W]
let ob = (obs | lws | dob | aob | bob)+
acyclic ob as external
let free-order = ob | po
"""

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
