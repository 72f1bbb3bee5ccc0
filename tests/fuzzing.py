"""incref's own fuzz harness: inputs a person would never write, and the promise that holds
for every one of them (docs/RELIABILITY.md).

Inputs come from three sources:

* **generated** files: Hypothesis strategies that write scenario files and litmus tests
  (X86, AArch64, C) from their grammars, well-formed most of the time and with the values
  that break programs (huge, negative, 64-bit edges, shift counts) everywhere;
* **mutated** files: every bundled and catalogue file (`examples/**/*.inc`,
  `catalogue/**/*.litmus`, the coherence protocol tables) damaged byte by byte: flips,
  deletions, duplications, splices of two files, and tokens that have broken front ends
  before (5,000-digit numbers, unclosed comments, NUL and non-UTF-8 bytes, 100 kB lines);
* **command lines**: argument lists built from each subcommand's own click options, with
  values from pools of good and bad ones (nan, inf, 1e309, empty lists, unwritable paths).

Every input runs through the real entry point (`incref.cli.main`) in this process, with
its output captured, and is judged by `judge`: no exception escapes except `SystemExit`
with a contract exit code (0, 1, 2, 3); no "internal error"; an error is one line, and
names `file:line:col` when it blames a place in the input; `--json` output is one strict
JSON document. A front end plugs in by adding a `Target` (its suffix, its seed files, the
commands that read it) and, optionally, a generator to `GENERATORS`.

`make fuzz` runs `python tests/fuzzing.py --inputs 100000`; `tests/test_fuzz.py` runs the
same properties with a short budget inside `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from hypothesis import strategies as st

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "incref"
EXIT_CODES = (0, 1, 2, 3)
INPUT_SECONDS = 20.0  # one input taking longer than this is a defect (a budget that does not bound)
CANARY = "incref-fuzz-canary"  # a file that input "executed as code" would create


# --------------------------------------------------------------------------- running one input


class Hang(BaseException):
    """Raised by the watchdog inside the command: a BaseException, so that no `except
    Exception` in incref can swallow it."""


@dataclass
class Run:
    argv: tuple[str, ...]
    code: int | None
    out: str
    err: str
    seconds: float
    escaped: str | None = None  # an exception that left main(), other than SystemExit


def run_cli(argv: list[str], limit: float = INPUT_SECONDS) -> Run:
    """`incref ARGV...` as the console script runs it, in this process, output captured;
    a watchdog interrupts it after `limit` seconds."""
    from incref.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    escaped = None
    start = time.monotonic()
    old_argv = sys.argv
    sys.argv = ["incref", *argv]

    def on_alarm(signum, frame):
        raise Hang(f"still running after {limit:.0f} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - exactly what the harness is looking for
        escaped = f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = old_argv
    return Run(tuple(argv), code, out.getvalue(), err.getvalue(), time.monotonic() - start, escaped)


# Messages about a whole file (its size, its encoding as a whole, that it is missing or a
# folder) have no line to point at; every other error that names the input names a place.
WHOLE_FILE = re.compile(
    r": (file is \d+ bytes|input is \d+ bytes|cannot read|is a directory|no such|is empty|empty|"
    r"no thread: |protocol has no `table|"
    r"unsupported: .* under \w+)",  # a feature the chosen model's engine does not run: a (feature, model) pair
    re.I,
)


def judge(run: Run, file: str | None = None) -> str | None:
    """None when the run kept every promise, else what it broke (one line)."""
    if run.escaped is not None:
        return f"exception escaped: {run.escaped}"
    if run.code not in EXIT_CODES:
        return f"exit code {run.code}"
    if "Traceback" in run.err or "internal error" in run.err:
        return "internal error: " + _first_line(run.err)
    if "--json" in run.argv and run.out.strip():
        try:
            json.loads(run.out, parse_constant=_no_constant)
        except ValueError as exc:
            return f"--json printed no single valid document ({exc})"
    elif "--json" in run.argv and run.code != 2:
        return "--json printed nothing"
    if run.code == 2:
        lines = [line for line in run.err.splitlines() if line.strip()]
        if len(lines) != 1:
            return f"error is {len(lines)} lines on stderr, not one: {run.err[:200]!r}"
        if file is not None and file in lines[0]:
            after = lines[0].split(file, 1)[1]
            if not re.match(r":\d+:\d+: ", after) and not WHOLE_FILE.match(after):
                return f"error blames the input without a line and column: {lines[0][:200]}"
    return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if "internal error" in line or "Error" in line), text)[:300]


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One kind of input file: where its seeds are and the commands that read it.
    `commands(path, rnd)` returns the argument lists to run on a file of this kind."""

    name: str
    suffix: str
    seeds: Callable[[], list[bytes]]
    commands: Callable[[str, random.Random], list[list[str]]]


