"""PSO, partial store order (SPARC Architecture Manual v9, appendix D; axiomatic form:
x86-TSO's `ghb` without write->write program order). It matches the operational PSO of
`incref.models.operational`: a store buffer per thread *and location* (so writes to
different locations leave in any order, and reads forward from the thread's own
buffer), where every fence, lock/unlock, locked RMW and release store first drains all
of the thread's buffers -- so a write is ordered before a later release store and
everything after it, and a locked instruction (which writes straight to memory) before
everything after it."""

PORF = """
(* implied by the PSO axioms, stated so the reads-from-driven search knows it: a
   po | rf cycle has an rf edge into every po segment (rfi goes forward in po by
   sc-per-location), so each segment starts at a read, and [R] ; po is in ppo: the
   cycle would be a ghb cycle *)
acyclic po | rf as porf
"""

SOURCE = "SPARC v9 manual, appendix D (PSO); x86tso.cat minus W->W, as the operational PSO"

TEXT = (
    """
acyclic po-loc | com as sc-per-location
empty rmw & (fre ; coe) as atomicity
let ppo = [R] ; po ; [M] | [W] ; po ; [W & REL] ; po? ; [M]
let implied = [W] ; po ; [LOCKED] | [LOCKED] ; po ; [M]
let fenced = [M] ; po ; [F] ; po ; [M]
let ghb = ppo | rfe | co | fr | implied | fenced
acyclic ghb as pso
let free-order = ghb+ | po
"""
    + PORF
)
