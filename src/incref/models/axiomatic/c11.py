"""C11 as in Batty, Donaldson, Wickerson, "Overhauling SC atomics in C11 and OpenCL",
POPL 2016, section 3 (herd7's C11 model family). It differs from RC11 (`rc11.py`) in
two places: there is no `po | rf` acyclicity (load buffering, even out of thin air, is
allowed), and the SC axiom orders SC events by the whole of `hb` rather than RC11's
weaker `scb` (so the Power/ARM compilation anomalies of section 2 of the RC11 paper are
forbidden here as the standard intends). Races on non-atomic locations are flagged
`data-race`, as in RC11."""

SOURCE = "Batty, Donaldson, Wickerson, POPL 2016, section 3"

TEXT = """
let rs = [W] ; po-loc? ; [W & RLX] ; (rf ; rmw)*
let sw = [REL] ; ([F] ; po)? ; rs ; rf ; [R & RLX] ; (po ; [F])? ; [ACQ]
let hb = (po | sw)+
let eco = com+
irreflexive hb ; eco? as coherence
empty rmw & (fre ; coe) as atomicity
let psc = ([SC] | [F & SC] ; hb?) ; (hb | co | fr) ; ([SC] | hb? ; [F & SC])
acyclic psc as sc
let conflict = [ACCESS] ; (loc & ext) ; [ACCESS] \\ [R] ; loc ; [R]
flag ([NA] ; conflict | conflict ; [NA]) \\ (hb | hb^-1) as data-race
let free-order = hb
"""
