"""A violation's trace as a per-thread timeline: one column per thread, one row per event
in execution order, so a reader follows each thread downwards and the interleaving
across.  Store-buffer flushes are events of their own (`flush`), in the column of the
thread whose buffer drains, as in the x86-TSO abstract machine's "write from buffer to
memory" step (Sewell et al., CACM 2010, section 3)."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from incref.ir.program import Program
from incref.ir.results import Violation


def trace_table(program: Program, violation: Violation) -> Table:
    """The timeline as a rich table (the terminal renders it; `render_trace` gives text)."""
    names = {t.tid: t.name for t in program.threads}
    tids = [t.tid for t in program.threads]
    table = Table(box=box.SIMPLE_HEAVY, title=escape(f"{violation.kind}: {violation.message}"), title_justify="left")
    table.add_column("#", justify="right", style="dim")
    for tid in tids:
        table.add_column(f"{names[tid]} (thread {tid})")
    extra = any(s.thread not in names for s in violation.trace)
    if extra:
        table.add_column("(no thread)")
    for n, step in enumerate(violation.trace, 1):
        text = escape(f"{step.step}\n  {step.detail}" if step.detail else step.step)
        if step.step == "flush":
            text = f"[italic]{text}[/italic]"
        cells = ["" for _ in tids] + ([""] if extra else [])
        cells[tids.index(step.thread) if step.thread in names else len(tids)] = text
        table.add_row(str(n), *cells)
    return table


def render_trace(program: Program, violation: Violation, width: int | None = None) -> str:
    """Plain text of `trace_table`, `width` columns wide (default: 46 per thread)."""
    width = width or max(80, 6 + 46 * len(program.threads))
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, highlight=False).print(trace_table(program, violation))
    return buf.getvalue()
