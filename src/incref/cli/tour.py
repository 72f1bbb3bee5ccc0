"""`incref tour`: the story of DESIGN.md's question, chapter by chapter, from the engines."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from incref.cli.common import emit_json, json_option
from incref.tour import CHAPTERS, FULL, QUICK, Chapter, answer, tell


@click.command("tour")
@click.option(
    "--chapter",
    "chapters",
    multiple=True,
    type=click.Choice(list(CHAPTERS)),
    help="Tell only this chapter (repeatable).",
)
@click.option("--quick", is_flag=True, help="Smaller runs and benchmarks: the same story in less time.")
@json_option
def command(chapters, quick, as_json):
    """Can two cores lose a reference-count increment, and what does each fix cost?
    Told by the model checker, the cache simulator, the real cores and the running
    Python, each chapter timed. A chapter whose engine is missing is omitted, saying so;
    exit 3 if an engine could not run on this machine (the story is incomplete)."""
    chosen = [name for name in CHAPTERS if name in chapters] or list(CHAPTERS)  # the story's order
    console = Console(quiet=as_json)
    progress = Console(stderr=True)  # the spinner: on stderr, so stdout holds only the story or the JSON
    start = time.perf_counter()
    told = []
    for number, name in enumerate(chosen, 1):
        with progress.status(f"chapter {number}: {CHAPTERS[name][0]} ...", spinner="dots"):
            chapter = tell(name, QUICK if quick else FULL)
        told.append(chapter)
        _print_chapter(console, number, chapter)
    total = time.perf_counter() - start
    if as_json:
        emit_json(
            {
                "quick": quick,
                "complete": not any(c.failed for c in told),
                "chapters": [c.to_json() for c in told],
                "answer": answer(told),
                "total_seconds": round(total, 3),
            }
        )
    else:
        console.print(Rule("The answer", align="left"))
        for line in answer(told):
            console.print(Text("• " + line))
        console.print(Rule())
        console.print(" · ".join(f"{c.name} {c.seconds:.1f} s" for c in told) + f" — total {total:.1f} s")
    if any(c.failed for c in told):
        sys.exit(3)


def _print_chapter(console: Console, number: int, chapter: Chapter) -> None:
    console.print(Rule(f"{number}. {chapter.title}  ({chapter.seconds:.1f} s)", align="left"))
    if chapter.omitted:
        console.print(Text(f"omitted — {chapter.omitted}", style="yellow"))
        return
    for line in chapter.story:
        console.print(Text("• " + line))
    for figure in chapter.figures:
        if isinstance(figure, str):  # already laid out (a timeline): written as it is, never re-wrapped
            console.out(figure, highlight=False, end="")
        else:
            console.print(figure)
