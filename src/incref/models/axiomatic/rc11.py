"""RC11, repaired C11: Lahav, Vafeiadis, Kang, Hur, Dreyer, "Repairing sequential
consistency in C/C++11", PLDI 2017, section 3 (Definitions 1 and 2; herd7's `rc11.cat`).

Event modes are upward closed as in the paper's `E⊒o`: `RLX` is every atomic access
(rlx, acq, rel, acq_rel, sc), `ACQ` the acquiring ones, `REL` the releasing ones, `SC`
seq_cst. A read-modify-write is a read and a write joined by `rmw`. A race on a
non-atomic location is undefined behaviour (section 3, "data races"): it is not an
axiom but a `flag`, reported as `data-race` (herd7 prints `Undef`)."""

SOURCE = "Lahav et al., PLDI 2017, section 3; herd7 rc11.cat"

# shared with C11 (`c11.py`): happens-before, coherence, atomicity, races (section 3.1-3.2)
HAPPENS_BEFORE = """
let rs = [W] ; po-loc? ; [W & RLX] ; (rf ; rmw)*
let sw = [REL] ; ([F] ; po)? ; rs ; rf ; [R & RLX] ; (po ; [F])? ; [ACQ]
let hb = (po | sw)+
let eco = com+
irreflexive hb ; eco? as coherence
empty rmw & (fre ; coe) as atomicity
let conflict = [ACCESS] ; (loc & ext) ; [ACCESS] \\ [R] ; loc ; [R]
flag ([NA] ; conflict | conflict ; [NA]) \\ (hb | hb^-1) as data-race
let free-order = hb
"""

TEXT = (
    HAPPENS_BEFORE
    + """
let scb = po | (po \\ loc) ; hb ; (po \\ loc) | hb & loc | co | fr
let psc-base = ([SC] | [F & SC] ; hb?) ; scb ; ([SC] | hb? ; [F & SC])
let psc-f = [F & SC] ; (hb | hb ; eco ; hb) ; [F & SC]
acyclic psc-base | psc-f as sc
acyclic po | rf as no-thin-air
"""
)