MODELS = ("sc", "tso", "pso", "armv8", "rc11")
SCHEMES = ("plain", "atomic", "gil", "arc", "arc-relaxed", "biased", "saturating", "immortal", "sharded")
BUDGET = ["--max-states", "3000", "--timeout", "3"]


def _files(pattern: str) -> Callable[[], list[bytes]]:
    return lambda: [p.read_bytes() for p in sorted(PACKAGE.glob(pattern))]


def _protocol_tables() -> list[bytes]:
    from incref.simulator.protocols import REGISTRY

    texts = []
    for module in REGISTRY.values():
        mod = __import__(f"incref.simulator.protocols.{module}", fromlist=["BUS"])
        texts += [mod.BUS.encode(), mod.DIRECTORY.encode()]
    return texts


def _scenario_commands(path: str, rnd: random.Random) -> list[list[str]]:
    model, scheme = rnd.choice(MODELS), rnd.choice(SCHEMES)
    return [["check", path, "--json", "--model", model, "--scheme", scheme, *BUDGET]]


def _litmus_commands(path: str, rnd: random.Random) -> list[list[str]]:
    if rnd.random() < 0.5:
        return [["litmus", path, "--json", "--timeout", "3"]]
    return [["check", path, "--json", "--model", rnd.choice(MODELS), *BUDGET]]


def _protocol_commands(path: str, rnd: random.Random) -> list[list[str]]:
    return [
        ["simulate", "sb", "--protocol", path, "--interconnect", rnd.choice(("bus", "directory")), "--json", *BUDGET]
    ]


TARGETS = [
    Target("scenario", ".inc", _files("examples/**/*.inc"), _scenario_commands),
    Target("litmus", ".litmus", _files("catalogue/**/*.litmus"), _litmus_commands),
    Target("protocol", ".table", _protocol_tables, _protocol_commands),
]


# --------------------------------------------------------------------------- byte mutation

HUGE = b"9" * 5001
TOKENS = [
    HUGE,
    b"-" + HUGE,
    b"0x" + b"f" * 40,
    b"18446744073709551616",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"(*",
    b"*)",
    b"{",
    b"}",
    b"(",
    b")",
    b"|",
    b";",
    b":",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r\n",
    b"\t",
    b"\\",
    b'"',
    b"1+" * 3000 + b"1",
    b"(" * 3000,
    b"while 0 max 1000000 { }",
    b"repeat 1000000 { }",
    b"thread t * 100000 { }",
    b"<< 64",
    b">> -1",
    b"exists",
    b"~exists",
    b"forall",
    b"locations [x;]",
    b"filter",
    b"0:EAX",
    b"P9999999999:r0",
    b"__import__('os').system('touch " + CANARY.encode() + b"')",
    b"$(touch " + CANARY.encode() + b")",
    b"{{7*7}}",
    b"%s%n",
    b"a" * 100_000,
]


def mutate(data: bytes, rnd: random.Random, others: list[bytes]) -> bytes:
    """One to four damages to `data`, chosen by `rnd`."""
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.randrange(8)
        at = rnd.randint(0, len(buf))
        if kind == 0 and buf:  # flip bits
            i = rnd.randrange(len(buf))
            buf[i] ^= 1 << rnd.randrange(8)
        elif kind == 1 and buf:  # delete a range
            del buf[at : at + rnd.randint(1, 64)]
        elif kind == 2 and buf:  # duplicate a range
            start = rnd.randrange(len(buf))
            buf[at:at] = buf[start : start + rnd.randint(1, 128)]
        elif kind == 3:  # a token that has broken a front end before
            buf[at:at] = rnd.choice(TOKENS)
        elif kind == 4 and others:  # splice another file in
            other = rnd.choice(others)
            start = rnd.randint(0, len(other))
            buf[at:] = other[start:]
        elif kind == 5:  # random bytes
            buf[at:at] = rnd.randbytes(rnd.randint(1, 16))
        elif kind == 6:  # truncate
            del buf[at:]
        elif buf:  # replace a digit run or a character by another of the same class
            i = rnd.randrange(len(buf))
            buf[i] = rnd.choice(b"0123456789-+xX#$[]{}();:|=~/\\ \nabz")
    return bytes(buf)


