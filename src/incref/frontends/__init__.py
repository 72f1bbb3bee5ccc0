"""Front ends: everything that turns a user's scenario into IR.

`load_program` is the one entry point the CLI and the API use: a bundled example name, a
native scenario file (`.inc`, `incref.frontends.scenario`), a herd7 litmus file
(`.litmus`, `incref.frontends.litmus`) or a C program (`.c`, `incref.frontends.c`, whose
`--set` parameters are preprocessor macros). The Python builder (`incref.frontends.builder`)
produces the same IR from code."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from incref import examples
from incref.errors import InputError, UsageError
from incref.ir.program import Program


def load_program(spec: str, params: Mapping[str, int] | None = None) -> Program:
    """A scenario-level `Program` from a file path or a bundled example name.

    `params` sets scenario parameters (`--set`); a litmus test has none. Raises
    `InputError` (bad file) or `UsageError` (unknown example, parameter)."""
    from incref.frontends import scenario

    if not spec.strip():
        raise UsageError(f"{spec!r} names no scenario (give an example's name or the path of a scenario file)")
    path = Path(spec)
    if path.suffix == ".c":
        if not path.is_file():
            raise _missing(path, spec, "no such C file")
        from incref.frontends import c

        return c.parse_file(path, params)
    if path.suffix == ".litmus":
        if not path.is_file():
            raise _missing(path, spec, "no such litmus file")
        if params:
            raise UsageError(f"--set {next(iter(params))}: a litmus test has no parameters")
        from incref.frontends import litmus

        return litmus.parse_file(path)
    if path.is_file():
        return scenario.parse_file(path, params)
    bundled = examples.path(spec)
    if bundled is not None:
        return scenario.parse_file(bundled, params)
    if path.is_dir() or path.suffix or "/" in spec or "\\" in spec:
        raise _missing(path, spec, "no such file")
    raise UsageError(f"{examples.unknown(spec)} (or give the path of a .inc or .litmus file)")


def _missing(path: Path, spec: str, message: str) -> InputError:
    """A path that names no file: a directory gets its own sentence, since "no such file"
    would be false and `incref litmus` is the command that walks directories."""
    if path.is_dir():
        return InputError(
            "is a directory, not a scenario or litmus file (`incref litmus DIR` runs every litmus file in a directory)",
            spec,
        )
    return InputError(message, spec)


__all__ = ["load_program"]
