"""`incref litmus FILE_OR_DIR...`: herd7 litmus tests, answered as herd7 answers them.

The model follows the architecture unless `--model` says otherwise (X86 -> tso, AArch64 ->
armv8, C -> rc11). Directories are walked recursively for `*.litmus`; a malformed or
unsupported test is reported and the run goes on. Exit code: 0 when every test was
answered, 2 when a file was malformed (or an engine failed on one), 3 when a budget cut
an exploration short."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from incref.checker import refuse_engine_without_model
from incref.cli.common import MODELS, OUTPUT_FILE, SECONDS, emit_json, json_option
from incref.errors import UsageError
from incref.frontends.litmus.verdict import Verdict, run_file

RESULTS = ("Ok", "No", "Undef", "unsupported", "malformed", "incomplete", "error")


def collect(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for spec in paths:
        if not spec.strip():
            raise UsageError(f"{spec!r} is not a path (an empty argument would read the current folder)")
        path = Path(spec)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.litmus")))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{spec}: no such file or directory")
    return files


@click.command("litmus")
@click.argument("paths", nargs=-1, required=True, metavar="FILE_OR_DIR...")
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default=None,
    help="Memory model (default: tso for X86, armv8 for AArch64, rc11 for C).",
)
@json_option
@click.option("--witness", is_flag=True, help="Print one execution graph that shows the condition's answer.")
@click.option(
    "--dot",
    "dot_file",
    type=OUTPUT_FILE,
    default=None,
    help="Write the witness execution graph as Graphviz DOT to this file.",
)
@click.option(
    "--engine",
    type=click.Choice(("axiomatic", "operational", "auto")),
    default="axiomatic",
    show_default=True,
    help="axiomatic counts executions as herd7 does (execution graphs); "
    "operational (sc, tso, pso only) counts interleavings.",
)
@click.option(
    "--timeout",
    type=SECONDS,
    default=None,
    help="Seconds allowed per test (then: incomplete).",
)
def command(paths, model, as_json, witness, dot_file, engine, timeout) -> None:
    """Check herd7 litmus tests and print herd7's verdicts."""
    if model is not None:
        refuse_engine_without_model(engine, model)
    files = collect(paths)
    if not files:
        raise UsageError(f"no .litmus files found in {', '.join(paths)}")
    if (witness or dot_file) and len(files) != 1:
        raise UsageError("--witness and --dot take a single litmus file")
    if (witness or dot_file) and engine != "axiomatic":
        raise UsageError("--witness and --dot need the axiomatic engine (the one that builds execution graphs)")
    verdicts = _run_all(files, model, timeout, engine, show_progress=len(files) > 1)
    if as_json:
        docs = [v.to_json() for v in verdicts]
        emit_json(docs[0] if len(paths) == 1 and Path(paths[0]).is_file() else docs)
    else:
        for v in verdicts:
            click.echo(v.herd_text())
            if witness or dot_file:
                _show_witness(v, witness, dot_file)
            click.echo()
    counts = Counter(v.result for v in verdicts)
    for v in verdicts:
        if v.result in ("malformed", "error"):
            click.echo(f"incref: {v.reason if v.result == 'malformed' else f'{v.file}: {v.reason}'}", err=True)
    if len(verdicts) > 1:
        summary = ", ".join(f"{r} {counts[r]}" for r in RESULTS if counts[r] or r in RESULTS[:4])
        click.echo(f"Summary: {len(verdicts)} tests: {summary}", err=as_json)
    if counts["malformed"] or counts["error"]:
        sys.exit(2)
    if counts["incomplete"]:
        sys.exit(3)


def _run_all(
    files: list[Path], model: str | None, timeout: float | None, engine: str, show_progress: bool
) -> list[Verdict]:
    if not show_progress:
        return [run_file(f, model, timeout=timeout, engine=engine) for f in files]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    verdicts = []
    with Progress(
        TextColumn("litmus"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=len(files))
        for f in files:
            bar.update(task, description=f.name)
            verdicts.append(run_file(f, model, timeout=timeout, engine=engine))
            bar.advance(task)
    return verdicts


def _show_witness(verdict: Verdict, text: bool, dot_file: str | None) -> None:
    """The engine's chosen execution as an execution graph (events per thread, po, rf, co,
    fr), rendered by `incref.reports.graph` when the engine gave one."""
    chosen = None if verdict.check is None else verdict.check.witness
    if chosen is None:
        raise UsageError(
            f"no witness execution for this test under {verdict.model} "
            "(witnesses come from the axiomatic engine: try --model with an axiomatic model "
            "or a test that has executions)"
        )
    from incref.reports import graph

    if text:
        click.echo(graph.render_text(verdict.program, chosen))
    if dot_file:
        Path(dot_file).write_text(graph.render_dot(verdict.program, chosen))
