"""The zoo as one self-contained HTML page: the verdict matrix (scenario × scheme rows,
model columns) and, for every ✘ cell, each counterexample as a per-thread timeline
(one column per thread, one row per step, as the terminal timeline shows it).
No scripts, no external assets: it opens from a file in any browser."""

from __future__ import annotations

from html import escape

from incref.ir.results import Violation

MARKS = {"safe": "✔", "violation": "✘", "incomplete": "?", "skipped": "–"}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; }
td.safe { background: #e7f6e7; } td.violation { background: #fbe4e4; }
td.incomplete { background: #fff4d6; } td.skipped { color: #999; }
td.timeline { font-family: ui-monospace, monospace; font-size: 0.85em; white-space: pre; }
.secs { color: #777; font-size: 0.8em; }
section.cex { margin-top: 2em; }
"""


def _anchor(cell) -> str:
    return f"{cell.scheme}-{cell.scenario}-{cell.model}".replace(" ", "_")


def _cell_html(cell) -> str:
    if cell.verdict == "skipped":
        return f'<td class="skipped" title="the scenario does not apply to this scheme">{MARKS["skipped"]}</td>'
    text = MARKS[cell.verdict]
    if cell.verdict == "violation":
        text = f'<a href="#{escape(_anchor(cell))}">{text} {escape(", ".join(cell.violation_kinds))}</a>'
    return f'<td class="{cell.verdict}">{text} <span class="secs">{cell.seconds:.2f}s</span></td>'


def timeline_html(violation: Violation, names: dict[int, str] | None = None) -> str:
    """A trace as a table: one column per thread (named as in the scenario), each step
    in its thread's column; steps of no thread get a last column when there are any."""
    names = names or {}
    threads = sorted({s.thread for s in violation.trace if s.thread is not None})
    columns: list[int | None] = [*threads, *([None] if any(s.thread is None for s in violation.trace) else [])]
    head = "".join(f"<th>{escape(names.get(t, f'P{t}') if t is not None else 'other')}</th>" for t in columns)
    rows = []
    for number, step in enumerate(violation.trace, 1):
        text = escape(step.step + (f"  {step.detail}" if step.detail else ""))
        cells = "".join(f'<td class="timeline">{text if step.thread == t else ""}</td>' for t in columns)
        rows.append(f"<tr><td>{number}</td>{cells}</tr>")
    return f"<table><tr><th>#</th>{head}</tr>{''.join(rows)}</table>"


def render(cells) -> str:
    """The page for `cells` (records from `incref.zoo.run`)."""
    models = list(dict.fromkeys(c.model for c in cells))
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for cell in cells:
        rows.setdefault((cell.scenario, cell.scheme), {})[cell.model] = cell
    body = [f"<tr><th>scenario</th><th>scheme</th>{''.join(f'<th>{escape(m)}</th>' for m in models)}</tr>"]
    for (scenario, scheme), by_model in rows.items():
        tds = "".join(_cell_html(by_model[m]) if m in by_model else "<td></td>" for m in models)
        body.append(f"<tr><td>{escape(scenario)}</td><td>{escape(scheme)}</td>{tds}</tr>")
    sections = []
    for cell in cells:
        if cell.verdict != "violation":
            continue
        parts = [
            f'<section class="cex" id="{escape(_anchor(cell))}">',
            f"<h2>{escape(cell.scheme)} · {escape(cell.scenario)} · {escape(cell.model)}</h2>",
        ]
        for violation in cell.result.violations:
            parts.append(f"<h3>{escape(violation.kind)}</h3><p>{escape(violation.message)}</p>")
            parts.append(timeline_html(violation, {t.tid: f"{t.name} (P{t.tid})" for t in cell.program.threads}))
        parts.append("</section>")
        sections.append("".join(parts))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>incref: refcount scheme zoo</title><style>{STYLE}</style></head><body>"
        "<h1>The refcount scheme zoo</h1>"
        "<p>Each cell: one exhaustive check of the scheme on the scenario under the model. "
        "✔ safe (complete exploration), ✘ violation (linked to its shortest counterexample), "
        "? incomplete, – the scenario does not apply to the scheme.</p>"
        f"<table>{''.join(body)}</table>{''.join(sections)}</body></html>\n"
    )
