"""What a new user will try: damaged scenario and litmus files, impossible options, a
missing path, a directory where a file is wanted. The promise (issues 3, 4, 6, 7: "Bad
input"): exit 2, one line on stderr naming `file:line:col` where there is a location,
never a traceback. Known breaks are in the team's findings list (notes/findings.md), one
test each marked `xfail(strict=True)` with the finding's number, so it flips when fixed."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CATALOGUE, HAVE_CC, INCREF, assert_one_line_error, incref, write
from incref.hardware.codegen import host_is_x86

EXAMPLES = CATALOGUE.parent / "examples"
RACE = (EXAMPLES / "incref-race.inc").read_text()
SB = (EXAMPLES / "sb.inc").read_text()
SB_LITMUS = (CATALOGUE / "x86" / "SB.litmus").read_text()
HOST_X86 = host_is_x86()
needs_cc = pytest.mark.skipif(not HAVE_CC, reason="no C compiler: hardware subcommands cannot run")


def garbage(size: int, seed: int = 2026) -> bytes:
    return random.Random(seed).randbytes(size)


def at(name: str, line: int) -> str:
    """`name:line:col:` as the message must start its location."""
    return rf"{re.escape(name)}:{line}:\d+: "


# (file name, content, the location the message must name or None, a word of the sentence)
SCENARIOS = [
    ("truncated.inc", RACE[: RACE.index("{") + 1], at("truncated.inc", 5), "end of the file"),
    (
        "unknown-instruction.inc",
        RACE.replace("incref obj", "frobnicate obj"),
        r"unknown-instruction\.inc:6:16: ",
        "unknown instruction 'frobnicate'",
    ),
    (
        "misspelt-store.inc",
        SB.replace("store.rlx x = 1", "stor.rlx x = 1"),
        r"misspelt-store\.inc:9:3: ",
        "unknown instruction 'stor'",
    ),
    (
        "misspelt-store-2.inc",
        SB.replace("store.rlx x = 1", "stor x = 1"),
        r"misspelt-store-2\.inc:9:3: ",
        "unknown instruction 'stor'",
    ),
    (
        "bad-register.inc",
        SB.replace("r0 = load.rlx y", "9r = load.rlx y"),
        at("bad-register.inc", 11),
        "unexpected '9'",
    ),
    ("unbalanced.inc", RACE.replace("forall obj.refcnt ==", "forall (obj.refcnt =="), at("unbalanced.inc", 8), "')'"),
    ("undefined.inc", RACE.replace("incref obj", "incref nosuch"), at("undefined.inc", 6), "'nosuch'"),
    ("bad-order.inc", SB.replace("store.rlx x = 1", "store.weird x = 1"), at("bad-order.inc", 9), "weird"),
    ("empty.inc", "", None, "empty"),
    ("non-utf8.inc", RACE.encode().replace(b"Two threads", b"Two \xff threads"), at("non-utf8.inc", 1), "UTF-8"),
    ("garbage.inc", garbage(10_000_000), None, "at most"),
    ("garbage-small.inc", garbage(4096), r"garbage-small\.inc:\d+:\d+: ", ""),
]


@pytest.mark.parametrize("name, content, where, words", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_malformed_scenario_is_one_located_line(capfd, monkeypatch, tmp_path, name, content, where, words):
    path = write(tmp_path, name, content)
    code, out, err = incref(capfd, monkeypatch, "check", path, "--json")
    assert_one_line_error(code, out, err, words)
    assert re.search(where or re.escape(path) + ": ", err), err


LITMUS = [
    ("truncated.litmus", SB_LITMUS[: SB_LITMUS.index("MOV EAX")], at("truncated.litmus", 8), "condition"),
    (
        "unknown-instruction.litmus",
        SB_LITMUS.replace("MOV EAX,[y]", "FROB EAX,[y]"),
        at("unknown-instruction.litmus", 8),
        "unknown X86 instruction 'FROB'",
    ),
    ("bad-register.litmus", SB_LITMUS.replace("MOV EAX,[y]", "MOV QQQ,[y]"), at("bad-register.litmus", 8), "'QQQ'"),
    ("unbalanced.litmus", SB_LITMUS.replace("1:EAX=0)", "1:EAX=0"), at("unbalanced.litmus", 9), "condition"),
    ("unknown-arch.litmus", SB_LITMUS.replace("X86 SB", "SPARC SB"), at("unknown-arch.litmus", 1), "'SPARC'"),
    ("empty.litmus", "", at("empty.litmus", 1), "empty"),
    ("garbage.litmus", garbage(200_000), r"garbage\.litmus:\d+:\d+: ", ""),
    ("non-utf8.litmus", SB_LITMUS.encode().replace(b"MOV EAX,[y]", b"MOV E\xffX,[y]"), at("non-utf8.litmus", 8), ""),
]


@pytest.mark.parametrize("command", ["litmus", "check"])
@pytest.mark.parametrize("name, content, where, words", LITMUS, ids=[s[0] for s in LITMUS])
def test_malformed_litmus_is_one_located_line(capfd, monkeypatch, tmp_path, command, name, content, where, words):
    path = write(tmp_path, name, content)
    code, _, err = incref(capfd, monkeypatch, command, path)
    assert code == 2 and "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert re.search(where, err), err


def test_non_utf8_litmus_says_so(capfd, monkeypatch, tmp_path):
    path = write(tmp_path, "latin1.litmus", SB_LITMUS.encode().replace(b"MOV EAX,[y]", b"MOV E\xe9X,[y]"))
    code, _, err = incref(capfd, monkeypatch, "litmus", path)
    assert code == 2 and "UTF-8" in err, err


def test_a_garbage_test_name_reaches_the_terminal_escaped(capfd, monkeypatch, tmp_path):
    path = write(tmp_path, "bell.litmus", b"SPARC a\x07\x19b\n{ x=0; }\n")
    code, out, _ = incref(capfd, monkeypatch, "litmus", path)
    assert code == 2 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", out), repr(out)


def test_a_directory_run_reports_the_bad_files_and_goes_on(capfd, monkeypatch, tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "nested").mkdir(parents=True)
    shutil.copy(CATALOGUE / "x86" / "SB.litmus", corpus / "SB.litmus")
    shutil.copy(CATALOGUE / "x86" / "MP.litmus", corpus / "nested" / "MP.litmus")
    bad = {name: content for name, content, _, _ in LITMUS if name != "garbage.litmus"}
    for name, content in bad.items():
        write(corpus, name, content)

    code, out, err = incref(capfd, monkeypatch, "litmus", str(corpus))
    assert code == 2 and "Traceback" not in err
    assert "Observation SB Sometimes" in out and "Observation MP Never" in out
    err_lines = [line for line in err.splitlines() if line.strip()]
    for name in bad:
        assert sum(name in line for line in err_lines) == 1, (name, err)
        assert re.search(rf"{re.escape(name)}:\d+:\d+: ", err), (name, err)
    assert len(err_lines) == len(bad)
    assert f"malformed {len(bad)}" in out

    code, out, _ = incref(capfd, monkeypatch, "litmus", str(corpus), "--json")
    docs = json.loads(out)
    assert code == 2 and len(docs) == len(bad) + 2
    assert sorted(d["result"] for d in docs if d["result"] != "malformed") == ["No", "Ok"]
    assert sorted(Path(d["file"]).name for d in docs if d["result"] == "malformed") == sorted(bad)


IMPOSSIBLE = [
    (("check", "incref-race", "--max-states", "-1"), "--max-states"),
    (("check", "incref-race", "--max-states", "0"), "--max-states"),
    (("check", "incref-race", "--timeout", "0"), "--timeout"),
    (("check", "incref-race", "--set", "threads=-1"), "negative"),
    (("check", "incref-race", "--set", "threads=0"), "thread"),
    (("check", "incref-race", "--set", "ops=-1"), "negative"),
    (("check", "incref-race", "--set", "nosuch=1"), "nosuch"),
    (("check", "incref-race", "--set", "threads"), "name=value"),
    (("check", "incref-race", "--set", "threads=two"), "not an integer"),
    (("check", "incref-race", "--engine", "operational", "--model", "armv8"), "armv8"),
    (("simulate", "incref-race", "--timed", "--iterations", "0"), "--iterations"),
    (("simulate", "incref-race", "--max-states", "-1"), "--max-states"),
    (("simulate", "incref-race", "--timeout", "0"), "--timeout"),
    (("simulate", "incref-race", "--set", "threads=-1"), "negative"),
    (("simulate", "incref-race", "--set", "nosuch=1"), "nosuch"),
    (("simulate", "incref-race", "--timed", "--latency", "llc=-1"), "negative"),
    (("zoo", "--timeout", "0", "--schemes", "plain", "--models", "sc"), "--timeout"),
    (("experiment", "python-race", "--threads", "0"), "--threads"),
    (("experiment", "python-race", "--threads", "-1"), "--threads"),
    (("bench", "--threads", "0"), "--threads"),
    (("bench", "--runs", "0"), "--runs"),
    (("litmus", str(CATALOGUE / "x86" / "SB.litmus"), "--timeout", "0"), "--timeout"),
    pytest.param(("run", "sb", "--iterations", "0"), "--iterations", marks=needs_cc),
    pytest.param(("run", "sb", "--iterations", "-5"), "--iterations", marks=needs_cc),
    pytest.param(("run", "sb", "--iterations", str(10**13)), "--iterations", marks=needs_cc),
    pytest.param(("run", "incref-race", "--set", "threads=-1"), "negative", marks=needs_cc),
    pytest.param(("run", "incref-race", "--set", "nosuch=1"), "nosuch", marks=needs_cc),
    pytest.param(("run", "sb", "-n", "100", "--deadline", "0"), "--deadline", marks=needs_cc),
    pytest.param(("compare", "sb", "--iterations", "0"), "--iterations", marks=needs_cc),
    pytest.param(("compare", "sb", "-n", "100", "--deadline", "-1"), "--deadline", marks=needs_cc),
]


@pytest.mark.parametrize("args, words", IMPOSSIBLE, ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_impossible_option_exits_2_with_one_line(capfd, monkeypatch, args, words):
    assert_one_line_error(*incref(capfd, monkeypatch, *args), words)


SPEC_COMMANDS = [
    pytest.param(("check",), id="check"),
    pytest.param(("simulate",), id="simulate"),
    pytest.param(("run", "-n", "100"), id="run", marks=needs_cc),
    pytest.param(("compare", "-n", "100"), id="compare", marks=needs_cc),
]


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("missing", ["no-such-dir/story.inc", "no-such.litmus", "no-such-dir/"])
def test_a_missing_path_is_named(capfd, monkeypatch, tmp_path, command, missing):
    path = str(tmp_path / missing)
    code, out, err = incref(capfd, monkeypatch, command[0], path, *command[1:])
    assert_one_line_error(code, out, err, path.rstrip("/"), "no such")


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("dirname", ["stories", "tests.litmus", "story.inc"])
def test_a_directory_where_a_file_is_wanted(capfd, monkeypatch, tmp_path, command, dirname):
    folder = tmp_path / dirname
    folder.mkdir()
    code, out, err = incref(capfd, monkeypatch, command[0], str(folder), *command[1:])
    assert_one_line_error(code, out, err, str(folder), "is a directory")


def test_litmus_missing_path(capfd, monkeypatch, tmp_path):
    assert_one_line_error(*incref(capfd, monkeypatch, "litmus", str(tmp_path / "gone.litmus")), "gone.litmus")


@pytest.mark.parametrize(
    "args",
    [
        ("litmus", str(CATALOGUE / "x86" / "SB.litmus"), "--witness", "--dot", "{dir}"),
        ("zoo", "--schemes", "plain", "--models", "sc", "--scenarios", "concurrent-incref", "--html", "{dir}"),
    ],
    ids=["litmus --dot", "zoo --html"],
)
def test_an_output_file_that_is_a_directory(capfd, monkeypatch, tmp_path, args):
    args = [a.replace("{dir}", str(tmp_path)) for a in args]
    assert_one_line_error(*incref(capfd, monkeypatch, *args), "directory")


@needs_cc
@pytest.mark.parametrize("target", ["plots", "plot.nosuchformat"])
def test_bench_refuses_a_plot_path_it_cannot_write_before_measuring(capfd, monkeypatch, tmp_path, target):
    path = tmp_path / target
    if "." not in target:
        path.mkdir()
    code, out, err = incref(
        capfd, monkeypatch, "bench", "--schemes", "plain", "--threads", "1", "--runs", "1", "--plot", str(path)
    )
    assert_one_line_error(code, out, err, str(path))
    assert "measuring" not in err


@pytest.mark.parametrize(
    "args, words",
    [
        (("check", str(CATALOGUE / "x86" / "SB.litmus"), "--set", "threads=2"), "no parameters"),
        (("check", str(CATALOGUE / "aarch64" / "LLSC-INC.litmus"), "--model", "tso"), "unsupported: exclusive"),
        (("simulate", str(CATALOGUE / "aarch64" / "LLSC-INC.litmus")), "unsupported: exclusive"),
        pytest.param(
            ("run", str(CATALOGUE / "aarch64" / "MP.litmus"), "-n", "100"),
            "cannot run",
            marks=[needs_cc, pytest.mark.skipif(not HOST_X86, reason="AArch64 code runs on an ARM host")],
        ),
        pytest.param(
            ("compare", str(CATALOGUE / "aarch64" / "MP.litmus"), "-n", "100"),
            "cannot run",
            marks=[needs_cc, pytest.mark.skipif(not HOST_X86, reason="AArch64 code runs on an ARM host")],
        ),
    ],
    ids=lambda v: " ".join(Path(a).name for a in v) if isinstance(v, tuple) else None,
)
def test_a_test_the_engine_cannot_express_is_one_line(capfd, monkeypatch, args, words):
    assert_one_line_error(*incref(capfd, monkeypatch, *args, "--json"), words)


def test_the_zoo_takes_every_model_name(capfd, monkeypatch):
    code, out, err = incref(
        capfd,
        monkeypatch,
        "zoo",
        "--models",
        "c11",
        "--schemes",
        "atomic",
        "--scenarios",
        "concurrent-incref",
        "--json",
    )
    assert code == 0, err
    assert [cell["model"] for cell in json.loads(out)["cells"]] == ["c11"]


C_MP = (CATALOGUE / "c" / "MP.litmus").read_text()
LOAD_R0 = "int r0 = atomic_load_explicit(y, memory_order_relaxed);"
DEEP = 2000  # over Python's default recursion limit of 1000 frames

DEEP_INPUTS = [
    (
        "chain.inc",
        RACE.replace(
            "forall obj.refcnt == 1 + threads * ops", "forall obj.refcnt == 1" + " + 0" * DEEP + " + threads * ops"
        ),
    ),
    ("blocks.inc", RACE.replace("repeat ops { incref obj }", "if 1 { " * DEEP + "incref obj" + " }" * DEEP)),
    ("chain.litmus", SB_LITMUS.replace("1:EAX=0)", "1:EAX=0" + r" /\ 1:EAX=0" * DEEP + ")")),
    ("negations.litmus", SB_LITMUS.replace("exists (0:EAX=0", "exists (" + "~" * DEEP + "0:EAX=0")),
    ("c-expression.litmus", C_MP.replace(LOAD_R0, LOAD_R0 + "\n  int r5 = r0" + " + 1" * DEEP + ";")),
]


@pytest.mark.parametrize("name, content", DEEP_INPUTS)
def test_deeply_nested_input_is_refused_with_a_location(capfd, monkeypatch, tmp_path, name, content):
    """A machine-written or hostile file can nest far deeper than a person would; the front
    end must say where, not run out of Python stack."""
    path = write(tmp_path, name, content)
    code, _, err = incref(capfd, monkeypatch, "check", path, "--json")
    assert code == 2 and "internal error" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and re.search(rf"{re.escape(name)}:\d+:\d+: ", err), err


def test_a_deeply_nested_litmus_file_does_not_stop_a_directory_run(capfd, monkeypatch, tmp_path):
    write(tmp_path, "chain.litmus", SB_LITMUS.replace("1:EAX=0)", "1:EAX=0" + r" /\ 1:EAX=0" * DEEP + ")"))
    shutil.copy(CATALOGUE / "x86" / "MP.litmus", tmp_path / "MP.litmus")
    code, out, err = incref(capfd, monkeypatch, "litmus", str(tmp_path))
    assert code == 2 and "Observation MP Never" in out and "internal error" not in err, err


@pytest.mark.parametrize("name, source", [("race.inc", RACE), ("sb.litmus", SB_LITMUS)])
def test_a_byte_order_mark_is_not_content(capfd, monkeypatch, tmp_path, name, source):
    """Windows editors save "UTF-8 with BOM"; the file is still the same UTF-8 text."""
    plain = write(tmp_path, name, source)
    with_bom = write(tmp_path, "bom-" + name, b"\xef\xbb\xbf" + source.encode())
    expected = incref(capfd, monkeypatch, "check", plain, "--json")
    code, out, err = incref(capfd, monkeypatch, "check", with_bom, "--json")
    assert code == expected[0], err
    assert json.loads(out)["outcomes"] == json.loads(expected[1])["outcomes"]


@pytest.mark.skipif(not Path("/bin/false").exists(), reason="needs /bin/false")
def test_an_interpreter_that_is_not_python(capfd, monkeypatch):
    code, out, err = incref(capfd, monkeypatch, "experiment", "python-race", "--quick", "--python", "/bin/false")
    assert_one_line_error(code, out, err, "/bin/false", "could not run")
    assert "<input>" not in err


def test_an_absurd_simulated_iteration_count_is_refused():
    """`incref run` refuses more than 10^9 iterations at once; the timed simulator (about
    1 M operations/s) would run for months on 10^13 instead of saying so."""
    try:
        proc = subprocess.run(
            [INCREF, "simulate", "incref-race", "--timed", "--iterations", str(10**13)],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("still simulating 10^13 iterations after 5 s")
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, "--iterations")


def test_a_directory_without_litmus_files_is_named(capfd, monkeypatch, tmp_path):
    (tmp_path / "notes.txt").write_text("no tests here")
    assert_one_line_error(*incref(capfd, monkeypatch, "litmus", str(tmp_path)), str(tmp_path), "no .litmus files")


def test_a_condition_on_a_thread_the_test_lacks_is_refused(capfd, monkeypatch, tmp_path):
    """`7:EAX` in a two-thread test is a typo, not a register that stays 0: reading it as
    one silently changes the verdict (SB's `exists` then holds under SC)."""
    path = write(tmp_path, "typo.litmus", SB_LITMUS.replace("1:EAX=0)", "7:EAX=0)"))
    code, out, err = incref(capfd, monkeypatch, "litmus", path)
    assert code == 2 and re.search(r"typo\.litmus:9:\d+: ", err) and "7" in err, (code, err)


@pytest.mark.parametrize("name", ["two\nlines.inc", "bell\x07.litmus", "esc\x1b[2J.inc"])
def test_a_file_name_with_control_characters_stays_on_one_line(capfd, monkeypatch, tmp_path, name):
    path = write(tmp_path, name, "junk\n")
    code, out, err = incref(capfd, monkeypatch, "check", path)
    assert_one_line_error(code, out, err, name.encode("unicode_escape").decode("ascii"))
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", err), repr(err)
