"""Rendering a check: the per-thread timeline (one column per thread, flushes as their
own events, values read and written) and the outcome table."""

import io

from rich.console import Console

from checker_scenarios import incref_decref, sb
from incref.checker import check
from incref.reports.tables import outcome_table
from incref.reports.timeline import render_trace


def test_timeline_has_a_column_per_thread_and_shows_flushes_and_values():
    program = incref_decref()
    result = check(program, "tso")
    uaf = next(v for v in result.violations if v.kind == "use-after-free")
    text = render_trace(program, uaf)
    header = next(line for line in text.splitlines() if "(thread 0)" in line)
    assert "(thread 1)" in header and header.index("(thread 0)") < header.index("(thread 1)")
    assert "flush" in text and "reaches memory" in text
    assert "read obj.refcnt = " in text and "<- use-after-free" in text
    # one numbered row per event of the trace
    rows = [line.split()[0] for line in text.splitlines() if line.strip() and line.split()[0].isdigit()]
    assert rows == [str(n) for n in range(1, len(uaf.trace) + 1)]


def test_flush_steps_sit_in_the_column_of_the_thread_whose_buffer_drains():
    program = incref_decref()
    uaf = next(v for v in check(program, "tso").violations if v.kind == "use-after-free")
    text = render_trace(program, uaf, width=120)
    header = next(line for line in text.splitlines() if "(thread 0)" in line)
    column_1 = header.index(program.threads[1].name)
    for step, line in zip([s for s in uaf.trace], [row for row in text.splitlines() if row.strip()[:1].isdigit()]):
        if step.step == "flush":
            assert (line.index("flush") >= column_1) is (step.thread == 1)


def test_outcome_table_lists_each_state_with_counts_and_condition():
    program = sb()
    result = check(program, "tso")
    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(outcome_table(program, result))
    text = buf.getvalue()
    assert "4 final states under tso" in text
    assert text.count("yes") == 1  # only (0, 0) satisfies the exists
    for o in result.outcomes:
        assert f"{o.count:,}" in text
