"""`incref litmus`: herd7's text, one JSON object per test, directory runs that go on past a
malformed file, and exit code 2 with one located line for a malformed file."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from incref import catalogue
from incref.cli import cli

SB = catalogue.get("x86/SB").path


def test_text_output_reads_like_herd7():
    result = CliRunner().invoke(cli, ["litmus", str(SB)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Test SB Allowed"
    assert lines[1] == "States 4"
    assert "0:EAX=0; 1:EAX=0;" in lines[2:6]
    assert lines[6] == "Ok"
    assert lines[7] == "Witnesses"
    assert lines[8].startswith("Positive: ") and " Negative: " in lines[8]
    assert lines[9] == "Condition exists (0:EAX=0 /\\ 1:EAX=0)"
    assert lines[10].startswith("Observation SB Sometimes ")
    assert lines[11].startswith("Time SB ")


def test_json_one_object_per_test_and_model_choice():
    result = CliRunner().invoke(cli, ["litmus", str(SB), "--model", "sc", "--json"])
    doc = json.loads(result.output)
    assert doc["test"] == "SB" and doc["model"] == "sc" and doc["result"] == "No"
    assert doc["condition"] is False and doc["racy"] is False and doc["states"] == 3
    assert {"0:EAX": 0, "1:EAX": 0} not in [o["state"] for o in doc["outcomes"]]
    assert doc["positive"] == 0 and doc["negative"] > 0


def test_directory_run_reports_malformed_and_goes_on(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "SB.litmus").write_text(SB.read_text())
    (tmp_path / "bad.litmus").write_text("X86 bad\n{ x=0; }\n P0 ;\n FROB [x] ;\nexists (x=0)\n")
    (tmp_path / "ldp.litmus").write_text("AArch64 ldp\n{ 0:X1=x; }\n P0 ;\n LDP W0,W2,[X1] ;\nexists (x=0)\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from incref.cli import main; main()", "litmus", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    docs = json.loads(proc.stdout)
    assert [d["result"] for d in docs] == ["malformed", "unsupported", "Ok"]
    assert docs[1]["reason"] == "AArch64 instruction LDP"
    assert "bad.litmus:4:2: unknown X86 instruction 'FROB'" in proc.stderr
    assert "Summary: 3 tests" in proc.stderr


def test_malformed_single_file_is_one_line_and_exit_2(tmp_path: Path):
    bad = tmp_path / "t.litmus"
    bad.write_text("X86 t\n{ x=0; }\n P0 ;\n MOV [x],$1 ;\nexists (x=1 /\\ (x=2)\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from incref.cli import main; main()", "litmus", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and f"{bad}:5:" in err[0] and "Traceback" not in proc.stderr


def test_witness_graph_in_text_and_dot(tmp_path: Path):
    dot = tmp_path / "sb.dot"
    result = CliRunner().invoke(cli, ["litmus", str(SB), "--witness", "--dot", str(dot)])
    assert result.exit_code == 0, result.output
    text = result.output[result.output.index("Execution of SB") :]
    assert "satisfies the condition: 0:EAX=0; 1:EAX=0;" in text
    # in the store-buffering execution each read reads the initial write and is fr-before the other store
    assert "rf: a -> f, b -> d" in text and "fr: d -> e, f -> c" in text
    graph = dot.read_text()
    assert graph.startswith('digraph "SB" {') and graph.count('[label="fr"') == 2


def test_locations_widen_the_states_and_filter_drops_executions(tmp_path: Path):
    test = tmp_path / "mp.litmus"
    test.write_text(
        "X86 MPf\n{ x=0; y=0; }\n P0 | P1 ;\n MOV [x],$1 | MOV EAX,[y] ;\n"
        " MOV [y],$1 | MOV EBX,[x] ;\nlocations [x;]\nfilter (1:EAX=1)\nexists (1:EBX=0)\n"
    )
    doc = json.loads(CliRunner().invoke(cli, ["litmus", str(test), "--model", "sc", "--json"]).output)
    # only executions where P1 saw the flag survive the filter; under SC it then sees the data
    assert [o["state"] for o in doc["outcomes"]] == [{"x": 1, "1:EBX": 1}]
    assert doc["result"] == "No" and doc["states"] == 1
