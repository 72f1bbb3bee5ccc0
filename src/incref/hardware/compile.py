"""Generated C → a shared library, with the system C compiler, cached by content.

The compiler is `$CC` (split like a shell word list, so `CC="gcc -m64"` works), else `cc`,
else `gcc`. Each source is compiled in a fresh temporary directory and the library is
moved into the user cache directory (platformdirs) under the SHA-256 of the source, the
compiler's identity and the flags: the same scenario never compiles twice, and a changed
compiler never reuses an old library. A missing compiler or a failed compile is one clear
`CompilerError` (the CLI prints it and exits 2)."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import platformdirs

from incref.errors import UsageError

CFLAGS = ("-O2", "-std=gnu11", "-fPIC", "-shared", "-pthread")


class CompilerError(UsageError):
    """No usable C compiler, or the compiler rejected the generated code."""


@dataclass(frozen=True)
class Compiler:
    argv: tuple[str, ...]
    version: str

    @property
    def flags(self) -> tuple[str, ...]:
        return CFLAGS

    def describe(self) -> str:
        return f"{' '.join(self.argv)} ({self.version}) {' '.join(self.flags)}"


def find_compiler() -> Compiler:
    """The compiler named by `$CC`, else `cc`, else `gcc`; `CompilerError` when none runs."""
    cc = os.environ.get("CC")
    if cc is not None:
        argv = tuple(shlex.split(cc))
        if not argv or shutil.which(argv[0]) is None:
            raise CompilerError(f"no C compiler: CC={cc!r} is not an executable (install gcc or set CC)")
    else:
        found = shutil.which("cc") or shutil.which("gcc")
        if found is None:
            raise CompilerError("no C compiler found (looked for $CC, cc, gcc): install gcc or set CC")
        argv = (found,)
    return Compiler(argv, _version(argv))


@lru_cache(maxsize=8)
def _version(argv: tuple[str, ...]) -> str:
    try:
        proc = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CompilerError(f"the C compiler {' '.join(argv)} does not run: {exc}") from None
    first = (proc.stdout or proc.stderr).strip().splitlines()
    if proc.returncode != 0 or not first:
        raise CompilerError(f"the C compiler {' '.join(argv)} does not run (--version exited {proc.returncode})")
    return first[0]


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("incref")) / "hardware"


def build(source: str, compiler: Compiler | None = None) -> Path:
    """Path of a shared library compiled from `source` (from the cache when present)."""
    compiler = compiler or find_compiler()
    digest = hashlib.sha256("\0".join([source, *compiler.argv, compiler.version, *compiler.flags]).encode()).hexdigest()
    target = cache_dir() / f"{digest[:32]}.so"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="incref-cc-") as tmp:
            os.replace(_compile(source, compiler, compiler.flags, Path(tmp) / "scenario.so"), target)
    return target


def assembly(source: str, compiler: Compiler | None = None) -> str:
    """The assembly the compiler makes of `source` with the same flags (`-S`): what the
    disassembly tests read."""
    compiler = compiler or find_compiler()
    flags = tuple(f for f in compiler.flags if f != "-shared") + ("-S",)
    with tempfile.TemporaryDirectory(prefix="incref-cc-") as tmp:
        return _compile(source, compiler, flags, Path(tmp) / "scenario.s").read_text()


def _compile(source: str, compiler: Compiler, flags: tuple[str, ...], out: Path) -> Path:
    src = out.with_suffix(".c")
    src.write_text(source)
    try:
        proc = subprocess.run(
            [*compiler.argv, *flags, "-o", str(out), str(src)], capture_output=True, text=True, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CompilerError(f"the C compiler {' '.join(compiler.argv)} failed to run: {exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.splitlines()
        first = next((line for line in lines if "error" in line), lines[0] if lines else "(no output)")
        raise CompilerError(f"the C compiler rejected the generated code: {first.strip()}")
    return out
