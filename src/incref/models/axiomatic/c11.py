"""C11 as in Batty, Donaldson, Wickerson, "Overhauling SC atomics in C11 and OpenCL",
POPL 2016, section 3 (herd7's C11 model family). It differs from RC11 (`rc11.py`) in
three places: there is no `po | rf` acyclicity (load buffering, even out of thin air, is
allowed), and the SC axiom orders SC events by the whole of `hb` rather than RC11's
`scb`, while an SC fence orders only through program order (`[F & SC] ; po`, the
standard's "sequenced before" fence rules, 29.3p4-6), not through `hb` as RC11's psc_F
does -- so IRIW with acquire loads and SC fences stays allowed here. C11 also keeps the
standard's rule that a non-atomic read reads a write that happens before it (its
"visible side effect", Batty et al., POPL 2011, section 2), which RC11 drops. Races
on non-atomic locations are flagged `data-race`, as in RC11."""

from incref.models.axiomatic.rc11 import HAPPENS_BEFORE

SOURCE = "Batty, Donaldson, Wickerson, POPL 2016, section 3"

TEXT = (
    HAPPENS_BEFORE
    + """
let psc = ([SC] | [F & SC] ; po) ; (hb | co | fr) ; ([SC] | po ; [F & SC])
acyclic psc as sc
empty [W \\ IW] ; rf ; [R & NA] \\ hb as visible-side-effect
"""
)
