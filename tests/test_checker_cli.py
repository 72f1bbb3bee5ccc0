"""`incref check` through the command line: exit codes, the JSON document's shape, the
terminal output (outcome table, timelines, verdict), bad options."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from incref.cli import main

INCREF = str(Path(sys.executable).with_name("incref"))


def run(capsys, monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["incref", "check", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_json_document_shape(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "incref-race", "--scheme", "plain", "--model", "sc", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["verdict"] == "violation"
    assert (doc["model"], doc["scheme"], doc["scenario"]) == ("sc", "plain", "incref-race")
    assert sorted(o["state"]["obj.refcnt"] for o in doc["outcomes"]) == [2, 3]
    assert all(set(o) == {"state", "count"} and o["count"] > 0 for o in doc["outcomes"])
    assert set(doc["condition"]) == {"text", "holds"}
    lost = next(v for v in doc["violations"] if v["kind"] == "lost-update")
    assert lost["message"] and all(set(s) == {"thread", "step", "detail"} for s in lost["trace"])
    assert {s["thread"] for s in lost["trace"]} == {0, 1}
    stats = doc["stats"]
    assert {"explored", "executions", "seconds", "complete"} <= set(stats) and stats["complete"] is True


def test_set_parameters_and_tso(capsys, monkeypatch):
    code, out, _ = run(
        capsys, monkeypatch, "incref-race", "--set", "threads=3", "--set", "ops=2", "--model", "tso", "--json"
    )
    assert code == 1
    assert sorted(o["state"]["obj.refcnt"] for o in json.loads(out)["outcomes"]) == [3, 4, 5, 6, 7]


def test_safe_exits_0_and_no_reduction_reports_more_executions(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "incref-race", "--scheme", "atomic", "--model", "pso", "--json")
    on = json.loads(out)
    assert code == 0 and on["verdict"] == "safe" and on["violations"] == []
    code, out, _ = run(
        capsys, monkeypatch, "incref-race", "--scheme", "atomic", "--model", "pso", "--no-reduction", "--json"
    )
    off = json.loads(out)
    assert code == 0
    assert off["stats"]["reduction"] is False and on["stats"]["reduction"] is True
    assert off["stats"]["executions"] >= on["stats"]["executions"]


def test_max_states_gives_incomplete_exit_3(capsys, monkeypatch):
    code, out, _ = run(
        capsys,
        monkeypatch,
        "incref-race",
        "--set",
        "threads=5",
        "--set",
        "ops=2",
        "--model",
        "tso",
        "--max-states",
        "1000",
        "--json",
    )
    doc = json.loads(out)
    assert code == 3 and doc["verdict"] == "incomplete"
    assert doc["stats"]["complete"] is False and "1000" in doc["incomplete_reason"]


def test_terminal_output_has_table_timeline_and_verdict(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "incref-decref", "--model", "tso")
    assert code == 1
    assert "final states under tso" in out
    assert "use-after-free" in out and "flush" in out and "(thread 1)" in out
    assert "verdict: violation (leak, lost-update, use-after-free)" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["incref-race", "--model", "x86"],
        ["incref-race", "--scheme", "nope"],
        ["no-such-example"],
        ["incref-race", "--max-states", "0"],
        ["incref-race", "--timeout", "-1"],
        ["incref-race", "--engine", "operational", "--model", "rc11"],
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, monkeypatch, args):
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 2 and out == ""
    assert "Traceback" not in err and err.strip()


def test_ctrl_c_prints_the_partial_result_as_incomplete():
    proc = subprocess.Popen(
        [INCREF, "check", "incref-race", "--set", "threads=8", "--set", "ops=2", "--model", "tso"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr.read(len(" exploring:")).strip() == "exploring:"  # the progress line: the search runs
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert "verdict: incomplete" in out and "interrupted (Ctrl-C)" in out
    assert "Traceback" not in err


def test_exclusive_accesses_are_unsupported_under_store_buffer_models(capsys, monkeypatch):
    litmus = Path(__file__).resolve().parents[1] / "src" / "incref" / "catalogue" / "aarch64" / "LLSC-INC.litmus"
    code, out, err = run(capsys, monkeypatch, str(litmus), "--model", "tso")
    assert code == 2 and out == ""
    assert "LLSC-INC.litmus: unsupported: exclusive load/store" in err and len(err.strip().splitlines()) == 1