# --------------------------------------------------------------------------- generators

_INTS = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([63, 64, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63), 10**25]),
    st.integers(),
)
_NAMES = st.sampled_from(["x", "y", "z", "obj", "r0", "r1", "n", "t", "lock", "q", "x1"])
_ORDERS = st.sampled_from(["", ".rlx", ".acq", ".rel", ".acq_rel", ".sc", ".na", ".weird"])


@st.composite
def _expr(draw, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return str(draw(_INTS)) if draw(st.booleans()) else draw(_NAMES)
    op = draw(st.sampled_from(["+", "-", "*", "<<", ">>", "&", "|", "^", "==", "!=", "<", "&&", "||"]))
    return f"({draw(_expr(depth - 1))} {op} {draw(_expr(depth - 1))})"


@st.composite
def _stmt(draw, depth: int = 2) -> str:
    reg, loc, order = draw(_NAMES), draw(_NAMES), draw(_ORDERS)
    simple = [
        f"{reg} = load{order} {loc}",
        f"store{order} {loc} = {draw(_expr())}",
        f"{reg} = fetch_add{order} {loc}, {draw(_expr(1))}",
        f"{reg} = cas{order} {loc}, {draw(_expr(1))} -> {draw(_expr(1))}",
        f"fence{order}",
        f"{reg} = {draw(_expr())}",
        f"{draw(st.sampled_from(['incref', 'decref', 'use', 'free']))} {loc}",
        f"assert {draw(_expr(1))}",
        f"await{order} {draw(_expr(1))}",
    ]
    if depth > 0:
        body = " ".join(draw(st.lists(_stmt(depth - 1), max_size=3)))
        simple += [
            f"if {draw(_expr(1))} {{ {body} }}",
            f"repeat {draw(_INTS)} {{ {body} }}",
            f"while {draw(_expr(1))} max {draw(_INTS)} {{ {body} }}",
        ]
    return draw(st.sampled_from(simple))


@st.composite
def scenario_files(draw) -> bytes:
    """A native scenario file: declarations, threads of statements, a condition."""
    lines = ['scenario fuzz "generated"']
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f"param {draw(_NAMES)} = {draw(_INTS)}")
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["shared", "object", "mutex"]))
        name = draw(_NAMES)
        lines.append(f"mutex {name}" if kind == "mutex" else f"{kind} {name} = {draw(_INTS)}")
    for i in range(draw(st.integers(0, 3))):
        copies = f" * {draw(_INTS)}" if draw(st.booleans()) else ""
        body = "\n  ".join(draw(st.lists(_stmt(), max_size=5)))
        lines.append(f"thread t{i}{copies} {{\n  {body}\n}}")
    if draw(st.booleans()):
        quant = draw(st.sampled_from(["exists", "~exists", "forall"]))
        tid = draw(st.sampled_from(["0", "1", "9", "t0", str(10**30)]))
        lines.append(f"{quant} {tid}:{draw(_NAMES)} == {draw(_INTS)} || {draw(_expr(1))}")
    return "\n".join(lines).encode()


_X86 = [
    "MOV [{l}],${i}",
    "MOV {r},[{l}]",
    "MFENCE",
    "LOCK INC [{l}]",
    "XCHG [{l}],{r}",
    "LOCK XADD [{l}],{r}",
    "MOV {r},${i}",
]
_AARCH64 = [
    "MOV W{n},#{i}",
    "STR W{n},[X{m}]",
    "LDR W{n},[X{m}]",
    "STR W{n},[X{m},X{k}]",
    "LDR W{n},[X{m},W{k},SXTW]",
    "LDAR W{n},[X{m}]",
    "STLR W{n},[X{m}]",
    "DMB SY",
    "DMB LD",
    "ADD W{n},W{m},#{i}",
    "EOR W{n},W{m},W{k}",
    "LDXR W{n},[X{m}]",
    "STXR W{k},W{n},[X{m}]",
    "LDADD W{n},W{k},[X{m}]",
    "CBNZ W{n},L0",
    "L0:",
]
_C = [
    "atomic_store_explicit({l}, {i}, memory_order_{o});",
    "int r{n} = atomic_load_explicit({l}, memory_order_{o});",
    "atomic_fetch_add_explicit({l}, {i}, memory_order_{o});",
    "atomic_thread_fence(memory_order_{o});",
    "*{l} = {i};",
    "int r{n} = *{l};",
    "int r{n} = r{m} << {i};",
    "if (r{n} == {i}) {{ *{l} = 1; }}",
]
_C_ORDERS = ["relaxed", "acquire", "release", "acq_rel", "seq_cst", "consume", "bogus"]


