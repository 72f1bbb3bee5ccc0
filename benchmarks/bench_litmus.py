"""Speed of the litmus front end and of checking litmus tests (issue 4 targets).

Measured in this process, one run each, as CPU seconds of this process
(`time.process_time`; the targets are judged on it, since on a shared 2-core machine the
wall clock mostly measures the other processes) and wall seconds (`time.perf_counter`).
The corpora are read from `../shared/conformance` and skipped when absent:

* parsing alone, per corpus: the front end must never be the bottleneck;
* each catalogue test under its first listed model: < 0.1 s;
* the whole X86 corpus under tso, parse + check: < 30 s (herd7: 3.6 s);
* 5 threads x one non-atomic `INC [x]` under tso: < 1 s (herd7: ~6 s).

`--aarch64` adds the AArch64 corpus under armv8 (target < 10 min; long).
Prints a table; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from incref import catalogue
from incref.checker import check
from incref.compose import run_file
from incref.errors import InputError
from incref.frontends.litmus import parse_file, parse_text

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance" / "dat3m" / "litmus"


def timed(fn):
    """(value, cpu seconds, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = fn()
    return value, time.process_time() - cpu, time.perf_counter() - wall


def parse_all(files: list[Path]) -> int:
    ok = 0
    for f in files:
        try:
            parse_file(f)
            ok += 1
        except InputError:
            pass
    return ok


def inc_threads(n: int) -> str:
    header = " | ".join(f"P{t}" for t in range(n))
    row = " | ".join("INC [x]" for _ in range(n))
    return f"X86 INC{n}\n{{ x=0; }}\n {header} ;\n {row} ;\nexists (x={n})\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="litmus speed targets")
    parser.add_argument("--aarch64", action="store_true", help="also run the AArch64 corpus (long)")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, float, float, float | None]] = []  # what, detail, cpu, wall, target

    parse_file(catalogue.get("x86/SB").path)  # grammars built once, outside the timings
    if CORPUS.exists():
        for arch in ("X86", "AARCH64", "C11"):
            files = sorted((CORPUS / arch).rglob("*.litmus"))
            ok, cpu, wall = timed(lambda: parse_all(files))  # noqa: B023 (called at once)
            rows.append((f"parse {arch} corpus", f"{ok}/{len(files)} parsed", cpu, wall, None))

    slowest = (0.0, 0.0, "")
    for entry in catalogue.entries():
        model = sorted(entry.expected)[0]
        _, cpu, wall = timed(lambda: run_file(entry.path, model))  # noqa: B023 (called at once)
        slowest = max(slowest, (cpu, wall, f"{entry.key} ({model})"))
    rows.append(("slowest catalogue test", slowest[2], slowest[0], slowest[1], 0.1))

    if CORPUS.exists():
        files = sorted((CORPUS / "X86").glob("*.litmus"))
        verdicts, cpu, wall = timed(lambda: [run_file(f, "tso") for f in files])
        answered = sum(v.result in ("Ok", "No") for v in verdicts)
        rows.append(("X86 corpus under tso", f"{answered}/{len(files)} answered", cpu, wall, 30.0))

    program = parse_text(inc_threads(5))
    res, cpu, wall = timed(lambda: check(program, "tso"))
    rows.append(
        ("5 x INC [x] under tso", f"{len(res.outcomes)} final states, complete={res.stats.complete}", cpu, wall, 1.0)
    )

    if args.aarch64 and CORPUS.exists():
        files = sorted((CORPUS / "AARCH64").rglob("*.litmus"))
        verdicts, cpu, wall = timed(lambda: [run_file(f, "armv8", timeout=60) for f in files])
        answered = sum(v.result in ("Ok", "No") for v in verdicts)
        rows.append(("AArch64 corpus under armv8", f"{answered}/{len(files)} answered", cpu, wall, 600.0))

    missed = []
    print(f"{'measurement':30} {'detail':45} {'cpu s':>8} {'wall s':>8} {'target':>8}")
    for what, detail, cpu, wall, target in rows:
        mark = "" if target is None or cpu < target else "  MISSED"
        if mark:
            missed.append(what)
        print(f"{what:30} {detail:45} {cpu:8.3f} {wall:8.3f} {'' if target is None else f'< {target:g}':>8}{mark}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
