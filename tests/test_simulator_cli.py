"""`incref simulate` through the command line: the JSON document, the explanation of the
lost increment, the timed table, and one clear line with exit 2 for bad configurations."""

from __future__ import annotations

import json
import re
import sys

import pytest

from incref.cli import main


def run(capsys, monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["incref", "simulate", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_exhaustive_json(capsys, monkeypatch):
    code, out, _ = run(
        capsys, monkeypatch, "incref-race", "--protocol", "moesi", "--interconnect", "directory", "--json"
    )
    assert code == 1  # the lost update
    doc = json.loads(out)
    assert (doc["protocol"], doc["interconnect"], doc["swmr"], doc["data_value"]) == ("moesi", "directory", True, True)
    assert doc["states"] == doc["stats"]["explored"] > 0
    assert sorted(o["state"]["obj.refcnt"] for o in doc["outcomes"]) == [2, 3]
    assert all(set(o) == {"state", "count"} for o in doc["outcomes"])
    assert "lost-update" in {v["kind"] for v in doc["violations"]}
    assert doc["model_outcomes_equal"] is True


def test_atomic_is_safe_without_store_buffers(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "incref-race", "--scheme", "atomic", "--no-store-buffers", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "safe" and doc["model"] == "sc" and doc["violations"] == []
    assert [o["state"]["obj.refcnt"] for o in doc["outcomes"]] == [3]


def test_explain_tells_the_line_level_story(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "incref-race", "--explain")
    assert code == 1
    assert "No stale copy was ever written back" in out
    assert "the line moved between a load and its store" in out
    # the story's numbers: a core loaded 1 and stored 2 over the other core's 2
    assert re.search(
        r"(P\d) loaded obj\.refcnt = 1 at step \d+ and stored 2 at step \d+; in between (P\d) held "
        r"the line writable \((P\d) wrote 2 at step \d+\)",
        out,
    )
    held = re.search(r"SWMR held in all ([\d,]+) reachable states", out)
    assert held
    _, doc, _ = run(capsys, monkeypatch, "incref-race", "--json")
    assert int(held.group(1).replace(",", "")) == json.loads(doc)["states"]


def test_explain_json_steps_show_the_line_moving(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "incref-race", "--explain", "--interconnect", "directory", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["swmr"] is True and doc["violation"]["kind"] == "lost-update"
    owners = [s["lines"]["obj.refcnt"] for s in doc["steps"]]
    assert any("P0:M" in o for o in owners) and any("P1:M" in o for o in owners)
    assert all(not ("P0:M" in o and "P1:M" in o) for o in owners)


def test_timed_json(capsys, monkeypatch):
    code, out, _ = run(
        capsys, monkeypatch, "incref-race", "--timed", "--iterations", "1000", "--json", "--latency", "c2c=100"
    )
    doc = json.loads(out)
    assert code == 0 and doc["latencies"]["c2c"] == 100 and doc["iterations"] == 1000
    assert doc["operations"] == 2 * 2 * 1000  # two threads, a load and a store per increment
    assert doc["transitions"]["cache"] and doc["messages"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--protocol", "dragon"], "unknown protocol 'dragon'"),
        (["--interconnect", "ring"], "ring"),
        (["--timed", "--latency", "llc=-5"], "latency llc must not be negative"),
        (["--timed", "--latency", "l1"], "expected name=value"),
        (["--timed", "--iterations", "0"], "between 1 and"),
        (["--set", "threads=0"], "thread"),
    ],
)
def test_bad_configs_exit_2_with_one_line(capsys, monkeypatch, args, message):
    code, out, err = run(capsys, monkeypatch, "incref-race", *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_table_file_with_a_missing_transition_exits_2(capsys, monkeypatch, tmp_path):
    from incref.simulator.protocols import msi

    path = tmp_path / "broken.coh"
    path.write_text(
        msi.BUS.replace("| data>req/I | -         | -    | -        | -\n", "| data>req/I | -         | -    | -\n", 1)
    )
    code, out, err = run(capsys, monkeypatch, "incref-race", "--protocol", str(path))
    assert code == 2 and out == ""
    assert "broken.coh:" in err and "missing cell (M, NoData)" in err
