"""The native scenario format: a Lark grammar (`scenario.lark`), a parser to the scenario
tree (`parser.py`, `ast.py`) and one compiler from that tree to IR (`compiler.py`), which
the Python builder shares. docs/FORMAT.md documents the format."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from incref import budget
from incref.frontends.scenario.compiler import compile_scenario
from incref.frontends.scenario.parser import parse, read_file
from incref.ir.program import Program


def parse_file(path: str | Path, params: Mapping[str, int] | None = None) -> Program:
    """A scenario file as a scenario-level `Program`, parameters set from `params`."""
    text = read_file(path)
    budget.check("reading the scenario")
    tree = parse(text, str(path), Path(path).stem)
    budget.check("parsing the scenario")
    return compile_scenario(tree, params)


def parse_text(text: str, params: Mapping[str, int] | None = None, file: str = "<string>") -> Program:
    """Scenario text (tests, documentation examples) as a scenario-level `Program`."""
    return compile_scenario(parse(text, file), params)


__all__ = ["parse_file", "parse_text", "compile_scenario"]
