"""Conformance of incref's C front end and axiomatic engine against GenMC's test suite.

The suite is GenMC v0.11.0's `tests/` (see `../shared/conformance/genmc/README.md`; read in
place, never copied). As GenMC's own `scripts/runcorrect.sh` does, each line of a test's
`args.<model>.mo.in` (GenMC options `|` compiler options) is paired with the same line of
`expected.<model>.mo.in` and runs every variant; without an args file the first expected
line counts.

* `tests/correct`, under sc and rc11: the verdict must be `safe` and the number of
  complete executions GenMC's. The count is compared only where GenMC's own reductions do
  not change it: not with `-lapor`, and not where symmetry reduction is on (unless
  `-disable-sr`) and two threads run the same function — there the verdict is compared
  and the two counts are shown side by side.
* `tests/wrong`, under rc11: the first `Error detected:` line of the variant's rc11 trace
  names the error; ours must be that kind (`ERROR_KINDS`).
* Until the axiomatic engine counts every coherence order (issue 11), its count is exact
  only where it says so (`executions_exact`); elsewhere the counts are shown side by side.
* A program using something we do not model is `unsupported`, counted apart with the
  feature named; a run that times out or fails is `not answered`.

    python benchmarks/conformance_genmc.py [--groups correct/litmus,...] [--timeout S] [--jobs N]

Prints a table per group and the disagreements; exits 1 when a target of issue 18 is
missed (0 when the suite is absent). Each run is one checker call in a worker process,
the search bounded by `--timeout` seconds (wall clock, so the numbers depend on load:
the load average is printed)."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

SUITE = next(
    (
        d / "shared" / "conformance" / "genmc" / "tests"
        for d in Path(__file__).resolve().parents
        if (d / "shared" / "conformance" / "genmc" / "tests").is_dir()
    ),
    Path("../shared/conformance/genmc/tests"),
)
TARGET_GROUPS = ("correct/litmus", "correct/data-structures", "correct/synthetic", "wrong/racy", "wrong/safety")
TARGET_GROUPS += ("wrong/memory",)
TARGET = 0.80
ERROR_KINDS = {
    "Non-Atomic race": "data-race",
    "Safety violation": "assertion",
    "Attempt to access freed memory": "use-after-free",
}
UNMODELLED_ERRORS = {
    "Attempt to access non-allocated memory": "detection of accesses to non-allocated memory",
    "Attempt to read from uninitialized memory": "detection of reads of uninitialised memory",
    "Liveness violation": "liveness checking",
}


@dataclass
class Job:
    group: str
    test: str
    variant: Path
    model: str
    args: str
    expected: int | None  # correct: executions; wrong: None
    error: str | None  # wrong: the expected kind


def jobs_for(group: str) -> list[Job]:
    out: list[Job] = []
    kind = group.split("/")[0]
    for test in sorted(p for p in (SUITE / group).iterdir() if (p / "variants").is_dir()):
        variants = sorted((test / "variants").glob("*.c"))
        if kind == "correct":
            for model in ("sc", "rc11"):
                expected_file = test / f"expected.{model}.mo.in"
                if not expected_file.exists():
                    continue
                expected = [ln.strip() for ln in expected_file.read_text().splitlines() if ln.strip()]
                args_file = test / f"args.{model}.mo.in"
                args = args_file.read_text().splitlines() if args_file.exists() else [""]
                for line, count in zip(args, expected):
                    for v in variants:
                        out.append(Job(group, test.name, v, model, line, int(count.split()[0]), None))
        else:
            args_file = test / "args.rc11.mo.in"
            line = args_file.read_text().splitlines()[0] if args_file.exists() else ""
            for v in variants:
                out.append(Job(group, test.name, v, "rc11", line, None, _expected_error(v)))
    return out


def _expected_error(variant: Path) -> str | None:
    for trace in sorted(variant.parent.glob(variant.stem + ".rc11.*.trace")):
        for ln in trace.read_text(errors="replace").splitlines():
            m = re.match(r"Error detected: (.*?)!", ln)
            if m:
                return m.group(1)
    return None


def run(job: Job, timeout: float) -> dict:
    from incref.checker import check
    from incref.errors import InputError, Unsupported
    from incref.frontends.c import parse_file
    from incref.schemes import apply_scheme, get

    genmc, _, cc = job.args.partition("|")
    opts = shlex.split(genmc)
    defines, include = {}, []
    for word in shlex.split(cc) + [o for o in opts if o.startswith(("-D", "-I"))]:
        if word.startswith("-D"):
            name, _, value = word[2:].partition("=")
            defines[name] = value or "1"
        elif word.startswith("-I"):
            include.append(str((job.variant.parent / word[2:]).resolve()))
    unroll = next((int(o.split("=")[1]) for o in opts if o.startswith("-unroll=")), None)
    races = "-disable-race-detection" not in opts
    if job.error in UNMODELLED_ERRORS:
        return {"status": "unsupported", "feature": UNMODELLED_ERRORS[job.error]}
    if job.error is not None and job.error not in ERROR_KINDS:
        return {"status": "unsupported", "feature": f"GenMC error '{job.error}'"}
    start = time.monotonic()
    try:
        program = parse_file(
            job.variant,
            unroll=unroll,
            loop_cut="assume" if unroll is not None else "bound",
            include=tuple(include),
            defines=defines,
        )
        result = check(apply_scheme(program, get("plain")), job.model, engine="axiomatic", timeout=timeout)
    except Unsupported as exc:
        return {"status": "unsupported", "feature": exc.feature}
    except InputError as exc:
        return {"status": "not answered", "reason": str(exc).replace(str(SUITE), "tests")}
    except RecursionError:
        return {"status": "not answered", "reason": "recursion too deep"}
    kinds = [k for k in result.violation_kinds() if races or k != "data-race"]
    symmetric = len({t.name.split("#")[0] for t in program.threads}) < len(program.threads)
    # the axiomatic engine (before issue 11's) counts one coherence order per final memory
    # unless the program frees memory: then its count is a lower bound, not GenMC's number
    exact = bool(result.stats.extra.get("executions_exact", True))
    comparable = exact and "-lapor" not in opts and ("-disable-sr" in opts or not symmetric)
    out = {
        "kinds": kinds,
        "executions": result.stats.executions,
        "complete": result.stats.complete,
        "reason": result.incomplete_reason,
        "seconds": time.monotonic() - start,
        "comparable": comparable,
    }
    if job.error is None:
        if kinds:
            out["status"] = "disagree"
        elif not result.stats.complete:
            out["status"] = "not answered"
        elif comparable and result.stats.executions != job.expected:
            out["status"] = "disagree"
        else:
            out["status"] = "agree"
    else:
        want = ERROR_KINDS[job.error]
        if want in kinds:
            out["status"] = "agree"
        elif not result.stats.complete:
            out["status"] = "not answered"
        else:
            out["status"] = "disagree"
    return out


def _run(args):
    job, timeout = args
    try:
        return job, run(job, timeout)
    except Exception as exc:  # an engine bug: reported as one, never hidden
        return job, {"status": "not answered", "reason": f"internal error: {type(exc).__name__}: {exc}"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--groups", default="", help="comma-separated groups (default: every group)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show", type=int, default=40, help="disagreements and failures to list")
    opts = ap.parse_args(argv)
    if not SUITE.is_dir():
        print(f"GenMC's suite is absent ({SUITE}): nothing to measure")
        return 0
    if opts.groups:
        groups = opts.groups.split(",")
    else:
        groups = [f"{k}/{g.name}" for k in ("correct", "wrong") for g in sorted((SUITE / k).iterdir()) if g.is_dir()]
    jobs = [j for g in groups for j in jobs_for(g)]
    print(
        f"GenMC suite: {len(jobs)} runs in {len(groups)} groups, --timeout {opts.timeout:g} s per run, "
        f"{opts.jobs} processes, load average {os.getloadavg()[0]:.1f}"
    )
    start = time.monotonic()
    results: dict[str, list[tuple[Job, dict]]] = defaultdict(list)
    with Pool(opts.jobs, maxtasksperchild=20) as pool:
        for job, res in pool.imap_unordered(_run, [(j, opts.timeout) for j in jobs]):
            results[job.group].append((job, res))
    print(f"{time.monotonic() - start:.0f} s in all\n")
    ok = _report(groups, results, opts.show)
    return 0 if ok else 1


def _report(groups, results, show: int) -> bool:
    ok = True
    header = f"{'group':26} {'model':5} {'runs':>5} {'agree':>6} {'disagree':>8} {'unsupp.':>7} "
    header += f"{'no answer':>9} {'share':>6}"
    print(header)
    print("-" * len(header))
    problems: list[str] = []
    features: Counter = Counter()
    side_by_side: list[str] = []
    for g in groups:
        by_model: dict[str, list] = defaultdict(list)
        for job, res in results.get(g, []):
            by_model[job.model].append((job, res))
        for model, rows in sorted(by_model.items()):
            c = Counter(res["status"] for _, res in rows)
            answered = len(rows) - c["unsupported"]
            share = c["agree"] / len(rows) if rows else 1.0
            print(
                f"{g:26} {model:5} {len(rows):5} {c['agree']:6} {c['disagree']:8} {c['unsupported']:7} "
                f"{c['not answered']:9} {share:6.0%}"
            )
            if g in TARGET_GROUPS and (share < TARGET or c["disagree"]):
                ok = False
            for job, res in rows:
                name = f"{g}/{job.test}/{job.variant.name} {model} {job.args.strip()}"
                if res["status"] == "unsupported":
                    features[res["feature"]] += 1
                elif res["status"] == "disagree":
                    problems.append(f"DISAGREE {name}: expected {job.expected or job.error}, got {_got(res)}")
                elif res["status"] == "not answered":
                    problems.append(f"no answer {name}: {res.get('reason')}")
                elif not res.get("comparable", True) and res.get("executions") != job.expected:
                    side_by_side.append(f"{name}: GenMC {job.expected}, incref {res['executions']}")
            del answered
    print(f"\ntarget: at least {TARGET:.0%} agree in {', '.join(TARGET_GROUPS)}, no disagreement")
    print(f"unsupported features: {dict(features.most_common())}")
    if side_by_side:
        print(
            "\ncounts side by side (GenMC's symmetry reduction or LAPOR, or our engine's merged coherence "
            f"orders, change the count): {len(side_by_side)}"
        )
        for line in side_by_side[:show]:
            print("  " + line)
    print(f"\ndisagreements and runs without an answer: {len(problems)}")
    for line in sorted(problems)[:show]:
        print("  " + line)
    return ok


def _got(res: dict) -> str:
    kinds = ",".join(res["kinds"]) or "safe"
    return f"{kinds}, {res['executions']} executions{'' if res['complete'] else ' (incomplete)'}"


if __name__ == "__main__":
    sys.exit(main())
