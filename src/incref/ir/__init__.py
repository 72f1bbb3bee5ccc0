"""The IR (`program`) and the result objects (`results`): the contract between front
ends, schemes, engines and reports."""

from incref.ir.program import *  # noqa: F401,F403
from incref.ir.results import CheckResult, Outcome, Stats, Step, Violation, merge_outcomes  # noqa: F401
