"""`incref experiment` on the command line: one JSON document on stdout, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from incref.cli import cli

INCREF = str(Path(sys.executable).with_name("incref"))


def invoke(*args: str):
    return CliRunner().invoke(cli, ["experiment", *args])


def test_list_json():
    result = invoke("--list", "--json")
    assert result.exit_code == 0
    names = [e["name"] for e in json.loads(result.stdout)["experiments"]]
    assert names == ["python-race", "fork-cow", "pyobject-contention"]


def test_python_race_json_is_one_document_with_environment():
    result = invoke("python-race", "--quick", "--json", "--threads", "2")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["experiment"] == "python-race"
    assert {"python", "build", "gil_enabled", "cpu", "cores"} <= set(doc["environment"])
    assert doc["environment"]["python"] == ".".join(map(str, sys.version_info[:3]))
    for case in doc["cases"]:
        assert case["lost_runs"] == [case["expected"] - final for final in case["finals"]]
        assert case["lost_per_million"]["unit"] == "lost per million"
    assert doc["findings"] and all(isinstance(line, str) for line in doc["findings"])


def test_bad_usage_is_one_line_and_exit_2():
    for args in (["no-such"], ["python-race", "--python", "/no/such/python"]):
        proc = subprocess.run([INCREF, "experiment", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
