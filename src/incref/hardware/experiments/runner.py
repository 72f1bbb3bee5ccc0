"""Running a probe script in an interpreter under test.

The interpreter is only *chosen* by the user (`--python PATH`); what it runs is a fixed
file shipped in `incref.hardware.experiments.probes`, and the arguments travel as one
JSON object in argv — data, never code. `-E -s` keep the user's PYTHON* variables and
user site-packages out of the measurement (so a free-threaded build runs with its
default GIL setting)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import resources
from typing import Any

from incref.errors import InputError, UsageError


class ProbeTimeout(InputError):
    """The interpreter under test did not finish in time: the measurement is incomplete."""


def resolve_interpreter(python: str | None) -> str:
    """`python` as an executable path: a path is checked, a bare name looked up on PATH."""
    if python is None:
        return sys.executable
    found = python if os.sep in python else shutil.which(python)
    if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
        raise UsageError(f"--python: {python!r} is not an executable file or a command on PATH")
    return found


def run_probe(probe: str, args: Mapping[str, int], python: str | None = None, timeout: float = 300.0) -> dict[str, Any]:
    """Run probe module `probe` with `args` in `python`; its JSON answer."""
    interpreter = resolve_interpreter(python)
    script = resources.files("incref.hardware.experiments.probes").joinpath(f"{probe}.py")
    with resources.as_file(script) as path:
        try:
            proc = subprocess.run(
                [interpreter, "-E", "-s", str(path), json.dumps(dict(args))],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise ProbeTimeout(f"{probe} did not finish within {timeout:g} s in {interpreter}") from None
        except OSError as exc:
            raise UsageError(f"--python: cannot run {interpreter}: {exc.strerror}") from None
    lines = proc.stdout.strip().splitlines()
    try:
        doc = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and "error" in doc:
        raise InputError(f"{probe} in {interpreter}: {doc['error']}")
    if proc.returncode != 0 or not isinstance(doc, dict):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"{interpreter} could not run the {probe} probe (exit {proc.returncode}): {last}")
    return doc
