"""The shared thread interpreter (`incref.models.thread`): what a thread does between two
memory events, read once for the operational checker and the cache simulator alike."""

from __future__ import annotations

from incref.checker.operational import OperationalSystem
from incref.frontends import load_program
from incref.ir.program import Assert, Assign, BinOp, Const, Load, Program, Reg, Store, Thread
from incref.models.operational import MODELS
from incref.models.thread import DONE, RUNNING, Threads
from incref.schemes import apply_scheme, get
from incref.simulator.machine import Config, Machine
from incref.simulator.protocols import load


def _program(*code) -> Program:
    return Program("t", {"x": 0, "y": 0}, (Thread(0, tuple(code)),), scheme="plain")


def test_local_steps_run_up_to_the_next_memory_event():
    program = _program(
        Assign("r0", Const(2)),
        Assign("r1", BinOp("+", Reg("r0"), Const(1))),
        Assert(BinOp("==", Reg("r1"), Const(4)), "r1 is 4"),
        Store("x", Reg("r1")),
        Load("r2", "y"),
    )
    threads = Threads(program, MODELS["tso"])
    assert threads.regs[0] == ("r0", "r1", "r2")
    run = threads.run_local(0, 0, threads.initial_registers(0), RUNNING, ())
    assert (run.pc, run.regs, run.status) == (3, (2, 3, 0), RUNNING)
    assert run.failed == ("r1 is 4",)
    # the store's value is the only later use of r1; r0 is dead from here on
    assert threads.forget_dead(0, 3, run.regs) == (0, 3, 0)


def test_a_thread_at_its_end_is_done_and_object_markers_sum_their_deltas():
    # incref-race under `plain`: the incref marker (+1), then load, add, store
    program = apply_scheme(load_program("incref-race", {"threads": 1}), get("plain"))
    threads = Threads(program, MODELS["sc"])
    run = threads.run_local(0, 0, threads.initial_registers(0), RUNNING, (0,))
    assert run.deltas == (1,) and isinstance(threads.codes[0][run.pc], Load)
    end = threads.run_local(0, len(threads.codes[0]), run.regs, RUNNING, run.deltas)
    assert end.status == DONE


def test_the_checker_and_the_simulator_read_threads_with_the_same_interpreter():
    program = _program(Store("x", Const(1)), Load("r0", "y"))
    checker = OperationalSystem(program, MODELS["tso"])
    machine = Machine(program, Config(load("mesi", "bus")))
    assert type(checker.code) is type(machine.code) is Threads
    assert checker.code.regs == machine.code.regs and checker.code.futures == machine.code.futures
