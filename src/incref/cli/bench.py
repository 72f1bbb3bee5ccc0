"""`incref bench`: ns per refcount operation for each fix, uncontended and contended, on
this machine — the loop bodies are the schemes' own IR compiled to C (see
`incref.hardware.bench` for the measurement method)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from incref.cli.common import OUTPUT_FILE, comma_list, emit_json, json_option
from incref.errors import UsageError
from incref.hardware.bench import RUNS, SHARINGS, BenchReport, bench, variant_names
from incref.hardware.environment import summary


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in comma_list(text, "--threads"))
    except ValueError:
        raise UsageError(f"--threads takes a comma-separated list of integers, got {text!r}") from None


def bench_table(report: BenchReport) -> Table:
    plain = next((m.ns_per_op for m in report.measurements if m.name == "plain" and m.threads == 1), None)
    table = Table(title="ns per refcount operation (median; loop overhead subtracted)", title_justify="left")
    for name, justify in (
        ("scheme", "left"),
        ("threads", "right"),
        ("sharing", "left"),
        ("ns/op", "right"),
        ("min..max", "right"),
        ("× plain", "right"),
        ("clean", "right"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)
    for m in report.measurements:
        ratio = f"{m.ns_per_op / plain:.1f}" if plain and plain > 0 else "—"
        table.add_row(
            m.name,
            str(m.threads),
            m.sharing if m.threads > 1 else "—",
            f"{m.ns_per_op:.2f}",
            f"{m.spread[0]:.2f}..{m.spread[1]:.2f}",
            ratio,
            f"{m.clean_runs}/{len(m.runs)}",
        )
    table.caption = (
        "CPU time per thread; a clean run had every thread on its core the whole time "
        "(a contended figure needs that); × plain: against plain with 1 thread"
    )
    return table


def print_report(report: BenchReport, out: Console) -> None:
    """The table, what each row's loop does, what was skipped, and the machine."""
    out.print(bench_table(report))
    for name, note in dict((m.name, m.note) for m in report.measurements).items():
        out.print(f"  {name}: {note}", highlight=False)
    for note in report.skipped:
        out.print(f"[yellow]skipped {note}[/]")
    out.print(f"[dim]{summary(report.environment)}[/]")


def plot(report: BenchReport, path: str) -> None:
    """Grouped bars (one group per scheme, one bar per thread count) with min..max
    whiskers, written with matplotlib's Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(m.name for m in report.measurements))
    series = sorted({(m.threads, m.sharing) for m in report.measurements})
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(names)), 4.0))
    width = 0.8 / max(len(series), 1)
    for k, (threads, sharing) in enumerate(series):
        points = {m.name: m for m in report.measurements if (m.threads, m.sharing) == (threads, sharing)}
        xs = [i + k * width for i, n in enumerate(names) if n in points]
        ms = [points[n] for n in names if n in points]
        ys = [m.ns_per_op for m in ms]
        errs = [[m.ns_per_op - m.spread[0] for m in ms], [m.spread[1] - m.ns_per_op for m in ms]]
        label = f"{threads} thread{'s' if threads > 1 else ''}" + (f", {sharing}" if threads > 1 else "")
        ax.bar(xs, ys, width, yerr=errs, capsize=3, label=label)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(names))], names, rotation=20, ha="right")
    ax.set_ylabel("ns per refcount operation")
    ax.set_title("Cost of each refcount scheme", fontsize=11)
    ax.legend()
    fig.text(0.01, 0.01, summary(report.environment)[:150], fontsize=6)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    try:
        fig.savefig(path)
    except OSError as exc:
        raise UsageError(f"cannot write the plot to {path}: {exc.strerror}") from None
    finally:
        plt.close(fig)


def check_plot_path(path: str) -> None:
    """Refuse, before minutes of measuring, a plot path matplotlib cannot write: a
    directory, or a file type it has no writer for."""
    from pathlib import Path

    import matplotlib
    from matplotlib.backend_bases import FigureCanvasBase

    matplotlib.use("Agg")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a directory; --plot takes a file name such as bench.png")
    suffix = target.suffix.lstrip(".").lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise UsageError(
            f"{path}: --plot writes {', '.join(sorted(formats))} files, not {suffix or 'a file without a suffix'!r}"
        )


@click.command("bench")
@click.option(
    "--schemes", default=",".join(variant_names()), show_default=True, help="Comma-separated rows to measure."
)
@click.option("--threads", "threads_text", default="1,2", show_default=True, help="Thread counts, comma-separated.")
@click.option(
    "--sharing",
    type=click.Choice(SHARINGS),
    default="shared",
    show_default=True,
    help="With several threads: one shared object (contended) or one object each.",
)
@click.option("--runs", type=int, default=RUNS, show_default=True, help="Timed runs per row (after a warm-up).")
@click.option(
    "--plot", "plot_path", type=OUTPUT_FILE, default=None, metavar="FILE", help="Write a bar chart (PNG, SVG, PDF)."
)
@json_option
def command(schemes, threads_text, sharing, runs, plot_path, as_json):
    """Measure ns per refcount operation for each scheme on this machine's cores."""
    chosen = comma_list(schemes, "--schemes")
    threads = _int_list(threads_text)
    if plot_path:
        check_plot_path(plot_path)
    err = Console(stderr=True)
    progress = None if as_json else (lambda what: err.print(f"[dim]measuring {what}…[/]"))
    report = bench(chosen, threads, sharing, runs, progress)
    if plot_path:
        plot(report, plot_path)
    if as_json:
        emit_json(report.to_json())
        return
    out = Console()
    print_report(report, out)
    if plot_path:
        out.print(f"plot written to {plot_path}")
