"""The tour tells what the engines return: every verdict and number in a chapter's story
is checked here against the engine's own result, computed independently by the test."""

from __future__ import annotations

import json
import re

import pytest

from incref.checker import check
from incref.frontends import load_program
from incref.schemes import apply_scheme, get
from incref.tour import QUICK, Chapter, Sizes, tell


def expanded(spec: str, scheme: str, **params: int):
    return apply_scheme(load_program(spec, params), get(scheme))


def without_seconds(doc):
    """A result's JSON with its wall times removed (two runs never take the same time)."""
    if isinstance(doc, dict):
        return {k: without_seconds(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [without_seconds(v) for v in doc]
    return doc


@pytest.fixture(scope="module")
def model() -> Chapter:
    return tell("model", QUICK)


def test_model_chapter_is_told(model):
    assert model.omitted is None and model.seconds > 0


def test_race_story_matches_the_checker(model):
    race = check(expanded("incref-race", "plain"), "sc")
    assert without_seconds(model.data["race"]) == without_seconds(race.to_json())
    counts = sorted({o.state["obj.refcnt"] for o in race.outcomes})
    assert counts == [2, 3]
    story = " ".join(model.story)
    assert "{" + ", ".join(map(str, counts)) + "}" in story
    lost = next(v for v in race.violations if v.kind == "lost-update")
    assert f"Shortest lost update, {len(lost.trace)} steps: {lost.message}" in story


def test_race_timeline_is_the_renderers(model):
    timeline = pytest.importorskip("incref.reports.timeline")
    program = expanded("incref-race", "plain")
    lost = next(v for v in check(program, "sc").violations if v.kind == "lost-update")
    assert timeline.render_trace(program, lost) in model.figures


def test_fix_verdicts_match_the_checker(model):
    for scheme in ("gil", "atomic"):
        program = expanded("incref-race", scheme, threads=QUICK.fix_threads, ops=QUICK.fix_ops)
        for m in ("sc", "tso", "pso"):
            result = check(program, m)
            assert model.data["fixes"][scheme][m]["verdict"] == result.verdict == "safe"
            assert f"{m.upper()} {result.verdict} ({result.stats.explored:,} states)" in " ".join(model.story)


def test_decref_kinds_match_the_checker(model):
    result = check(expanded("incref-decref", "plain"), "sc")
    assert "use-after-free" in result.violation_kinds()
    assert f"{result.verdict}, {', '.join(result.violation_kinds())}." in " ".join(model.story)


def test_store_buffering_verdicts_come_from_outcomes(model):
    def both_zero(m, fence):
        return any(
            o.state["0:r0"] == 0 and o.state["1:r0"] == 0
            for o in check(expanded("sb", "plain", fence=fence), m).outcomes
        )

    expected = {"SC": both_zero("sc", 0), "TSO": both_zero("tso", 0), "TSO + fence": both_zero("tso", 1)}
    assert expected == {"SC": False, "TSO": True, "TSO + fence": False}
    for label, allowed in expected.items():
        assert model.data["sb"][label]["relaxed_outcome"] is allowed
        assert f"{label} {'allowed' if allowed else 'forbidden'}" in " ".join(model.story)


def test_python_chapter_numbers_are_the_experiments():
    chapter = tell("python", QUICK)
    race = chapter.data["python-race"]
    story = " ".join(chapter.story)
    for case in race["cases"]:
        assert case["lost_runs"] == [case["expected"] - final for final in case["finals"]]
        assert f"`{case['statement']}` ({case['target']}): " in story
    shared = chapter.data["pyobject-contention"]["ratio_shared"]
    # runs that disagree by more than 25% (a loaded machine) are shown as a range with the median
    # (the story rounds the median its own way: match the printed number within rounding)
    printed = [float(v) for v in re.findall(r"(\d+\.\d+)x|median (\d+\.\d+)", story) for v in v if v]
    assert any(abs(v - shared) <= 0.011 for v in printed), (shared, printed)


@pytest.mark.slow
def test_hardware_chapter_numbers_are_the_runners():
    tiny = Sizes(run_iterations=20_000, sb_iterations=20_000, bench_schemes=("plain", "atomic"), bench_runs=1)
    chapter = tell("hardware", tiny)
    assert chapter.omitted is None, chapter.omitted
    story = " ".join(chapter.story)
    for scheme, run in chapter.data["runs"].items():
        assert f"{scheme}: {run['lost_updates']:,} of {run['refcount_ops']:,} increments lost" in story
    assert chapter.data["runs"]["atomic"]["lost_updates"] == 0
    assert chapter.data["sb"]["with the fence"]["both_zero"] == 0
    for sb in chapter.data["sb"].values():
        both_zero = [o["count"] for o in sb["result"]["outcomes"] if o["state"]["0:r0"] == o["state"]["1:r0"] == 0]
        assert sb["both_zero"] == sum(both_zero)
        assert f"both loads read 0 in {sb['both_zero']:,} of {sb['result']['iterations']:,} runs" in story
    assert chapter.data["runs"]["gil"]["lost_updates"] == 0
    ns = {(m["scheme"], m["threads"]): m["ns_per_op"] for m in chapter.data["bench"]["measurements"]}
    shown = re.search(r"atomic costs ([\d.]+) ns/op alone against plain's ([\d.]+)", story)
    assert shown and float(shown[1]) == pytest.approx(ns["atomic", 1], abs=0.006)
    assert float(shown[2]) == pytest.approx(ns["plain", 1], abs=0.006)


def test_an_engine_that_cannot_run_here_fails_its_chapter(monkeypatch):
    from click.testing import CliRunner

    from incref.cli import cli
    from incref.errors import InputError

    def no_compiler(*args, **kwargs):
        raise InputError("no C compiler found (tried cc, gcc, clang)")

    monkeypatch.setattr("incref.hardware.runner.find_compiler", no_compiler)
    chapter = tell("hardware", QUICK)
    assert chapter.failed and chapter.story == [] and "no C compiler" in chapter.omitted
    result = CliRunner().invoke(cli, ["tour", "--chapter", "hardware", "--quick", "--json"])
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["complete"] is False and doc["chapters"][0]["failed"] is True


def test_answer_speaks_only_for_told_chapters(model):
    from incref.tour import answer

    lines = answer([model, Chapter("coherence", "Coherence", omitted="not told yet")])
    assert len(lines) == 1 and lines[0].startswith("Yes, two threads can lose an increment")
    broken = Chapter("model", "Model", data={**model.data, "fixes": {"gil": {"tso": {"verdict": "violation"}}}})
    assert answer([broken])[0].endswith("not proved safe: gil TSO.")


def test_answer_python_numbers_are_the_chapters():
    from incref.tour import answer

    cases = [
        {"statement": "counter += 1", "lost_per_million": {"median": 12.0}, "finals": [1] * 5},
        {"statement": "counter = counter + one()", "lost_per_million": {"median": 345678.0}, "finals": [1] * 5},
    ]
    chapter = Chapter(
        "python",
        "Python",
        data={"python-race": {"cases": cases, "environment": {"python": "3.14.0", "gil_enabled": False}}},
    )
    (line,) = answer([chapter])
    assert "Python 3.14.0 without the GIL" in line and "lost 12 per million" in line and "345,678" in line
