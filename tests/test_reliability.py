"""Regression tests for the reproducers of issue 12 ("Reliability"): each one ended in an
`internal error`, a wrong verdict or work done before a bad option was refused. Every
test here failed on main before the fix; the fuzz harness (`tests/test_fuzz.py`) looks
for the next ones."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from incref.ir.program import BINARY_OPS, UNARY_OPS
from test_bad_input import SB_LITMUS, write
from test_cli_contract import CATALOGUE, assert_one_line_error, incref

HUGE = "1" * 5001  # past CPython's 4,300-digit limit on int(str)


def located(name: str) -> str:
    return rf"{re.escape(name)}:\d+:\d+: "


@pytest.mark.parametrize(
    "name, content",
    [
        ("value.litmus", SB_LITMUS.replace("exists (0:EAX=0", f"exists (0:EAX={HUGE}")),
        ("thread.litmus", SB_LITMUS.replace("exists (0:EAX=0", f"exists ({HUGE}:EAX=0")),
        ("init.litmus", SB_LITMUS.replace("{ x=0; y=0; }", f"{{ x={HUGE}; y=0; }}")),
        ("immediate.litmus", SB_LITMUS.replace("MOV [x],$1 ", f"MOV [x],${HUGE}")),
        ("hex.litmus", SB_LITMUS.replace("{ x=0; y=0; }", "{ x=0x1" + "0" * 16 + "; y=0; }")),
        ("wide.litmus", SB_LITMUS.replace("{ x=0; y=0; }", "{ x=18446744073709551616; y=0; }")),
        ("thread.inc", f'scenario t "x"\nobject obj = 1\nthread t {{ incref obj }}\nexists {HUGE}:r0 == 1\n'),
    ],
)
def test_a_number_too_wide_is_refused_where_it_is_written(capfd, monkeypatch, tmp_path, name, content):
    code, out, err = incref(capfd, monkeypatch, "check", write(tmp_path, name, content))
    assert_one_line_error(code, out, err)
    assert re.search(located(name), err), err


def test_the_widest_litmus_values_still_read(capfd, monkeypatch, tmp_path):
    """The maximum is stated (64 bits) and the values at it are accepted."""
    text = SB_LITMUS.replace("{ x=0; y=0; }", "{ x=0xffffffffffffffff; y=18446744073709551615; }")
    code, out, err = incref(capfd, monkeypatch, "check", write(tmp_path, "max.litmus", text), "--json")
    assert code in (0, 1), err
    assert json.loads(out)["outcomes"]


STR_UNINITIALISED_INDEX = """AArch64 STR-index
{ 0:X1=x; 1:X1=x; }
 P0        | P1             ;
 MOV W0,#1 | STR W0,[X1,X2] ;
exists (x=0)
"""


@pytest.mark.parametrize(
    "args",
    [("litmus", "--model", "tso", "--engine", "operational"), ("simulate",), ("check", "--model", "pso")],
    ids=" ".join,
)
def test_an_index_register_never_written_reads_0(capfd, monkeypatch, tmp_path, args):
    """herd7 starts every register at 0, so `[X1,X2]` is `[X1]`: P1 stores its W0 (0) to x
    and P0 writes only a register, so x=0 always. (The operational engine used to mistake
    a store-buffer flush for the store that filled the buffer: an IndexError.)"""
    path = write(tmp_path, "str-index.litmus", STR_UNINITIALISED_INDEX)
    code, out, err = incref(capfd, monkeypatch, args[0], path, *args[1:])
    assert "internal error" not in err and code == 0, err
    if args[0] == "litmus":
        assert "Observation STR-index Always 1 0" in out


def test_a_shift_by_a_negative_count_is_defined(capfd, monkeypatch, tmp_path):
    """A shift count computed at run time can be anything; the IR computes as the hardware
    back end's C does (a count outside 0..63 shifts left to 0) instead of failing."""
    scenario = 'scenario sh "x"\nshared x = -1\nthread t0 {\n  r0 = load.rlx x\n  r1 = 1 << r0\n}\nexists 0:r1 == 0\n'
    for model in ("sc", "armv8"):
        code, out, err = incref(capfd, monkeypatch, "check", write(tmp_path, "shift.inc", scenario), "--model", model)
        assert code == 0 and "internal error" not in err, err
        assert "holds" in out


def test_saturating_on_a_negative_count_under_armv8(capfd, monkeypatch, tmp_path):
    """A count driven below zero (saturating's decref) and then used as a shift count."""
    scenario = (
        'scenario neg "x"\nobject obj = 1\n'
        "thread a {\n  decref obj\n  decref obj\n  r0 = load.rlx obj.refcnt\n  r1 = 1 << r0\n}\n"
    )
    path = write(tmp_path, "neg.inc", scenario)
    code, _, err = incref(capfd, monkeypatch, "check", path, "--scheme", "saturating", "--model", "armv8")
    assert code in (0, 1) and "internal error" not in err, err


