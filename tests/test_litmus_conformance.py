"""A small sample of the independent conformance corpus (Dat3M's X86 tests with their
x86-TSO expectations), run when `../shared/conformance` exists; the whole corpus runs with
`make conformance`."""

import importlib.util
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent.parent / "benchmarks" / "conformance.py"
spec = importlib.util.spec_from_file_location("conformance", RUNNER)
conformance = sys.modules.setdefault("conformance", importlib.util.module_from_spec(spec))
spec.loader.exec_module(conformance)

pytestmark = pytest.mark.skipif(
    not (conformance.CORPUS / "TSO-expected.csv").exists(),
    reason="conformance corpus ../shared/conformance not present",
)


def test_forty_x86_tests_agree_with_x86_tso():
    rows = conformance.read_expected(conformance.CORPUS, "tso")[::12][:40]
    assert len(rows) == 40
    for path, expected in rows:
        verdict = conformance.run_file(conformance.CORPUS / path, "tso", timeout=30)
        assert verdict.result in ("Ok", "No"), (path, verdict.reason)
        assert verdict.condition == expected, path


def test_runner_counts_a_limited_run():
    tally = conformance.run_model(
        conformance.CORPUS, "tso", limit=5, jobs=1, timeout=30, skip=conformance.read_skip(conformance.CORPUS)
    )
    assert sum(tally.counts.values()) == 5 and tally.counts["agreed"] == 5
    assert "litmus/C11/auto/linearisation.litmus" in conformance.read_skip(conformance.CORPUS)