@st.composite
def litmus_files(draw, arch: str) -> bytes:
    """A litmus test in herd7's layout for X86, AArch64 or C."""
    threads = draw(st.integers(1, 3))
    locs = ["x", "y"]

    def fill(template: str) -> str:
        return template.format(
            l=draw(st.sampled_from(locs)),
            r=draw(st.sampled_from(["EAX", "EBX", "ECX", "R9", "QQQ"])),
            i=draw(_INTS),
            n=draw(st.integers(0, 4)),
            m=draw(st.integers(0, 4)),
            k=draw(st.integers(0, 4)),
            o=draw(st.sampled_from(_C_ORDERS)),
        )

    init = [f"{loc}={draw(_INTS)}" for loc in locs if draw(st.booleans())]
    if arch == "AArch64":
        init += [f"{t}:X{draw(st.integers(0, 4))}={draw(st.sampled_from(locs))}" for t in range(threads)]
    head = [f"{arch} fuzz", "{ " + "; ".join(init) + (";" if init else "") + " }"]
    if arch == "C":
        body = []
        for t in range(threads):
            stmts = " ".join(fill(draw(st.sampled_from(_C))) for _ in range(draw(st.integers(0, 4))))
            body.append(f"P{t}(atomic_int* x, atomic_int* y) {{ {stmts} }}")
    else:
        table = _X86 if arch == "X86" else _AARCH64
        columns = [[fill(draw(st.sampled_from(table))) for _ in range(draw(st.integers(1, 4)))] for _ in range(threads)]
        rows = max(len(c) for c in columns)
        body = [" | ".join(f"P{t}" for t in range(threads)) + " ;"]
        body += [" | ".join(c[i] if i < len(c) else "" for c in columns) + " ;" for i in range(rows)]
    reg = "EAX" if arch == "X86" else "X0" if arch == "AArch64" else "r0"
    tid = draw(st.sampled_from(["0", str(threads - 1), "7", "1" * 30]))
    quant = draw(st.sampled_from(["exists", "~exists", "forall"]))
    cond = f"{quant} ({tid}:{reg}={draw(_INTS)} /\\ x={draw(_INTS)})"
    return "\n".join([*head, *body, cond]).encode()


# name -> (target it is judged as, strategy); a new front end adds its generator here
GENERATORS: dict[str, tuple[str, st.SearchStrategy[bytes]]] = {
    "scenario": ("scenario", scenario_files()),
    "litmus-x86": ("litmus", litmus_files("X86")),
    "litmus-aarch64": ("litmus", litmus_files("AArch64")),
    "litmus-c": ("litmus", litmus_files("C")),
}


# --------------------------------------------------------------------------- command lines

# Commands whose valid runs do minutes of work (hardware, forks of interpreters): fuzzed for
# their option checks only; the work function is replaced by one that says "work started".
HEAVY_WORK = {
    "bench": ("incref.cli.bench", "bench"),
    "run": ("incref.cli.compare", "hardware_column"),
    "compare": ("incref.cli.compare", "hardware_column"),
    "zoo": ("incref.zoo", "run"),
}
FUZZED_COMMANDS = ("check", "litmus", "simulate", "zoo", "examples", "bench", "run", "compare")


class WorkStarted(BaseException):
    """The stand-in for a heavy command's work: its options were all accepted."""


def _value_pool(tmp: Path) -> dict[str, list[str]]:
    missing = str(tmp / "no-such-folder" / "out.png")
    return {
        "number": ["1", "0", "-1", "2", "0.5", "1e309", "nan", "inf", "-inf", "1e-300", "9" * 30, "", "abc", "1,,2"],
        "text": ["", " ", ",", "plain", "plain,atomic", "sc,tso", "1,,2", "nosuch", "concurrent-incref", "\x1b[2J"],
        "path": [missing, str(tmp), str(tmp / "out.png"), str(tmp / "out.html"), "", "/dev/null/x"],
        "set": ["threads=3", "threads=-1", "ops=" + "9" * 30, "nosuch=1", "threads", "=1", "threads=0x10"],
    }


