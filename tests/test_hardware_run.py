"""Real cores: what this machine must and must not show, the lost-update arithmetic, the
watchdog, and bad input. Iteration counts are small but chosen so the tests are reliable
on 2 cores: SB's (0, 0) shows up at a rate of percents, a plain `++` race loses tens of
percent of increments with 100 increments per thread per iteration."""

import os
import sys
import time
from pathlib import Path

import pytest

import incref
from hardware_support import HAVE_CC, x86_only
from incref.errors import UsageError
from incref.hardware import codegen, run
from incref.hardware.compile import CompilerError, build, find_compiler
from incref.ir.program import (
    Assume,
    BinOp,
    Const,
    Fence,
    Incref,
    Load,
    Lock,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Thread,
    default_object,
)
from incref.schemes import apply_scheme, get

pytestmark = pytest.mark.skipif(not HAVE_CC, reason="no C compiler")
TWO_CORES = len(os.sched_getaffinity(0)) >= 2


def sb(fenced: bool) -> Program:
    def code(mine, other):
        fence = (Fence(Order.SC, "mfence"),) if fenced else ()
        return (Store(mine, Const(1)), *fence, Load("r0", other))

    return Program(
        "sb", {"x": 0, "y": 0}, (Thread(0, code("x", "y")), Thread(1, code("y", "x"))), observed=("0:r0", "1:r0")
    )


def both_zero(result) -> int:
    return sum(o.count for o in result.outcomes if o.state == {"0:r0": 0, "1:r0": 0})


@pytest.mark.skipif(not TWO_CORES, reason="store buffering needs two cores")
def test_sb_shows_both_zero_without_a_fence_and_never_with_it():
    assert both_zero(run(sb(False), 50_000)) > 0
    fenced = run(sb(True), 50_000)
    assert fenced.iterations == 50_000
    assert both_zero(fenced) == 0


@x86_only
def test_mp_never_shows_the_stale_read_on_x86():
    writer = (Store("data", Const(1)), Store("flag", Const(1)))
    reader = (Load("r0", "flag"), Load("r1", "data"))
    program = Program("mp", {"data": 0, "flag": 0}, (Thread(0, writer), Thread(1, reader)), observed=("1:r0", "1:r1"))
    result = run(program, 50_000)
    assert {"1:r0": 1, "1:r1": 0} not in [o.state for o in result.outcomes]
    assert result.iterations == 50_000


def race(scheme: str, ops: int) -> Program:
    info, locs = default_object("obj", 1)
    threads = tuple(Thread(t, tuple(Incref("obj") for _ in range(ops))) for t in range(2))
    return apply_scheme(Program("incref-race", locs, threads, objects={"obj": info}), get(scheme))


@pytest.mark.skipif(not TWO_CORES, reason="a lost update needs two cores running at once")
def test_plain_increments_are_lost_and_the_rate_matches_the_histogram():
    result = run(race("plain", 100), 1_000)
    expected = 1 + 2 * 100
    lost = sum((expected - o.state["obj.refcnt"]) * o.count for o in result.outcomes)
    assert lost > 0
    assert result.lost_updates == lost
    assert result.refcount_ops == 2 * 100 * 1_000
    assert result.lost_per_million == pytest.approx(lost * 1e6 / (2 * 100 * 1_000))


@pytest.mark.parametrize("scheme", ["atomic", "gil"])
def test_atomic_and_gil_lose_nothing(scheme):
    result = run(race(scheme, 100), 300)
    assert result.lost_updates == 0 and result.refcount_ops == 2 * 100 * 300
    assert [o.state["obj.refcnt"] for o in result.outcomes] == [201]


def test_await_spins_until_the_flag_is_set_and_a_flag_never_set_blocks():
    writer = (Store("data", Const(7)), Store("flag", Const(1), Order.REL))
    reader = (Load("r0", "flag", Order.ACQ), Assume(BinOp("==", Reg("r0"), Const(1))), Load("r1", "data"))
    program = Program("await", {"data": 0, "flag": 0}, (Thread(0, writer), Thread(1, reader)), observed=("1:r1",))
    result = run(program, 2_000)
    assert result.blocked == 0 and [o.state for o in result.outcomes] == [{"1:r1": 7}]
    never = program.with_threads((Thread(0, (Store("data", Const(7)),)), Thread(1, reader)))
    assert run(never, 20).blocked == 20


