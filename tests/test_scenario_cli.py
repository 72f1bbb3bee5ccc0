"""Through the command line: `incref examples`, and every bad scenario input as one line
on stderr with exit 2 (never a traceback)."""

import json
import os
import sys

import pytest

from incref import examples
from incref.cli import main


def run(capsys, monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["incref", *args])
    with pytest.raises(SystemExit) as info:
        main()
        sys.exit(0)
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_examples_lists_each_bundled_example(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "examples")
    assert code == 0
    for name in examples.names():
        assert name in out


def test_examples_json_is_one_document(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "examples", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [e["name"] for e in doc["examples"]] == examples.names()
    race = next(e for e in doc["examples"] if e["name"] == "incref-race")
    assert race["params"] == {"threads": 2, "ops": 1} and race["objects"] == ["obj"]
    assert all(e["description"] for e in doc["examples"])


def test_examples_shows_one_source(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "examples", "mp", "--json")
    assert code == 0
    assert json.loads(out)["source"] == examples.path("mp").read_text()


def _write(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda d: [_write(d, "syntax.inc", b"shared x = 0\nthread t { store x = }\n")], ":2:22: unexpected '}'"),
        (lambda d: ["incref-rase"], "unknown example 'incref-rase'; known examples: "),
        (lambda d: [_write(d, "undef.inc", b"thread t { r = q + 1 }")], ":1:16: undefined register or parameter 'q'"),
        (lambda d: ["incref-race", "--set", "thread=3"], "has no parameter 'thread'"),
        (lambda d: ["incref-race", "--set", "threads=-1"], ":5:17: the number of copies of thread 'worker' is -1"),
        (lambda d: [_write(d, "latin.inc", b"thread t { } # \xe9")], ":1:16: not UTF-8 text"),
        (lambda d: [_write(d, "empty.inc", b"")], "empty file"),
        (lambda d: [_write(d, "noise.inc", os.urandom(10 * 1024 * 1024))], "a scenario file is at most"),
        (
            lambda d: [_write(d, "big.inc", b"object o = 1 thread t { repeat 100000000 { incref o } }")],
            "over the limit",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path, make_args, expected):
    code, out, err = run(capsys, monkeypatch, "check", *make_args(tmp_path), "--json")
    assert code == 2
    assert out == ""
    assert expected in err
    assert err.startswith("incref: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_zoo_scenarios_load_by_name_and_are_listed():
    from incref.frontends import load_program

    assert examples.zoo_names() and not set(examples.zoo_names()) & set(examples.names())
    for name in examples.zoo_names():
        assert load_program(name).name == name
