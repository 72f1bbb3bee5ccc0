"""`incref zoo` through the real CLI: JSON records, the HTML page, --explain, usage errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from incref.reports.zoo_html import render


def incref(*args):
    return subprocess.run(
        [str(Path(sys.executable).parent / "incref"), *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    page = tmp_path_factory.mktemp("zoo") / "zoo.html"
    done = incref(
        "zoo",
        "--schemes",
        "plain,atomic",
        "--scenarios",
        "concurrent-incref,overflow",
        "--models",
        "sc,tso",
        "--json",
        "--html",
        str(page),
    )
    return done, page


def test_json_is_one_record_per_cell(small):
    done, _ = small
    assert done.returncode == 0, done.stderr
    cells = json.loads(done.stdout)["cells"]
    assert len(cells) == 2 * 2 * 2
    keys = {"scheme", "scenario", "model", "verdict", "violation_kinds", "states", "seconds"}
    assert all(keys <= set(c) for c in cells)
    by = {(c["scheme"], c["scenario"], c["model"]): c for c in cells}
    assert by["plain", "concurrent-incref", "tso"]["violation_kinds"] == ["lost-update"]
    assert by["atomic", "concurrent-incref", "sc"]["verdict"] == "safe"
    assert by["atomic", "overflow", "sc"]["verdict"] == "skipped"


def test_html_page_is_self_contained_with_each_timeline(small):
    _, page = small
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "http" not in html and "src=" not in html
    assert 'id="plain-concurrent-incref-sc"' in html
    assert "lost-update" in html and "obj.refcnt" in html


def test_explain_prints_the_counterexample_and_exits_1():
    done = incref("zoo", "--explain", "arc-relaxed", "publish-drop", "rc11")
    assert done.returncode == 1, done.stderr
    assert "data-race" in done.stdout and "obj.payload" in done.stdout


def test_explain_of_a_safe_cell_exits_0():
    assert incref("zoo", "--explain", "atomic", "race-to-zero", "tso").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--schemes", "nosuch"],
        ["--models", "x86"],
        ["--scenarios", "nosuch"],
        ["--explain", "plain", "nosuch", "sc"],
        ["--timeout", "0"],
        ["--jobs", "0"],
    ],
)
def test_unknown_names_are_usage_errors(args):
    done = incref("zoo", *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_render_marks_skipped_and_incomplete_cells():
    from incref.zoo import Cell

    page = render([Cell("a", "s", "sc", "skipped", [], 0, 0, 0.0), Cell("b", "s", "sc", "incomplete", [], 5, 0, 1.0)])
    assert 'class="skipped"' in page and 'class="incomplete"' in page


def test_explain_of_a_skipped_cell_says_why_and_json_stays_one_document():
    done = incref("zoo", "--explain", "plain", "overflow", "sc", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["cell"]["verdict"] == "skipped"
    assert "applies to: saturating" in done.stderr