def test_watchdog_stops_a_stuck_run_and_joins_its_threads():
    """Thread 0 takes the lock and never releases it; thread 1 spins on it forever."""
    stuck = Program("stuck", {"l": 0}, (Thread(0, (Lock("l"),)), Thread(1, (Lock("l"),))))
    start = time.perf_counter()
    result = run(stuck, 1_000, deadline=0.5)
    elapsed = time.perf_counter() - start
    assert result.timed_out and not result.complete
    assert result.iterations < 1_000
    assert elapsed < 15.0  # compile included; without the watchdog it never returns
    # every worker was joined: a second run of the same library starts from a clean slate
    assert run(stuck, 1, deadline=0.3).timed_out


def test_iterations_out_of_range_are_usage_errors():
    for bad in (0, -1, 10**10):
        with pytest.raises(UsageError, match="iterations"):
            run(sb(False), bad)


def test_missing_compiler_and_compile_error_are_one_clear_message(monkeypatch):
    with pytest.raises(CompilerError, match="rejected the generated code"):
        build("int broken = ;\n")
    monkeypatch.setenv("CC", "/nonexistent/cc")
    with pytest.raises(CompilerError, match="no C compiler"):
        find_compiler()


def cli(capsys, monkeypatch, *args, env=None):
    """The installed entry point in this process: (exit code, stdout, stderr)."""
    from incref.cli import main

    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["incref", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


AARCH64_MP = Path(incref.__file__).parent / "catalogue" / "aarch64" / "MP.litmus"


def test_cli_bad_input_exits_2_with_one_line(capsys, monkeypatch):
    cases = [
        (["run", "sb", "--iterations", "0"], None, "iterations"),
        (["compare", "sb", "--iterations", str(10**10)], None, "iterations"),
        (["run", "sb", "--iterations", "10"], {"CC": "/nonexistent"}, "no C compiler"),
    ]
    if codegen.host_is_x86() and AARCH64_MP.exists():
        cases.append((["run", str(AARCH64_MP)], None, "cannot run this: AArch64"))
    for args, env, words in cases:
        code, _, err = cli(capsys, monkeypatch, *args, env=env)
        assert code == 2, err
        assert words in err and len(err.strip().splitlines()) == 1
        assert "Traceback" not in err


def test_cli_run_json_has_the_shared_outcome_shape(capsys, monkeypatch):
    import json

    code, out, err = cli(
        capsys, monkeypatch, "run", "incref-race", "--scheme", "atomic", "--iterations", "2000", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["iterations"] == 2000 and doc["lost_per_million"] == 0 and doc["forbidden"] == []
    assert all(set(o) == {"state", "count"} for o in doc["outcomes"])
    assert sum(o["count"] for o in doc["outcomes"]) == 2000
    assert doc["environment"]["cpu_model"]


@pytest.mark.parametrize("order", [Order.NA, Order.RLX, Order.SC])
def test_every_read_modify_write_and_cas_computes_what_the_ir_says(order):
    """One thread, so one outcome: the hardware's must be the model checker's."""
    from incref.checker import check
    from incref.ir.program import RMW_OPS, Cas

    if order is Order.NA and not codegen.host_is_x86():
        pytest.skip("non-atomic RMW instructions are x86's")
    ops = [op for op in RMW_OPS if not (order is Order.NA and op not in ("add", "sub", "xchg"))]
    code = [Rmw(f"r_{op}", f"m_{op}", op, Const(6), order) for op in ops]
    code += [
        Cas("r_hit", "c_hit", Const(12), Const(-3), Order.SC if order is Order.NA else order),
        Cas("r_miss", "c_miss", Const(0), Const(-3), Order.SC if order is Order.NA else order),
    ]
    locations = {f"m_{op}": 12 for op in ops} | {"c_hit": 12, "c_miss": 12}
    regs = tuple(f"0:{i.reg}" for i in code)
    program = Program("rmw", locations, (Thread(0, tuple(code)),), observed=tuple(sorted(locations)) + regs)
    expected = check(program, "sc").outcomes
    assert [o.state for o in run(program, 50).outcomes] == [o.state for o in expected]


def test_ctrl_c_during_a_run_ends_it_after_the_chunk_as_incomplete():
    import signal

    from incref.hardware.runner import _interruptible

    before = signal.getsignal(signal.SIGINT)
    with _interruptible() as pressed:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs between bytecodes: no KeyboardInterrupt here
        assert pressed
    assert signal.getsignal(signal.SIGINT) is before
