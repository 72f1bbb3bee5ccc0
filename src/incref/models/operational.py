"""Operational memory models: SC, x86-TSO and SPARC PSO as store-buffer machines.

Each model answers four questions the checker's interpreter asks; the interpreter
(`incref.checker.operational`) owns everything else (registers, program counters,
invariants).  A thread's store buffer is a tuple of `(location, value)` entries, oldest
first.

* **SC** (Lamport 1979): no buffer; every access goes straight to memory, so executions
  are interleavings of instructions.
* **TSO** (Sewell, Sarkar, Owens, Zappa Nardelli, Myreen, "x86-TSO: a rigorous and usable
  programmer's model for x86 multiprocessors", CACM 53(7), 2010, section 3): one FIFO store
  buffer per hardware thread.  A store is appended to the buffer; the buffer's oldest entry
  may reach memory at any time (a `flush`, its own transition).  A load reads the newest
  entry for its location in its own buffer if there is one (store-to-load forwarding),
  memory otherwise.  `mfence` (and a seq_cst fence), every locked instruction (LOCK'd
  read-modify-write, CAS, XCHG) and lock/unlock wait until the buffer is empty.
* **PSO** (The SPARC Architecture Manual, Version 9, 1994, appendix D.6 "Partial Store
  Order"): like TSO but stores to *different* locations may reach memory out of order —
  a FIFO buffer per thread and location.  We keep one tuple sorted by location (a stable
  sort keeps each location's FIFO), so equal buffers hash equally; any location's oldest
  entry may flush.  Every fence (`membar`), lock/unlock, release store and every
  read-modify-write waits until all of the thread's buffers are empty (SPARC v9 D.6: atomic
  load-store instructions are ordered like both a load and a store; release requires
  `membar #StoreStore` before the store).

Exclusive loads and stores (AArch64 LDXR/STXR) have no meaning here: the interpreter
rejects them as `Unsupported`.  Object `free` waits for an empty buffer in every model:
`free()` enters the allocator through a lock, so the thread's own earlier stores to the
object reach memory before it is released.
"""

from __future__ import annotations

from incref.ir.program import Cas, Fence, Free, Instr, Lock, Order, Rmw, Store, Unlock

Buffer = tuple[tuple[str, int], ...]

_FULL_FENCE_KINDS = ("mfence", "dmb.sy")


class OperationalModel:
    """Sequential consistency: no buffer, nothing to drain."""

    name = "sc"
    buffered = False

    def drains(self, instr: Instr) -> bool:
        """Whether `instr` may execute only when the thread's buffer is empty."""
        return False

    def flushable(self, buffer: Buffer) -> tuple[int, ...]:
        """Indices of buffer entries that may reach memory next."""
        return ()

    def buffers(self, instr: Store) -> bool:
        """Whether a store goes into the store buffer (rather than straight to memory)."""
        return False

    def enqueue(self, buffer: Buffer, loc: str, value: int) -> Buffer:
        return buffer + ((loc, value),)

    @staticmethod
    def forward(buffer: Buffer, loc: str) -> int | None:
        """The newest buffered value for `loc` (store-to-load forwarding), if any."""
        for entry_loc, value in reversed(buffer):
            if entry_loc == loc:
                return value
        return None


class TSO(OperationalModel):
    """x86-TSO (Sewell et al., CACM 2010, section 3): a FIFO buffer per thread.

    A seq_cst store is compiled as x86 compilers compile it (the C11 -> x86 mapping,
    Batty et al. POPL 2011; `XCHG`, or `MOV; MFENCE`): a locked write that drains the
    buffer and goes straight to memory, so SB with seq_cst stores and loads is forbidden."""

    name = "tso"
    buffered = True

    def buffers(self, instr: Store) -> bool:
        return instr.order is not Order.SC

    def drains(self, instr: Instr) -> bool:
        if isinstance(instr, (Rmw, Cas, Lock, Unlock, Free)) or isinstance(instr, Store) and instr.order is Order.SC:
            return True
        if isinstance(instr, Fence):
            return instr.kind in _FULL_FENCE_KINDS or (instr.kind == "" and instr.order is Order.SC)
        return False

    def flushable(self, buffer: Buffer) -> tuple[int, ...]:
        return (0,) if buffer else ()


class PSO(OperationalModel):
    """SPARC v9 PSO (appendix D.6): a FIFO buffer per thread and location."""

    name = "pso"
    buffered = True

    def buffers(self, instr: Store) -> bool:
        return instr.order is not Order.SC

    def drains(self, instr: Instr) -> bool:
        if isinstance(instr, (Rmw, Cas, Lock, Unlock, Free, Fence)):
            return True
        return isinstance(instr, Store) and instr.order.releases

    def flushable(self, buffer: Buffer) -> tuple[int, ...]:
        out: list[int] = []
        for i, (loc, _) in enumerate(buffer):
            if i == 0 or buffer[i - 1][0] != loc:
                out.append(i)
        return tuple(out)

    def enqueue(self, buffer: Buffer, loc: str, value: int) -> Buffer:
        return tuple(sorted(buffer + ((loc, value),), key=lambda entry: entry[0]))


MODELS: dict[str, OperationalModel] = {m.name: m for m in (OperationalModel(), TSO(), PSO())}
