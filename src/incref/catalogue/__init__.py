"""incref's own catalogue of classic litmus tests, with their published verdicts.

The shapes are the classics of the field (SB, MP, LB, IRIW, WRC, ISA2, R, S, 2+2W, the
four coherence tests CoRR/CoWR/CoRW/CoWW, fenced and release/acquire variants), written by
us for X86, AArch64 and C from their published descriptions, plus the refcount shapes this
project is about (two plain `INC [x]` against two `LOCK INC [x]`, LDXR/STXR and LDADD
increments, racy and atomic C increments).

Each file says where its verdict is published (`Source=` line: the x86-TSO paper and the
Intel SDM 8.2.3 examples, "Herding cats" and Pulte et al. for ARMv8, the RC11 paper for
C) and what herd7 prints for its condition under each model (`Expect=tso:Ok sc:No`; `Undef`
when the test has a data race). The files are ordinary litmus files: `incref litmus`
runs them unchanged, and the tests check every expectation.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from incref.errors import UsageError
from incref.frontends.litmus import parse_file

ARCH_DIRS = {"x86": "X86", "aarch64": "AArch64", "c": "C"}


@dataclass(frozen=True)
class Entry:
    name: str
    arch: str
    path: Path
    expected: dict[str, str]  # model -> Ok | No | Undef
    source: str

    @property
    def key(self) -> str:
        """Unique across architectures: `x86/SB`."""
        return f"{self.path.parent.name}/{self.name}"


def root() -> Path:
    return Path(str(resources.files(__package__)))


def entries() -> list[Entry]:
    out = []
    for sub in ARCH_DIRS:
        for path in sorted((root() / sub).glob("*.litmus")):
            program = parse_file(path)
            expect = str(program.meta.get("Expect", ""))
            expected = dict(item.split(":", 1) for item in expect.split())
            out.append(Entry(program.name, program.meta["arch"], path, expected, str(program.meta.get("Source", ""))))
    return out


def get(key: str) -> Entry:
    """An entry by `arch/NAME` (`x86/SB`)."""
    for entry in entries():
        if entry.key.lower() == key.lower():
            return entry
    raise UsageError(f"no catalogue test {key!r}; known: {', '.join(e.key for e in entries())}")
