"""Axiomatic memory models written as data: herd7-style `.cat` files in
`incref/models/cat/` (one per model; shared definitions and the prelude every model
starts from in `incref/models/cat/lib/`), read by `cat.py`. Python holds no model text,
only the mapping from IR events to a model's event sets where an architecture needs one
(`armv8.py`).

`get(name)` compiles a built-in model once; `NAMES` lists them, in the order the CLI
shows them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from incref.errors import UsageError
from incref.models.axiomatic.cat import Model

FOLDER = Path(__file__).resolve().parent.parent / "cat"
_ORDER = ("sc", "tso", "pso", "armv8", "rc11", "c11")


def _names() -> tuple[str, ...]:
    found = {p.stem for p in FOLDER.glob("*.cat")}
    return tuple(n for n in _ORDER if n in found) + tuple(sorted(found - set(_ORDER)))


NAMES = _names()


def path(name: str) -> Path:
    """The `.cat` file of built-in model `name`."""
    if name not in NAMES:
        raise UsageError(f"unknown model {name!r} (known: {', '.join(NAMES)})")
    return FOLDER / f"{name}.cat"


@cache
def get(name: str) -> Model:
    return Model(name, path(name))