SPECS = ["incref-race", "sb", str(PACKAGE / "catalogue" / "x86" / "SB.litmus"), "", "nosuch", "/"]


@st.composite
def command_lines(draw, tmp: Path) -> list[str]:
    """A subcommand and a list of its own options (read from its click definition), each
    with a value from a pool of good and bad ones."""
    from incref.cli import cli

    name = draw(st.sampled_from(FUZZED_COMMANDS))
    command = cli.get_command(click.Context(cli), name)
    pool = _value_pool(tmp)
    argv = [name]
    for param in command.params:
        if isinstance(param, click.Argument):  # `litmus /` would rightly walk the whole disk
            argv.append(draw(st.sampled_from(SPECS if name != "litmus" else SPECS[2:-1])))
    options = [p for p in command.params if isinstance(p, click.Option) and "--help" not in p.opts]
    for param in draw(st.lists(st.sampled_from(options), max_size=4)) if options else []:
        argv.append(param.opts[-1] if param.opts[-1].startswith("--") else param.opts[0])
        if param.is_flag:
            continue
        for _ in range(param.nargs):
            argv.append(draw(st.sampled_from(_values_for(param, pool))))
    if name in ("check", "simulate", "litmus") and draw(st.booleans()):
        argv.append("--json")
    return argv


def _values_for(param: click.Option, pool: dict[str, list[str]]) -> list[str]:
    if isinstance(param.type, click.Choice):
        return [*param.type.choices, "nosuch", ""]
    if "--set" in param.opts:
        return pool["set"]
    if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)) or param.type.name in (
        "seconds",
        "integer",
        "float",
    ):
        return pool["number"]
    if param.type.name in ("file", "path") or "--plot" in param.opts:
        return pool["path"]
    return pool["text"] + pool["number"][:3]


@contextlib.contextmanager
def heavy_work_stubbed() -> Iterator[None]:
    """Replace each heavy command's work function by one that raises `WorkStarted`."""
    import importlib

    saved = []
    for module_name, attr in set(HEAVY_WORK.values()):
        module = importlib.import_module(module_name)
        saved.append((module, attr, getattr(module, attr)))

        def started(*args, **kwargs):
            raise WorkStarted

        setattr(module, attr, started)
    try:
        yield
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)


def judge_command_line(argv: list[str]) -> tuple[str, str | None]:
    """(accepted/rejected, defect or None) for one command line; budgets are prepended so
    that a fuzzed value, given later, wins."""
    name = argv[0]
    guard = ["--max-states", "2000", "--timeout", "3"] if name in ("check", "simulate") else []
    guard = ["--timeout", "3"] if name == "litmus" else guard
    with heavy_work_stubbed():
        run = run_cli([name, *guard, *argv[1:]] if name != "litmus" else [*argv, *guard])
    if run.escaped and run.escaped.startswith("WorkStarted"):
        return "accepted", None
    defect = judge(run)
    return ("rejected" if run.code == 2 else "accepted"), defect


# --------------------------------------------------------------------------- a campaign


@dataclass
class Tally:
    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    defects: list[dict] = field(default_factory=list)
    by_source: Counter = field(default_factory=Counter)
    slowest: float = 0.0

    def add(self, source: str, verdict: str, defect: str | None, seconds: float, sample: str) -> None:
        self.inputs += 1
        self.by_source[source] += 1
        self.slowest = max(self.slowest, seconds)
        if defect is not None:
            self.defects.append({"source": source, "defect": defect, "input": sample[:2000]})
        elif verdict == "rejected":
            self.rejected += 1
        else:
            self.accepted += 1


def judge_file(target: Target, data: bytes, workdir: Path, rnd: random.Random) -> tuple[str, str | None, float]:
    """Write `data` as a file of `target`'s kind and run each of its commands on it."""
    path = workdir / f"input{target.suffix}"
    path.write_bytes(data)
    verdict, seconds = "accepted", 0.0
    for argv in target.commands(str(path), rnd):
        run = run_cli(argv)
        seconds += run.seconds
        defect = judge(run, str(path))
        if defect is not None:
            return "defect", defect, seconds
        if run.code == 2:
            verdict = "rejected"
    return verdict, None, seconds


