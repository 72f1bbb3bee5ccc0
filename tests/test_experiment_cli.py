"""`incref experiment` through the installed entry point: one JSON document on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

INCREF = str(Path(sys.executable).with_name("incref"))


def incref(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([INCREF, "experiment", *args], capture_output=True, text=True, timeout=120)


def test_list_json():
    proc = incref("--list", "--json")
    assert proc.returncode == 0
    names = [e["name"] for e in json.loads(proc.stdout)["experiments"]]
    assert names == ["python-race", "fork-cow", "pyobject-contention"]


def test_python_race_json_is_one_document_with_environment():
    proc = incref("python-race", "--quick", "--json", "--threads", "2")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["experiment"] == "python-race"
    assert {"python", "build", "gil_enabled", "cpu", "cores"} <= set(doc["environment"])
    assert doc["environment"]["python"] == ".".join(map(str, sys.version_info[:3]))
    for case in doc["cases"]:
        assert case["lost"] == case["expected"] - case["final"]
    assert doc["findings"] and all(isinstance(line, str) for line in doc["findings"])


def test_table_output_shows_the_measured_counts():
    proc = incref("python-race", "--quick")
    assert proc.returncode == 0, proc.stderr
    assert "python-race: 2 threads x 100,000 increments" in proc.stdout
    assert "lost" in proc.stdout
