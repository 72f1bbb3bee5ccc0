"""The verdict on one litmus test under one model, said herd7's way.

herd7 (herdtools7, `herd/` documentation "Running herd") prints, per test: `Test NAME
Allowed|Forbidden|Required` (from the quantifier: exists / ~exists / forall), `States N`
and one line per distinct final state, `Ok` when the condition is validated and `No`
otherwise (`Undef` when an execution has undefined behaviour, i.e. a data race under
RC11/C11), `Witnesses`, `Positive: p Negative: n` (executions satisfying the condition's
proposition, and the others), `Condition ...`, `Observation NAME Always|Sometimes|Never p
n`, and `Time NAME seconds`. Scripts that read herd7's output read this one.

`incref.compose.run_file` checks one test and returns its `Verdict`; this module only
says it the way herd7 does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def printable(text: str) -> str:
    """`text` with every non-printable character written as a `\\xNN` escape."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
