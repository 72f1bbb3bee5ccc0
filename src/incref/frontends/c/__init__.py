"""The C front end: whole programs with pthreads and C11 atomics, as GenMC takes them.

`parse_file(path, params)` runs the system preprocessor (`cc -E`) with incref's own
minimal headers (`include/`: no system header is read), parses with pycparser and
compiles to a scenario-level `Program` (`compiler.py`, `calls.py`). `params` (from
`--set`) are preprocessor macros (`-DNAME=VALUE`), except `unroll`, the loop bound.
Nothing in the input is ever run: the preprocessor only expands text."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from incref.errors import InputError, Unsupported, UsageError
from incref.ir.program import Program

INCLUDE = Path(__file__).parent / "include"
DEFAULT_UNROLL = 2
# GCC spellings pycparser does not know, defined away (they change nothing incref models)
EXTENSIONS = {
    "__attribute__(x)": "",
    "__extension__": "",
    "__inline": "inline",
    "__inline__": "inline",
    "__restrict": "restrict",
    "__restrict__": "restrict",
    "__volatile__": "volatile",
    "__const": "const",
    "__signed__": "signed",
    "__builtin_expect(e,c)": "(e)",
    "__thread": "_Thread_local",
    "noreturn": "",
    "_Noreturn": "",
}


def parse_file(
    path: Path | str,
    params: Mapping[str, int] | None = None,
    *,
    unroll: int | None = None,
    loop_cut: str = "bound",
    include: tuple[str, ...] = (),
    defines: Mapping[str, str] | None = None,
) -> Program:
    """A scenario-level `Program` from a C file. `unroll` bounds loops whose bound the
    front end cannot compute and recursion (`loop_cut`: "bound" reports a cut execution,
    "assume" blocks it as GenMC's `-unroll` does). Raises `InputError`/`Unsupported`."""
    path = Path(path)
    macros = dict(defines or {})
    for name, value in (params or {}).items():
        if name == "unroll":
            unroll = int(value)
        else:
            macros[name] = str(value)
    if unroll is not None and unroll < 0:
        raise UsageError("unroll must be at least 0")
    text = preprocess(path, macros, include)
    ast = parse(text, str(path))
    from incref.frontends.c.compiler import Compiler

    compiler = Compiler(ast, str(path), DEFAULT_UNROLL if unroll is None else unroll, loop_cut)
    try:
        return compiler.compile(path.stem)
    except RecursionError:
        raise Unsupported("expressions nested too deeply", str(path)) from None


def preprocess(path: Path, macros: Mapping[str, str], include: tuple[str, ...] = ()) -> str:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise UsageError("no C preprocessor: install cc (gcc or clang) to check C programs")
    args = [cc, "-E", "-nostdinc", "-undef", "-D__STDC__=1", "-D__STDC_VERSION__=201710L"]
    args += [f"-D__ATOMIC_{name}={value}" for value, name in enumerate(ORDER_MACROS)]
    args += [f"-D{k}={v}" for k, v in EXTENSIONS.items()]
    args += ["-I", str(INCLUDE)] + [f"-I{d}" for d in include]
    args += [f"-D{k}={v}" for k, v in macros.items()]
    args += ["-x", "c", str(path.resolve())]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise InputError("the preprocessor took more than 60 s", str(path)) from None
    if done.returncode != 0:
        raise _preprocessor_error(done.stderr, path)
    return done.stdout


ORDER_MACROS = ("RELAXED", "CONSUME", "ACQUIRE", "RELEASE", "ACQ_REL", "SEQ_CST")


def _preprocessor_error(stderr: str, path: Path) -> InputError:
    """The preprocessor's first error as file:line:col; a header incref does not ship is
    an unsupported feature."""
    for line in stderr.splitlines():
        m = re.match(r"(.*?):(\d+):(\d+): (?:fatal )?error: (.*)", line)
        if not m:
            continue
        file, row, col, message = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        header = re.match(r"(\S+): No such file or directory", message)
        if header:
            return Unsupported(f"header <{header.group(1)}>", file, row, col)
        return InputError(message, file, row, col)
    first = stderr.strip().splitlines()[:1]
    return InputError(f"the preprocessor failed: {first[0] if first else 'no message'}", str(path))


def parse(text: str, file: str):
    from pycparser import c_parser
    from pycparser.c_parser import ParseError

    parser = c_parser.CParser()
    try:
        return parser.parse(text, file)
    except ParseError as exc:
        m = re.match(r"(.*?):(\d+):(\d+): (.*)", str(exc))
        if m:
            return _raise(InputError(f"syntax error: {m.group(4)}", m.group(1), int(m.group(2)), int(m.group(3))))
        message = str(exc).rsplit(": ", 1)[-1]
        token = _next_token(parser)
        if token is not None:
            where = (token.filename or file, token.lineno, token.column)
            return _raise(InputError(f"syntax error: {message} (before {token.value!r})", *where))
        return _raise(InputError(f"syntax error: {message}", *_end_of(file)))
    except (AssertionError, AttributeError, TypeError, IndexError) as exc:
        return _raise(InputError(f"syntax error: the parser could not read this program ({exc})", file))


def _end_of(file: str) -> tuple[str, int, int]:
    """The place just after the last character of `file` (an error at end of input)."""
    try:
        lines = Path(file).read_text(encoding="utf-8", errors="replace").splitlines() or [""]
    except OSError:
        lines = [""]
    return file, len(lines), len(lines[-1]) + 1


def _next_token(parser):
    """The token the parser stopped at (pycparser gives some errors without a place)."""
    try:
        return parser._tokens.peek()
    except Exception:  # the parser's internals: no place rather than a crash
        return None


def _raise(error: InputError):
    raise error


__all__ = ["parse_file", "preprocess", "parse", "INCLUDE"]
