"""Exhaustive mode: every interleaving of core steps, store-buffer flushes and protocol
transitions of the machine (`incref.simulator.machine`), explored by the checker's generic
explorer (`incref.checker.explore`: state hashing, persistent-set reduction, shortest
traces), with SWMR and the data-value invariant checked in every reachable state.

The result is a `CheckResult` like the model checker's, so `compare` can set the two side
by side: the final states of a coherent machine with FIFO store buffers must be exactly
x86-TSO's, and with the buffers off exactly SC's (Primer, 2nd ed., sections 3.5 and 4.3:
coherence plus in-order cores gives SC; a FIFO store buffer in front of coherent caches
gives TSO). `stats.extra` carries what only the simulator knows: the protocol, whether
SWMR and the data-value invariant held, and the table cells the exploration exercised.
"""

from __future__ import annotations

from incref.checker.explore import explore
from incref.ir.program import Program
from incref.ir.results import VIOLATION_KINDS, CheckResult, Violation
from incref.simulator.machine import COHERENCE_KINDS, Config, Machine
from incref.simulator.protocols import transitions_count


def simulate(
    program: Program,
    config: Config,
    *,
    reduction: bool | None = None,
    max_states: int | None = None,
    timeout: float | None = None,
    progress=None,
) -> CheckResult:
    """Explore `program` (engine level) on the machine `config` describes. `reduction`
    None: on for a bus, off for a directory — there the directory takes part in every
    transaction on a line, so persistent sets almost never exist (measured: under 1% fewer
    states on the tested scenarios) while looking for them costs a third of the time."""
    machine = Machine(program, config)
    if reduction is None:
        reduction = config.protocol.interconnect == "bus"
    found = explore(machine, reduction=reduction, max_states=max_states, timeout=timeout, progress=progress)
    violations = [
        Violation(kind, found.violations[kind].finding.message, found.violations[kind].trace)
        for kind in VIOLATION_KINDS
        if kind in found.violations
    ]
    extra = {
        "protocol": config.protocol.name,
        "interconnect": config.protocol.interconnect,
        "store_buffers": config.store_buffers,
        "evictions": config.evictions,
        "swmr": "swmr" not in found.violations,
        "data_value": "data-value" not in found.violations,
        "protocol_errors": "protocol" in found.violations,
        "reduction": reduction,
        "cells_exercised": transitions_count(machine.counts),
    }
    return found.result(
        program,
        "tso" if config.store_buffers else "sc",
        f"simulator:{config.protocol.name}-{config.protocol.interconnect}",
        violations,
        extra,
    )


def coherent(result: CheckResult) -> bool:
    """SWMR, the data-value invariant and the protocol tables held in every reachable state."""
    return not any(v.kind in COHERENCE_KINDS for v in result.violations)