@pytest.mark.parametrize(
    "op, args, value",
    [
        ("<<", (1, -1), 0),
        ("<<", (1, 64), 0),
        ("<<", (1, 63), -(2**63)),
        (">>", (-8, 100), -1),
        (">>", (8, -1), 0),
        ("*", (2**62, 4), 0),
        ("+", (2**63 - 1, 1), -(2**63)),
        ("-", (-(2**63), 1), 2**63 - 1),
    ],
)
def test_ir_arithmetic_is_64_bit(op, args, value):
    """The same numbers as `add_`, `mul_`, `shl_`, `shr_` in the generated C."""
    assert BINARY_OPS[op](*args) == value


def test_ir_negation_wraps():
    assert UNARY_OPS["-"](-(2**63)) == -(2**63)


def test_operational_engine_without_the_model_is_one_usage_error(capfd, monkeypatch):
    code, out, err = incref(
        capfd, monkeypatch, "litmus", str(CATALOGUE / "x86"), "--model", "armv8", "--engine", "operational"
    )
    assert_one_line_error(code, out, err, "operational", "armv8")


def test_operational_engine_check_is_refused_before_the_file_is_read(capfd, monkeypatch, tmp_path):
    path = write(tmp_path, "broken.inc", "not a scenario")
    code, out, err = incref(capfd, monkeypatch, "check", path, "--model", "armv8", "--engine", "operational")
    assert_one_line_error(code, out, err, "operational")
    assert "broken.inc" not in err


ZOO_ONE_CELL = ("zoo", "--models", "sc", "--schemes", "plain", "--scenarios", "concurrent-incref")
NUMERIC = [
    ("check", "incref-race"),
    ("simulate", "incref-race"),
    ZOO_ONE_CELL,
    ("litmus", str(CATALOGUE / "x86" / "SB.litmus")),
]


@pytest.mark.parametrize("value", ["nan", "inf", "1e309", "-inf", "NaN"])
@pytest.mark.parametrize("command", NUMERIC, ids=lambda c: c[0])
def test_a_timeout_that_is_no_number_of_seconds_is_refused(capfd, monkeypatch, command, value):
    assert_one_line_error(*incref(capfd, monkeypatch, *command, "--timeout", value), "--timeout")


@pytest.mark.parametrize("arg", ["", " "])
@pytest.mark.parametrize("command", ["litmus", "check", "simulate"])
def test_an_empty_path_is_refused(capfd, monkeypatch, tmp_path, command, arg):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "SB.litmus").write_text(SB_LITMUS)  # what walking "" would find
    assert_one_line_error(*incref(capfd, monkeypatch, command, arg))


