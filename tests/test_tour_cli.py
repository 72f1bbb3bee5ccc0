"""`incref tour` on the command line: one JSON document, chapters as asked, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from incref.cli import cli

INCREF = str(Path(sys.executable).with_name("incref"))


def test_json_is_one_document_with_the_chosen_chapters():
    result = CliRunner().invoke(cli, ["tour", "--chapter", "model", "--chapter", "coherence", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["name"] for c in doc["chapters"]] == ["model", "coherence"]
    model = doc["chapters"][0]
    assert model["data"]["race"]["verdict"] == "violation" and model["story"]
    assert doc["total_seconds"] >= sum(c["seconds"] for c in doc["chapters"]) * 0.99


def test_text_shows_chapters_and_total():
    result = CliRunner().invoke(cli, ["tour", "--chapter", "model", "--quick"])
    assert result.exit_code == 0, result.output
    assert "1. The model" in result.stdout and "total" in result.stdout
    assert "lost-update" in result.stdout


def test_unknown_chapter_is_a_usage_error():
    proc = subprocess.run([INCREF, "tour", "--chapter", "gossip"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "gossip" in proc.stderr and "Traceback" not in proc.stderr
