"""One litmus test checked under one model, and herd7's way of saying the answer.

herd7 (herdtools7, `herd/` documentation "Running herd") prints, per test: `Test NAME
Allowed|Forbidden|Required` (from the quantifier: exists / ~exists / forall), `States N`
and one line per distinct final state, `Ok` when the condition is validated and `No`
otherwise (`Undef` when an execution has undefined behaviour, i.e. a data race under
RC11/C11), `Witnesses`, `Positive: p Negative: n` (executions satisfying the condition's
proposition, and the others), `Condition ...`, `Observation NAME Always|Sometimes|Never p
n`, and `Time NAME seconds`. Scripts that read herd7's output read this one.

`run_file` never raises for a test's content: an unsupported feature gives the result
`unsupported` with the feature named, a malformed file the result `malformed` with its
file:line:col message, an engine failure the result `error`, so a directory run goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incref.errors import InputError, Unsupported
from incref.ir.program import Program
from incref.ir.results import CheckResult, sort_outcomes

DEFAULT_MODEL = {"X86": "tso", "AArch64": "armv8", "C": "rc11"}
KIND = {"exists": "Allowed", "~exists": "Forbidden", "forall": "Required"}


@dataclass
class Verdict:
    test: str
    file: str
    model: str | None
    result: str  # Ok | No | Undef | unsupported | malformed | incomplete | error (an engine bug)
    reason: str | None = None
    program: Program | None = None
    check: CheckResult | None = None
    seconds: float = 0.0
    positive: int = 0
    negative: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def condition(self) -> bool | None:
        """The test's own condition holds (races aside); None when not checked."""
        return None if self.check is None else self.check.condition_holds

    @property
    def racy(self) -> bool:
        return self.check is not None and "data-race" in self.check.violation_kinds()

    def to_json(self) -> dict[str, Any]:
        outcomes = [] if self.check is None else [o.to_json() for o in sort_outcomes(self.check.outcomes)]
        return {
            "test": self.test,
            "file": self.file,
            "model": self.model,
            "result": self.result,
            "condition": self.condition,
            "racy": self.racy,
            "reason": self.reason,
            "states": len(outcomes),
            "positive": self.positive,
            "negative": self.negative,
            "outcomes": outcomes,
            "seconds": round(self.seconds, 6),
            "complete": None if self.check is None else self.check.stats.complete,
        }

    def herd_text(self) -> str:
        """herd7's report for this test (or one line saying why there is none); a name
        with control characters (a hostile file) reaches the terminal escaped."""
        test = printable(self.test)
        if self.check is None:
            return f"Test {test} {self.result}: {self.reason}"
        prog, res = self.program, self.check
        cond = prog.condition
        keys = prog.state_keys()
        outcomes = sort_outcomes(res.outcomes)
        lines = [f"Test {test} {KIND[cond.quantifier]}", f"States {len(outcomes)}"]
        lines += [" ".join(f"{k}={o.state[k]};" for k in keys if k in o.state) for o in outcomes]
        lines.append(self.result if self.result != "incomplete" else f"Incomplete ({self.reason})")
        lines.append("Witnesses")
        lines.append(f"Positive: {self.positive} Negative: {self.negative}")
        for kind in res.violation_kinds():
            if kind != "condition":
                lines.append(f"Flag {kind}")
        lines.append(f"Condition {cond.text}")
        observation = "Never" if self.positive == 0 else "Always" if self.negative == 0 else "Sometimes"
        lines.append(f"Observation {test} {observation} {self.positive} {self.negative}")
        lines.append(f"Time {test} {self.seconds:.2f}")
        return "\n".join(lines)


def run_file(
    path: str | Path,
    model: str | None = None,
    *,
    timeout: float | None = None,
    max_states: int | None = None,
    engine: str = "axiomatic",
) -> Verdict:
    """Parse and check one litmus file under `model` (default: the architecture's).

    The default engine is the axiomatic one for every model, because herd7's `Positive` and
    `Negative` count execution graphs (one per consistent choice of rf and co), not the
    interleavings an operational machine counts: with it, SB under x86-TSO reads
    "Positive: 1 Negative: 3" as herd7 prints. The final states are the same in both
    engines (tests/test_litmus_crossval.py)."""
    from incref.checker import check
    from incref.frontends.litmus import parse_file

    start = time.monotonic()
    path = str(path)
    try:
        program = parse_file(path)
    except Unsupported as exc:
        return Verdict(_name_of(path), path, model, "unsupported", exc.feature, seconds=time.monotonic() - start)
    except InputError as exc:
        return Verdict(_name_of(path), path, model, "malformed", str(exc), seconds=time.monotonic() - start)
    model = model or DEFAULT_MODEL[program.meta["arch"]]
    try:
        res = check(program, model, engine=engine, timeout=timeout, max_states=max_states)
    except Unsupported as exc:  # a feature this model's engine does not run (exclusives under tso)
        return Verdict(program.name, path, model, "unsupported", exc.feature, program, seconds=time.monotonic() - start)
    except InputError as exc:  # the architecture's default model is one this engine does not run
        return Verdict(program.name, path, model, "error", str(exc), program, seconds=time.monotonic() - start)
    except Exception as exc:  # noqa: BLE001 - an engine bug on one test must not stop a directory run
        return Verdict(
            program.name,
            path,
            model,
            "error",
            f"internal error: {type(exc).__name__}: {exc}",
            program,
            seconds=time.monotonic() - start,
        )
    cond = program.condition
    positive = sum(o.count for o in res.outcomes if cond.satisfied_by(o.state))
    negative = sum(o.count for o in res.outcomes) - positive
    if not res.stats.complete:
        result, reason = "incomplete", res.incomplete_reason or "budget exhausted"
    elif "data-race" in res.violation_kinds():
        result, reason = "Undef", None
    else:
        result, reason = ("Ok" if res.condition_holds else "No"), None
    return Verdict(
        program.name, path, model, result, reason, program, res, time.monotonic() - start, positive, negative
    )


def _name_of(path: str) -> str:
    """A test's name before (or without) parsing: the header's second word if readable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            words = fh.readline().split()
    except OSError:
        words = []
    return words[1] if len(words) > 1 else Path(path).stem


def printable(text: str) -> str:
    """`text` with every non-printable character written as a `\\xNN` escape."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
