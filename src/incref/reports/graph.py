"""An execution graph as text and as Graphviz DOT: `incref litmus --witness` / `--dot`.

The picture is herd7's (as in Alglave, Maranget, Tautschnig, "Herding cats", TOPLAS 2014:
its execution figures): events named a, b, c... per thread in program order, initial
writes apart, and the edges `po` (immediate program order), `rf` (write -> read it feeds),
`co` (immediate coherence successor) and `fr` (read -> the writes coherence-after the one
it read; immediate ones only). The engine's `Witness` (an `Execution` and its final state)
is read through the graph's public accessors; nothing here decides consistency.
"""

from __future__ import annotations

from string import ascii_lowercase

from incref.ir.program import Program
from incref.models.axiomatic import relalg as ra

EDGE_COLOURS = {"po": "black", "rf": "red", "co": "blue", "fr": "orange"}


def _names(events) -> dict[int, str]:
    """a, b, ..., z, a1, b1, ... by event id (herd7 names events by letter); the engine
    leaves unused event slots out of `skeleton.live`, so letters stay consecutive."""
    return {e.eid: ascii_lowercase[i % 26] + (str(i // 26) if i >= 26 else "") for i, e in enumerate(events)}


def _immediate(rel: ra.Rel) -> ra.Rel:
    """`rel` minus `rel;rel`: the edges a picture shows."""
    return ra.diff(rel, ra.seq(rel, rel))


def edges(execution) -> dict[str, list[tuple[int, int]]]:
    """The drawn edges of each relation, as (from, to) event ids."""
    co = execution.co
    return {
        "po": list(ra.pairs(_immediate(execution.skeleton.po))),
        "rf": sorted((w, r) for r, w in execution.rf_of.items()),
        "co": list(ra.pairs(_immediate(co))),
        "fr": list(ra.pairs(ra.diff(execution.fr(), ra.seq(execution.fr(), co)))),
    }


def render_text(program: Program, witness) -> str:
    ex = witness.execution
    events = ex.skeleton.live
    names = _names(events)
    what = "satisfies" if witness.satisfies else "does not satisfy"
    state = " ".join(f"{k}={v};" for k, v in witness.state.items())
    lines = [f"Execution of {program.name} that {what} the condition: {state}"]
    inits = [e for e in events if e.tid < 0]
    if inits:
        lines.append("  init: " + "  ".join(f"{names[e.eid]}: {e.label()}" for e in inits))
    for tid in sorted({e.tid for e in events if e.tid >= 0}):
        evs = [e for e in events if e.tid == tid]
        lines.append(f"  P{tid}: " + "  ".join(f"{names[e.eid]}: {e.label()}" for e in evs))
    for rel, pairs in edges(ex).items():
        if pairs:
            lines.append(f"  {rel}: " + ", ".join(f"{names[a]} -> {names[b]}" for a, b in pairs))
    return "\n".join(lines)


def render_dot(program: Program, witness) -> str:
    ex = witness.execution
    events = ex.skeleton.live
    names = _names(events)
    out = [f'digraph "{program.name}" {{', "  node [shape=box, fontname=monospace];"]
    inits = [e for e in events if e.tid < 0]
    groups = [("init", inits)] + [
        (f"P{t}", [e for e in events if e.tid == t]) for t in sorted({e.tid for e in events if e.tid >= 0})
    ]
    for i, (label, evs) in enumerate(groups):
        out.append(f'  subgraph cluster_{i} {{ label="{label}";')
        out += [f'    {names[e.eid]} [label="{names[e.eid]}: {_quote(e.label())}"];' for e in evs]
        out.append("  }")
    for rel, pairs in edges(ex).items():
        colour = EDGE_COLOURS[rel]
        out += [f'  {names[a]} -> {names[b]} [label="{rel}", color={colour}, fontcolor={colour}];' for a, b in pairs]
    out.append("}")
    return "\n".join(out) + "\n"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