@pytest.mark.parametrize(
    "args, option",
    [
        (("bench", "--schemes", ""), "--schemes"),
        (("bench", "--schemes", ","), "--schemes"),
        (("bench", "--threads", "1,,2"), "--threads"),
        (("bench", "--threads", ""), "--threads"),
        (("zoo", "--schemes", ""), "--schemes"),
        (("zoo", "--models", "sc,"), "--models"),
        (("zoo", "--scenarios", ","), "--scenarios"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_an_empty_list_item_is_refused(capfd, monkeypatch, args, option):
    start = time.monotonic()
    assert_one_line_error(*incref(capfd, monkeypatch, *args), option)
    assert time.monotonic() - start < 5, "measured before refusing"


@pytest.mark.parametrize(
    "args",
    [
        ("bench", "--schemes", "plain", "--threads", "1", "--runs", "1", "--plot", "{missing}/p.png"),
        ("litmus", str(CATALOGUE / "x86" / "SB.litmus"), "--dot", "{missing}/w.dot"),
        (*ZOO_ONE_CELL, "--html", "{missing}/z.html"),
        (*ZOO_ONE_CELL, "--html", "{readonly}/z.html"),
    ],
    ids=["bench --plot", "litmus --dot", "zoo --html", "zoo --html read-only"],
)
def test_an_output_path_that_cannot_be_written_is_refused_before_the_work(capfd, monkeypatch, tmp_path, args):
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o500)
    try:
        if args[-1].startswith("{readonly}") and _writable(readonly):
            pytest.skip("running as a user who can write anywhere (root)")
        args = [a.format(missing=tmp_path / "no-such-folder", readonly=readonly) for a in args]
        start = time.monotonic()
        code, out, err = incref(capfd, monkeypatch, *args)
        assert_one_line_error(code, out, err, str(Path(args[-1]).parent))
        assert time.monotonic() - start < 5 and "measuring" not in err
    finally:
        readonly.chmod(0o700)


def _writable(folder: Path) -> bool:
    try:
        (folder / ".probe").write_text("")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


# Found by the fuzz harness (tests/fuzzing.py) on its first runs.


def test_a_decimal_number_with_a_leading_zero_reads_as_decimal(capfd, monkeypatch, tmp_path):
    """`010` is ten, as herd7 reads it (it was `int('010', 0)`: an internal error)."""
    scenario = 'scenario z "x"\nshared x = 010\nthread t { r0 = load x }\nexists 0:r0 == 10\n'
    code, out, err = incref(capfd, monkeypatch, "check", write(tmp_path, "zero.inc", scenario))
    assert code == 0 and "holds" in out, err


def _msi_bus() -> str:
    from incref.simulator.protocols import msi

    return msi.BUS


@pytest.mark.parametrize(
    "name, damage",
    [
        ("no-column.table", lambda text: text.replace("OtherGetS", "OtherGetZ")),
        ("latin1.table", lambda text: text.replace("Load", "L\xe9ad").encode("latin-1")),
    ],
)
def test_a_damaged_protocol_table_is_refused_with_a_location(capfd, monkeypatch, tmp_path, name, damage):
    path = write(tmp_path, name, damage(_msi_bus()))
    code, out, err = incref(capfd, monkeypatch, "simulate", "sb", "--protocol", path)
    assert_one_line_error(code, out, err)
    assert re.search(located(name), err), err


# Budgets: one --timeout for the whole command (reading, compiling, unrolling, exploring).

UNROLLED = 'scenario w "x"\nshared x = 0\nthread t0 {\n  while 0 max 1000 { r0 = load x\n store x = r0 + 1 }\n}\n'


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_a_budget_spent_before_the_search_is_incomplete_never_safe(capfd, monkeypatch, tmp_path, command):
    """The budget counts from the start of the process; in this long-running test process
    it is spent before the scenario is read, so the answer must be incomplete (exit 3) and
    still one JSON document (on main: `safe`, exit 0, after unrolling for seconds)."""
    path = write(tmp_path, "unrolled.inc", UNROLLED)
    code, out, err = incref(capfd, monkeypatch, command, path, "--timeout", "0.05", "--json")
    assert code == 3, (code, err)
    doc = json.loads(out)
    assert doc["verdict"] == "incomplete" and "time budget" in doc["incomplete_reason"], doc


def test_max_states_alone_gets_a_printed_wall_clock_limit(capfd, monkeypatch):
    from incref import budget

    monkeypatch.setattr(budget, "DEFAULT_SECONDS_WITH_MAX_STATES", 0.01)
    code, out, err = incref(capfd, monkeypatch, "check", "incref-race", "--max-states", "100000", "--json")
    assert "--max-states without --timeout" in err and "0.01 s" in err, err
    assert code == 3 and json.loads(out)["verdict"] == "incomplete"


def test_a_line_over_the_limit_is_refused_at_once(capfd, monkeypatch, tmp_path):
    """A 900 kB line of `1+1+...` took 25 s and 587 MB in the parser before its error."""
    from incref.frontends.text import MAX_LINE

    text = UNROLLED.replace("store x = r0 + 1", "store x = " + "1+" * 450_000 + "1")
    start = time.monotonic()
    code, out, err = incref(capfd, monkeypatch, "check", write(tmp_path, "long.inc", text))
    assert_one_line_error(code, out, err, "at most")
    assert re.search(rf"long\.inc:5:{MAX_LINE + 1}: ", err), err
    assert time.monotonic() - start < 5


def test_the_backstop_ends_a_stage_that_never_checks():
    """A stretch of work with no check of its own (a parser on a large file) is ended by
    the timer a little after the deadline."""
    from incref import budget

    start = time.monotonic()
    with pytest.raises(budget.OutOfTime) as caught:
        with budget.limit(0.2, since_process_start=False):
            budget.check("spinning")
            while True:
                pass
    assert time.monotonic() - start < 2
    assert "spinning" in str(caught.value)


def test_budget_checks_inside_the_front_end(tmp_path):
    from incref import budget
    from incref.frontends import load_program

    path = write(tmp_path, "unrolled.inc", UNROLLED)
    with budget.limit(0.001, since_process_start=False):
        time.sleep(0.01)
        with pytest.raises(budget.OutOfTime):
            load_program(path)
    assert load_program(path).threads  # no budget outside the block
