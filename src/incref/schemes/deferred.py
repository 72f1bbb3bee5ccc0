"""`deferred`: PEP 703 deferred reference counting, for objects reclaimed only by the
garbage collector (functions, code objects, modules, top-level classes).

PEP 703 ("Deferred reference counting"): the interpreter skips the reference-count
operations for references held on the evaluation stack of a deferred object; such an
object is never freed by its count reaching zero, only by the stop-the-world GC, which
finds the stack references when it scans the frames. CPython 3.14 implements it with
tagged stack references (Include/internal/pycore_stackref.h: `PyStackRef_FromPyObjectNew`
tags a deferred object's reference with `Py_TAG_DEFERRED` instead of `Py_INCREF`, and
`PyStackRef_CLOSE` of a tagged reference does nothing). So in a scenario whose object
is deferred, `incref`/`decref` are stack-reference operations that touch no memory.

The count then no longer counts these references, and reclamation is the GC's job (not
modelled): the lost-update and leak checks do not apply; use after free and double
free do, and hold trivially because the count never frees.

Promise: no contention, no race, no write at all on the object's count for deferred
references; the price is that the object lives until a GC cycle."""

from incref.ir.program import INVARIANTS
from incref.schemes.base import Scheme


class Deferred(Scheme):
    name = "deferred"
    promise = "no count traffic for deferred references; freed only by the GC"
    source = "PEP 703 (deferred reference counting); CPython pycore_stackref.h (Py_TAG_DEFERRED)"
    invariants = frozenset(INVARIANTS) - {"lost-update", "leak"}

    def incref(self, obj, x):
        return []

    def decref(self, obj, x):
        return []


SCHEME = Deferred()
