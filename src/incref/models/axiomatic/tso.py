"""x86-TSO (Owens, Sarkar, Sewell, "A better x86 memory model: x86-TSO", TPHOLs 2009;
axiomatic form as in herd7's `x86tso.cat`): every program-order pair is preserved except
a write followed by a read (the store buffer), a thread reads its own buffered writes
early (so `rfi` is not global), and `mfence` (or a C11 seq_cst fence) and locked
instructions (`LOCKED`: both events of a locked RMW, and an unlock) restore W->R order.

This matches the operational TSO of `incref.models.operational`: a FIFO store buffer per
thread with forwarding, drained by mfence/sc fences, lock/unlock and locked RMWs."""

PORF = """
(* implied by the TSO axioms, stated so the reads-from-driven search knows it: a
   po | rf cycle has an rf edge into every po segment (rfi goes forward in po by
   sc-per-location), so each segment starts at a read, and [R] ; po is in ppo: the
   cycle would be a ghb cycle *)
acyclic po | rf as porf
"""

SOURCE = "Owens, Sarkar, Sewell, TPHOLs 2009; herd7 x86tso.cat"

TEXT = (
    """
acyclic po-loc | com as sc-per-location
empty rmw & (fre ; coe) as atomicity
let ppo = [M] ; po ; [M] \\ [W] ; po ; [R]
let implied = [W] ; po ; [LOCKED] | [LOCKED] ; po ; [R]
let fenced = [M] ; po ; [mfence] ; po ; [M]
let ghb = ppo | rfe | co | fr | implied | fenced
acyclic ghb as tso
let free-order = ghb+ | po
"""
    + PORF
)
