"""Real cores: scenarios compiled to C and run on this machine (`run`), refcount costs
measured in ns per operation (`bench`), and the machine they ran on (`environment`).

The engine-level IR becomes C (`codegen`), the system compiler builds it (`compile`),
and `runner` runs it with pinned, synchronised threads under a watchdog."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from incref.hardware.runner import RunResult


def run(program, iterations: int, *, deadline: float | None = None, **options) -> RunResult:
    """Run an engine-level `program` `iterations` times on real cores (see `runner.run`)."""
    from incref.hardware.runner import run as _run

    return _run(program, iterations, deadline=deadline, **options)
