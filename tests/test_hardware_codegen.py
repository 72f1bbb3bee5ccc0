"""IR → C: what the compiler makes of each IR access (read from `gcc -S`), and what the
generator refuses. Memory locations sit on their own 64-byte lines; the tests pad the
layout so that the interesting ones are at offsets 256 and up, which nothing else in a
worker uses as a displacement."""

import re

import pytest

from hardware_support import needs_cc, x86_only
from incref.errors import Unsupported
from incref.hardware import codegen
from incref.hardware.compile import assembly
from incref.ir.program import (
    Const,
    Fence,
    Incref,
    Load,
    Order,
    Program,
    Rmw,
    Store,
    Thread,
    default_object,
)
from incref.schemes import apply_scheme, get

PAD = {f"a{k}": 0 for k in range(4)}  # slots 0..3: locations of interest start at offset 256


def worker_asm(program: Program, tid: int = 0) -> list[str]:
    """The instructions of worker `tid` in the compiled harness."""
    text = assembly(codegen.harness_source(codegen.plan(program)))
    body = text.split(f"worker{tid}:", 1)[1].split(".size", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith((".", "#"))]


def accesses(lines: list[str], offsets: dict[int, str]) -> list[tuple[str, str]]:
    """(mnemonic with prefix, location) of each instruction that addresses a slot."""
    out = []
    for line in lines:
        m = re.search(r"\b(\d+)\(%(r\w+)[,)]", line)
        if m and int(m.group(1)) in offsets and m.group(2) not in ("rsp", "rbp"):
            words = line.split()
            out.append((" ".join(words[:2]) if words[0] == "lock" else words[0], offsets[int(m.group(1))]))
    return out


def locked_64bit(lines: list[str]) -> int:
    return sum(1 for line in lines if re.match(r"lock\s+\w+q\b", line) or line.startswith("xchgq"))


def refcount_program(scheme: str) -> tuple[Program, dict[int, str]]:
    info, locs = default_object("obj", 1)
    program = Program(
        "race", {**PAD, **locs}, (Thread(0, (Incref("obj"),)), Thread(1, (Incref("obj"),))), objects={"obj": info}
    )
    program = apply_scheme(program, get(scheme))
    layout = codegen.Layout.of(program)
    return program, {layout.slots[n] * codegen.LINE_WORDS * 8: n for n in program.locations if n not in PAD}


@needs_cc
@x86_only
def test_plain_increment_is_an_unlocked_load_add_store():
    program, offsets = refcount_program("plain")
    seen = accesses(worker_asm(program), offsets)
    refcnt = [m for m, loc in seen if loc == "obj.refcnt"]
    assert refcnt in (["movq", "movq"], ["addq"], ["incq"]), seen
    assert not any(m.startswith("lock") for m in refcnt)


@needs_cc
@x86_only
def test_atomic_increment_is_one_locked_instruction():
    # the harness's own locked instructions are 32-bit (`lock xaddl` on its barrier)
    assert locked_64bit(worker_asm(refcount_program("atomic")[0])) == 1
    assert locked_64bit(worker_asm(refcount_program("plain")[0])) == 0


def sb(fence: Fence | None) -> tuple[Program, dict[int, str]]:
    def code(mine, other):
        return (Store(mine, Const(1), Order.RLX), *((fence,) if fence else ()), Load("r0", other, Order.RLX))

    program = Program(
        "sb", {**PAD, "x": 0, "y": 0}, (Thread(0, code("x", "y")), Thread(1, code("y", "x"))), observed=("0:r0", "1:r0")
    )
    layout = codegen.Layout.of(program)
    return program, {layout.slots[n] * 64: n for n in ("x", "y")}


@needs_cc
@x86_only
def test_program_order_of_accesses_is_kept():
    program, offsets = sb(None)
    assert [loc for _, loc in accesses(worker_asm(program, 0), offsets)] == ["x", "y"]
    assert [loc for _, loc in accesses(worker_asm(program, 1), offsets)] == ["y", "x"]


