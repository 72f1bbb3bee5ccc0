"""Bundled scenarios, one `.inc` file each; the folder is the index.

Each file starts with `scenario NAME "one-line description"`; `incref examples` shows that
line, so adding an example is adding a file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SUFFIX = ".inc"


def _folder() -> Path:
    return Path(str(resources.files(__name__)))


def names() -> list[str]:
    """Bundled example names, sorted."""
    return sorted(p.name[: -len(SUFFIX)] for p in _folder().iterdir() if p.name.endswith(SUFFIX))


def path(name: str) -> Path | None:
    """The file of example `name`, or None when there is no such example."""
    candidate = _folder() / f"{name}{SUFFIX}"
    return candidate if name in names() else None
