"""Axiomatic memory models written as data (a small `.cat` language, `cat.py`).

Each module holds one model's text and cites the paper or herd7 `.cat` file it is written
from. `get(name)` compiles a model once (`sc`, `tso`, `pso`, `armv8`, `rc11`, `c11`).
Every model text is preceded by `PRELUDE`: the derived relations herd7 gives every model.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from incref.errors import UsageError
from incref.models.axiomatic.cat import Model

NAMES = ("sc", "tso", "pso", "armv8", "rc11", "c11")

# herd7's standard derived relations ("Herding cats", TOPLAS 2014, section 4.1)
PRELUDE = """
let fr = rf^-1 ; co
let po-loc = po & loc
let rfe = rf & ext
let rfi = rf & int
let coe = co & ext
let coi = co & int
let fre = fr & ext
let fri = fr & int
let com = rf | co | fr
"""


@cache
def get(name: str) -> Model:
    if name not in NAMES:
        raise UsageError(f"unknown model {name!r} (known: {', '.join(NAMES)})")
    module = import_module(f"incref.models.axiomatic.{name}")
    return Model(name, module.SOURCE, PRELUDE + module.TEXT)