def campaign(inputs: int, seed: int, workdir: Path, log: Callable[[str], None] = print) -> Tally:
    """`inputs` inputs: mutated files (60 %), generated files (35 %), command lines (5 %)."""
    from hypothesis import HealthCheck, Phase, given, settings

    rnd = random.Random(seed)
    tally = Tally()
    targets = {t.name: t for t in TARGETS}
    seeds = {t.name: t.seeds() for t in TARGETS}
    started = time.monotonic()

    def progress() -> None:
        if tally.inputs % 2000 == 0:
            rate = tally.inputs / max(time.monotonic() - started, 1e-9)
            log(f"  {tally.inputs:,} inputs, {len(tally.defects)} defects, {rate:,.0f} inputs/s")

    def file_input(source: str, target: Target, data: bytes) -> None:
        verdict, defect, seconds = judge_file(target, data, workdir, rnd)
        tally.add(source, verdict, defect, seconds, data.decode("utf-8", "backslashreplace"))
        progress()

    n_mutated = inputs * 60 // 100
    n_commands = inputs * 5 // 100
    n_generated = inputs - n_mutated - n_commands
    everything = [data for datas in seeds.values() for data in datas]
    for i in range(n_mutated):
        target = TARGETS[i % len(TARGETS)]
        file_input(f"mutated-{target.name}", target, mutate(rnd.choice(seeds[target.name]), rnd, everything))

    quiet = settings(
        max_examples=1,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    per_generator = n_generated // len(GENERATORS)
    for source, (target_name, strategy) in GENERATORS.items():
        settings(quiet, max_examples=per_generator)(
            given(strategy)(_feeding(file_input, source, targets[target_name]))
        )()

    @settings(quiet, max_examples=n_commands)
    @given(command_lines(workdir))
    def command_line(argv):
        verdict, defect = judge_command_line(argv)
        tally.add("command-line", verdict, defect, 0.0, " ".join(argv))
        progress()

    command_line()
    if (Path.cwd() / CANARY).exists() or (workdir / CANARY).exists():
        tally.defects.append({"source": "canary", "defect": "an input was executed as code", "input": CANARY})
    return tally


def _feeding(file_input, source: str, target: Target):
    """A one-argument function for `@given`: feed each generated file to `file_input`."""

    def generated(data: bytes) -> None:
        file_input(f"generated-{source}", target, data)

    return generated


def _worker(job: tuple[int, int]) -> Tally:
    inputs, seed = job
    with tempfile.TemporaryDirectory(prefix="incref-fuzz-") as tmp:
        os.chdir(tmp)  # a canary an input creates lands here
        return campaign(inputs, seed, Path(tmp), log=lambda line: print(f"[seed {seed}]{line}", flush=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--json", default="fuzz-summary.json", help="where to write the summary")
    args = parser.parse_args()
    report = Path(args.json).resolve()
    start = time.monotonic()
    jobs = [(args.inputs // args.jobs + (i < args.inputs % args.jobs), args.seed + i) for i in range(args.jobs)]
    if args.jobs == 1:
        tallies = [_worker(jobs[0])]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            tallies = list(pool.map(_worker, jobs))
    tally = Tally()
    for part in tallies:
        tally.inputs += part.inputs
        tally.accepted += part.accepted
        tally.rejected += part.rejected
        tally.defects += part.defects
        tally.by_source += part.by_source
        tally.slowest = max(tally.slowest, part.slowest)
    seconds = time.monotonic() - start
    summary = {
        "inputs": tally.inputs,
        "accepted": tally.accepted,
        "rejected": tally.rejected,
        "defects": len(tally.defects),
        "by_source": dict(sorted(tally.by_source.items())),
        "slowest_input_seconds": round(tally.slowest, 2),
        "seconds": round(seconds, 1),
        "seeds": [seed for _, seed in jobs],
        "load_average": os.getloadavg()[0],
        "how": "each input run in-process through incref.cli.main and judged by tests/fuzzing.py:judge; "
        f"{args.jobs} worker process(es), one seed each",
        "defect_samples": tally.defects[:50],
    }
    report.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"fuzz: {tally.inputs:,} inputs, {tally.accepted:,} accepted, {tally.rejected:,} rejected, "
        f"{len(tally.defects)} defects in {seconds:.0f} s (seeds {summary['seeds']}; summary in {report})"
    )
    for source, count in sorted(tally.by_source.items()):
        print(f"  {source}: {count:,}")
    for defect in tally.defects[:20]:
        print(f"  DEFECT [{defect['source']}] {defect['defect']}")
    return 1 if tally.defects else 0


if __name__ == "__main__":
    sys.exit(main())
