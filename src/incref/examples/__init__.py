"""Bundled scenarios, one `.inc` file each; the folder is the index.

Each file starts with `scenario NAME "one-line description"`; `incref examples` shows that
line, so adding an example is adding a file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SUFFIX = ".inc"


def _folder() -> Path:
    return Path(str(resources.files(__name__)))


def _names_in(folder: Path) -> list[str]:
    return sorted(p.name[: -len(SUFFIX)] for p in folder.iterdir() if p.name.endswith(SUFFIX))


def names() -> list[str]:
    """Bundled example names, sorted."""
    return _names_in(_folder())


def zoo_names() -> list[str]:
    """The scheme zoo's scenarios (`examples/zoo/`), also loadable by name."""
    return _names_in(_folder() / "zoo")


def path(name: str) -> Path | None:
    """The file of example or zoo scenario `name`, or None when there is no such one."""
    if name in names():
        return _folder() / f"{name}{SUFFIX}"
    if name in zoo_names():
        return _folder() / "zoo" / f"{name}{SUFFIX}"
    return None


def unknown(name: str) -> str:
    """The sentence for a name that is neither an example nor a zoo scenario."""
    return f"unknown example {name!r}; known examples: {', '.join(names())}; zoo scenarios: {', '.join(zoo_names())}"
