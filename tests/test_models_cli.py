"""`incref models`: every built-in model is a `.cat` file in the package; the command
lists them from the folder and prints one as written."""

from __future__ import annotations

import json

from click.testing import CliRunner

from incref.cli import cli
from incref.models.axiomatic import FOLDER, NAMES


def test_models_lists_every_cat_file_in_the_package():
    result = CliRunner().invoke(cli, ["models", "--json"])
    assert result.exit_code == 0
    listed = {m["name"]: m for m in json.loads(result.output)["models"]}
    assert set(listed) == {p.stem for p in FOLDER.glob("*.cat")} == set(NAMES)
    assert {"sc", "tso", "pso", "armv8", "rc11", "c11"} <= set(listed)
    assert listed["rc11"]["flags"] == ["data-race"]
    assert "no-thin-air" in listed["rc11"]["axioms"]


def test_models_show_prints_the_file_as_written():
    result = CliRunner().invoke(cli, ["models", "--show", "tso"])
    assert result.exit_code == 0
    assert result.output == (FOLDER / "tso.cat").read_text(encoding="utf-8")
    assert "acyclic ghb as tso" in result.output