@needs_cc
@x86_only
@pytest.mark.parametrize("fence", [Fence(Order.SC, "mfence"), Fence(Order.SC)])
def test_sc_fence_is_mfence_or_a_locked_op_between_store_and_load(fence):
    program, offsets = sb(fence)
    lines = worker_asm(program)
    store = next(i for i, line in enumerate(lines) if accesses([line], offsets) == [("movq", "x")])
    load = next(i for i, line in enumerate(lines) if accesses([line], offsets) == [("movq", "y")])
    between = lines[store + 1 : load]
    assert any(line.startswith("mfence") or line.startswith("lock") for line in between), between


def test_names_and_text_from_the_input_never_reach_the_c_source():
    evil = 'x"); system("rm -rf /'
    program = Program(
        "evil",
        {evil: 0, "y */ int z; /*": 0},
        (Thread(0, (Store(evil, Const(1), origin="*/ evil(); /*"), Load("r0", "y */ int z; /*"))),),
        observed=("0:r0",),
    )
    source = codegen.harness_source(codegen.plan(program))
    assert "system" not in source and "evil" not in source and "int z" not in source


@pytest.mark.parametrize(
    "instr, why",
    [
        (Load("r0", "x", Order.RLX, exclusive=True), "exclusive"),
        (Load("r0", "x", Order.ACQ, kind="ldapr"), "LDAPR"),
        (Store("x", Const(1), status="s"), "STXR"),
        (Fence(Order.SC, "dmb.sy"), "dmb.sy"),
        (Load("r0", "x", index=Const(1)), "index"),
        (Store("x", Const(2**63)), "64 bits"),
    ],
)
def test_what_the_hardware_cannot_express_is_refused_with_the_reason(instr, why):
    program = Program("p", {"x": 0}, (Thread(0, (instr,)),))
    with pytest.raises(Unsupported, match=why):
        codegen.harness_source(codegen.plan(program))


def test_aarch64_tests_are_refused_on_x86():
    program = Program("p", {"x": 0}, (Thread(0, (Load("r0", "x"),)),), meta={"arch": "AArch64"})
    if codegen.host_is_x86():
        with pytest.raises(Unsupported, match="AArch64"):
            codegen.plan(program)


def test_a_scenario_level_program_is_refused():
    info, locs = default_object("obj", 1)
    program = Program("p", locs, (Thread(0, (Incref("obj"),)),), objects={"obj": info})
    with pytest.raises(Unsupported, match="scheme"):
        codegen.plan(program)


@needs_cc
@x86_only
def test_non_atomic_rmw_is_one_unlocked_memory_instruction():
    program = Program("inc", {**PAD, "x": 0}, (Thread(0, (Rmw(None, "x", "add", Const(1), Order.NA),)),))
    offsets = {codegen.Layout.of(program).slots["x"] * 64: "x"}
    assert accesses(worker_asm(program), offsets) == [("addq", "x")]


def test_only_attempts_whose_failure_writes_nothing_are_retried():
    from incref.hardware.codegen import _failure_writes_nothing
    from incref.ir.program import Assume, BinOp, Cas, Reg, Unlock

    def program(*code):
        return Program("p", {"l": 0, "c": 0}, (Thread(0, tuple(code)),))

    ok_cas = Cas("r", "c", Const(0), Const(5))
    tas = Rmw("r", "l", "xchg", Const(1), Order.RLX)
    is_zero = BinOp("==", Reg("r"), Const(0))
    assert _failure_writes_nothing(ok_cas, is_zero, program(ok_cas))
    assert not _failure_writes_nothing(ok_cas, BinOp("==", Reg("r"), Const(7)), program(ok_cas))
    assert _failure_writes_nothing(tas, is_zero, program(tas, Unlock("l")))
    assert not _failure_writes_nothing(tas, is_zero, program(tas, Store("l", Const(2))))
    add = Rmw("r", "l", "add", Const(1))
    assert not _failure_writes_nothing(add, is_zero, program(add))
    spin = program(tas, Assume(is_zero), Unlock("l"))
    body = codegen.ThreadEmitter(spin, codegen.Layout.of(spin), 0, []).body(spin.threads[0].code)
    assert "R1: ;" in body and any("goto R1;" in line for line in body)
