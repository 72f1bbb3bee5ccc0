"""Refcount schemes: each a small module whose `SCHEME` expands incref/decref into IR.

Adding a scheme is one new module plus one line in `REGISTRY`."""

from __future__ import annotations

from importlib import import_module

from incref.errors import UsageError
from incref.schemes.base import Expansion, Scheme, apply_scheme  # noqa: F401

# name -> module (relative to this package)
REGISTRY: dict[str, str] = {
    "plain": "plain",
    "gil": "gil",
    "atomic": "atomic",
    "gil-nofence": "gil_nofence",
    "arc": "arc",
    "arc-relaxed": "arc_relaxed",
    "shared_ptr": "shared_ptr",
    "saturating": "saturating",
    "immortal": "immortal",
    "biased": "biased",
    "deferred": "deferred",
    "sharded": "sharded",
}


class UnknownScheme(UsageError):
    """A scheme name that is not registered (exit 2 through the CLI)."""


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Scheme:
    if name not in REGISTRY:
        raise UnknownScheme(f"unknown scheme {name!r} (known: {', '.join(REGISTRY)})")
    return import_module(f"incref.schemes.{REGISTRY[name]}").SCHEME
