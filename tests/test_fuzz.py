"""The fuzz harness (`tests/fuzzing.py`) on a short budget, inside `make test`: damaged
bundled files, generated scenario and litmus files, and random command lines, each run
through `incref` and held to the promise (no internal error, one located line per error,
contract exit codes, one JSON document). `make fuzz` runs the same at 100,000 inputs.

A failure prints the input; Hypothesis prints the `@reproduce_failure` line to replay it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import (
    GENERATORS,
    TARGETS,
    Run,
    command_lines,
    judge,
    judge_command_line,
    judge_file,
    mutate,
)

SHORT = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
SEEDS = {target.name: target.seeds() for target in TARGETS}


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_every_target_has_seed_files(target):
    assert SEEDS[target.name], f"no bundled files for {target.name}"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@SHORT
@given(rnd=st.randoms(use_true_random=False))
def test_a_damaged_bundled_file_keeps_the_promise(tmp_path_factory, target, rnd):
    everything = [data for datas in SEEDS.values() for data in datas]
    data = mutate(rnd.choice(SEEDS[target.name]), rnd, everything)
    _, defect, _ = judge_file(target, data, tmp_path_factory.mktemp("fuzz"), rnd)
    assert defect is None, (defect, data[:3000])


@pytest.mark.parametrize("name", list(GENERATORS))
def test_a_generated_file_keeps_the_promise(tmp_path_factory, name):
    target_name, strategy = GENERATORS[name]
    target = next(t for t in TARGETS if t.name == target_name)

    @SHORT
    @given(data=strategy, seed=st.integers(0, 2**32))
    def check(data, seed):
        _, defect, _ = judge_file(target, data, tmp_path_factory.mktemp("fuzz"), random.Random(seed))
        assert defect is None, (defect, data.decode("utf-8", "replace"))

    check()


def test_a_random_command_line_keeps_the_promise(tmp_path):
    @settings(SHORT, max_examples=80)
    @given(argv=command_lines(tmp_path))
    def check(argv):
        _, defect = judge_command_line(argv)
        assert defect is None, (defect, argv)

    check()


# The judge itself: each promise it holds a run to, shown failing on a run that breaks it.
BROKEN_RUNS = [
    (Run(("check", "f.inc"), 2, "", "incref: internal error: ValueError: x", 0.1), "internal error"),
    (Run(("check", "f.inc"), 2, "", "incref: f.inc:1:2: bad\nsecond line", 0.1), "2 lines"),
    (Run(("check", "f.inc"), 2, "", "incref: f.inc: bad token", 0.1), "without a line and column"),
    (Run(("check", "f.inc", "--json"), 0, "{} {}", "", 0.1), "single valid document"),
    (Run(("check", "f.inc", "--json"), 0, '{"x": NaN}', "", 0.1), "single valid document"),
    (Run(("check", "f.inc", "--json"), 0, "", "", 0.1), "printed nothing"),
    (Run(("check", "f.inc"), 7, "", "", 0.1), "exit code 7"),
    (Run(("check", "f.inc"), None, "", "", 0.1, "KeyError: 'x'"), "escaped"),
]


@pytest.mark.parametrize("run, words", BROKEN_RUNS, ids=[w for _, w in BROKEN_RUNS])
def test_the_judge_sees_each_broken_promise(run, words):
    assert words in (judge(run, "f.inc") or "")


def test_the_judge_passes_a_kept_promise():
    assert judge(Run(("check", "f.inc"), 2, "", "incref: f.inc:3:7: unexpected '}'", 0.1), "f.inc") is None
    assert judge(Run(("check", "f.inc", "--json"), 1, '{"verdict": "violation"}', "", 0.1), "f.inc") is None


def test_a_mutation_changes_the_file():
    rnd = random.Random(1)
    seed = Path(__file__).read_bytes()[:500]
    assert sum(mutate(seed, rnd, []) != seed for _ in range(50)) >= 45
