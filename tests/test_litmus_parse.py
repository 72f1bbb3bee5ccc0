"""The litmus front end: each architecture's instructions become the IR the engines read,
conditions keep herd7's precedence, and bad files are rejected with a location."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incref import catalogue
from incref.errors import InputError, Unsupported
from incref.frontends.litmus import parse_text
from incref.ir.program import Assign, BinOp, Cas, Const, Fence, Load, Order, Reg, Rmw, Store, UnOp, Var, names_in


def kinds(thread):
    return [type(i).__name__ for i in thread.code]


# ---- X86

X86_SB = """X86 SB
"Fre PodWR Fre PodWR"
Cycle=Fre PodWR Fre PodWR
{ x=0; y=0; }
 P0          | P1          ;
 MOV [x],$1  | MOV [y],$1  ;
 MOV EAX,[y] | MOV EAX,[x] ;
exists (0:EAX=0 /\\ 1:EAX=0)
"""


def test_x86_mov_is_a_plain_store_then_load():
    p = parse_text(X86_SB, file="sb.litmus")
    st, ld = p.threads[0].code
    assert (st.loc, st.value, st.order) == ("x", Const(1), Order.RLX)
    assert (ld.reg, ld.loc, ld.order) == ("EAX", "y", Order.RLX)
    assert p.meta["arch"] == "X86" and p.meta["Cycle"] == "Fre PodWR Fre PodWR"
    assert p.observed == ("0:EAX", "1:EAX")
    assert p.condition.quantifier == "exists"
    assert p.condition.text == "exists (0:EAX=0 /\\ 1:EAX=0)"
    assert p.condition.satisfied_by({"0:EAX": 0, "1:EAX": 0})
    assert not p.condition.satisfied_by({"0:EAX": 0, "1:EAX": 1})


def x86_one(instr: str, init: str = "x=0;"):
    text = f"X86 T\n{{ {init} }}\n P0 ;\n {instr} ;\nexists (x=0)\n"
    return parse_text(text).threads[0].code


def test_x86_plain_inc_is_load_add_store():
    code = x86_one("INC [x]")
    assert kinds_of(code) == ["Load", "Assign", "Store"]
    load, add, store = code
    assert add.value == BinOp("+", Reg(load.reg), Const(1)) and store.value == Reg(load.reg)


def test_x86_locked_and_implicitly_locked_instructions_are_sc_rmws():
    (inc,) = x86_one("LOCK INC [x]")
    assert inc == Rmw(None, "x", "add", Const(1), Order.SC, origin="LOCK INC [x]")
    (dec,) = x86_one("lock dec [x]")
    assert (dec.op, dec.order) == ("sub", Order.SC)
    (xchg,) = x86_one("XCHG [x],EAX")
    assert (xchg.reg, xchg.op, xchg.operand, xchg.order) == ("EAX", "xchg", Reg("EAX"), Order.SC)
    (xadd,) = x86_one("LOCK XADD [x],EBX")
    assert (xadd.reg, xadd.op, xadd.operand) == ("EBX", "add", Reg("EBX"))
    (cas,) = x86_one("LOCK CMPXCHG [x],EBX")
    assert isinstance(cas, Cas) and (cas.reg, cas.expected, cas.desired) == ("EAX", Reg("EAX"), Reg("EBX"))
    (fence,) = x86_one("MFENCE")
    assert fence == Fence(Order.SC, "mfence", origin="MFENCE")


def test_x86_register_arithmetic_is_an_assign():
    assign, add = x86_one("MOV EAX,$3", "x=0;")[0], x86_one("ADD EAX,$2")[0]
    assert assign == Assign("EAX", Const(3), origin="MOV EAX,$3")
    assert add.value == BinOp("+", Reg("EAX"), Const(2))


def kinds_of(code):
    return [type(i).__name__ for i in code]


# ---- AArch64

ARM_MP = """AArch64 MP+dmb.st+addr
{
0:X1=x; 0:X3=y;
1:X1=y; 1:X4=x;
}
 P0          | P1                  ;
 MOV W0,#1   | LDR W0,[X1]         ;
 STR W0,[X1] | EOR W2,W0,W0        ;
 DMB ST      | LDR W3,[X4,W2,SXTW] ;
 MOV W2,#1   |                     ;
 STLR W2,[X3] |                    ;
exists (1:W0=1 /\\ 1:X3=0)
"""


def test_aarch64_address_dependency_reads_the_loaded_register():
    p = parse_text(ARM_MP)
    p0, p1 = p.threads
    assert kinds(p0) == ["Assign", "Store", "Fence", "Assign", "Store"]
    assert p0.code[2].kind == "dmb.st" and p0.code[4].order is Order.REL
    load_x = p1.code[2]
    assert load_x.loc == "x" and load_x.index == Reg("X2")
    eor = p1.code[1]
    assert names_in(eor.value) == {"X0"} and eor.reg == "X2"
    assert p.meta["arch"] == "AArch64"
    # W0 and X0 are one register; conditions use the X spelling
    assert p.observed == ("1:X0", "1:X3")


def arm_one(instr: str) -> list:
    text = f"AArch64 T\n{{ 0:X1=x; }}\n P0 ;\n {instr} ;\nexists (x=0)\n"
    return list(parse_text(text).threads[0].code)


@pytest.mark.parametrize(
    "instr, order, exclusive, kind",
    [
        ("LDR W0,[X1]", Order.RLX, False, ""),
        ("LDAR W0,[X1]", Order.ACQ, False, ""),
        ("LDAPR W0,[X1]", Order.ACQ, False, "ldapr"),
        ("LDXR W0,[X1]", Order.RLX, True, ""),
        ("LDAXR X0,[X1]", Order.ACQ, True, ""),
    ],
)
def test_aarch64_loads(instr, order, exclusive, kind):
    (load,) = arm_one(instr)
    assert isinstance(load, Load) and (load.reg, load.loc, load.order, load.exclusive, load.kind) == (
        "X0",
        "x",
        order,
        exclusive,
        kind,
    )


def test_aarch64_exclusive_store_sets_a_status_register():
    (store,) = arm_one("STLXR W5,W0,[X1]")
    assert isinstance(store, Store) and (store.status, store.value, store.order) == ("X5", Reg("X0"), Order.REL)


@pytest.mark.parametrize(
    "instr, op, reg, order",
    [
        ("LDADD W0,W2,[X1]", "add", "X2", Order.RLX),
        ("LDADDAL W0,W2,[X1]", "add", "X2", Order.ACQ_REL),
        ("SWPA W0,W2,[X1]", "xchg", "X2", Order.ACQ),
        ("STADDL W0,[X1]", "add", None, Order.REL),
        ("LDCLR W0,WZR,[X1]", "clr", None, Order.RLX),
    ],
)
def test_aarch64_atomic_rmws(instr, op, reg, order):
    (rmw,) = arm_one(instr)
    assert isinstance(rmw, Rmw) and (rmw.op, rmw.reg, rmw.order, rmw.operand) == (op, reg, order, Reg("X0"))


def test_aarch64_cas_takes_expected_from_rs_and_returns_old_value_there():
    (cas,) = arm_one("CASAL W0,W2,[X1]")
    assert (cas.reg, cas.expected, cas.desired, cas.order, cas.fail_order) == (
        "X0",
        Reg("X0"),
        Reg("X2"),
        Order.ACQ_REL,
        Order.ACQ,
    )


def test_aarch64_fences():
    assert [(f.kind, f.order) for f in arm_one("DMB SY") + arm_one("DMB ISHLD") + arm_one("ISB")] == [
        ("dmb.sy", Order.SC),
        ("dmb.ld", Order.ACQ),
        ("isb", Order.RLX),
    ]


def test_aarch64_branches_link_to_instruction_indices():
    text = """AArch64 T
{ 0:X1=x; 0:X3=y; }
 P0             ;
 LDR W0,[X1]    ;
 CMP W0,#1      ;
 B.NE Exit      ;
 LDR W2,[X3]    ;
 CBNZ W2,Exit   ;
 MOV W4,#1      ;
 Exit:          ;
exists (0:X0=1)
"""
    code = parse_text(text).threads[0].code
    assert kinds_of(code) == ["Load", "Assign", "Branch", "Load", "Branch", "Assign"]
    bne, cbnz = code[2], code[4]
    assert bne.target == 6 and cbnz.target == 6
    # the control dependency reaches the branch through the compare
    assert names_in(code[1].value) == {"X0"}
    assert cbnz.cond == Reg("X2")


def test_other_herd_architectures_are_unsupported_not_malformed():
    with pytest.raises(Unsupported) as err:
        parse_text("PPC T\n{ }\n P0 ;\n sync ;\nexists (x=0)\n")
    assert err.value.feature == "architecture PPC"


def test_aarch64_mixed_size_is_unsupported():
    with pytest.raises(Unsupported) as err:
        arm_one("LDRH W0,[X1]")
    assert err.value.feature == "mixed-size"
    with pytest.raises(Unsupported, match="mixed-size"):
        arm_one("LDR W0,[X1,#4]")


# ---- C

C_MP = """C MP+rel+acq
{ [x] = 0; [y] = 0; }

P0 (int* x, atomic_int* y) {
  *x = 1;
  atomic_store_explicit(y, 1, memory_order_release);
}

P1 (volatile int* x, atomic_int* y) {
  int r0 = atomic_load_explicit(y, memory_order_acquire);
  int r1 = -1;
  if (r0 == 1) {
    r1 = *x;
  } else {
    atomic_thread_fence(memory_order_seq_cst);
  }
}

exists (1:r0=1 /\\ 1:r1=0)
"""


def test_c_accesses_orders_and_control_flow():
    p = parse_text(C_MP)
    p0, p1 = p.threads
    assert [(type(i).__name__, getattr(i, "order", None)) for i in p0.code] == [
        ("Store", Order.NA),
        ("Store", Order.REL),
    ]
    assert kinds(p1) == ["Load", "Assign", "Branch", "Load", "Branch", "Fence"]
    acq, init_r1, skip, plain, jump, fence = p1.code
    assert (acq.reg, acq.order) == ("r0", Order.ACQ)
    assert init_r1.value == UnOp("-", Const(1))
    assert names_in(skip.cond) == {"r0"} and skip.target == 5
    assert (plain.reg, plain.loc, plain.order) == ("r1", "x", Order.NA)
    assert jump.target == 6 and fence.order is Order.SC and fence.kind == ""
    assert p.meta["arch"] == "C"


def c_thread(body: str, params: str = "atomic_int* x, int* e"):
    text = f"C T\n{{ [x] = 0; [e] = 0; }}\nP0 ({params}) {{\n{body}\n}}\nexists (x=0)\n"
    return parse_text(text).threads[0].code


def test_c_non_explicit_forms_are_seq_cst_and_rmws_map():
    load, rmw, xchg = c_thread(
        "int a = atomic_load(x);\nint b = atomic_fetch_sub(x, 2);\n"
        "atomic_exchange_explicit(x, 5, memory_order_acq_rel);"
    )
    assert load.order is Order.SC and (rmw.op, rmw.reg, rmw.operand, rmw.order) == ("sub", "b", Const(2), Order.SC)
    assert (xchg.op, xchg.reg, xchg.order) == ("xchg", None, Order.ACQ_REL)


def test_c_compare_exchange_reads_and_updates_the_expected_object():
    code = c_thread(
        "int ok = atomic_compare_exchange_strong_explicit(x, e, 1, memory_order_acquire, memory_order_relaxed);"
    )
    assert kinds_of(code) == ["Load", "Cas", "Assign", "Branch", "Store"]
    seen, cas, ok, branch, writeback = code
    assert seen.loc == "e" and seen.order is Order.NA
    assert (cas.loc, cas.expected, cas.desired, cas.order, cas.fail_order) == (
        "x",
        Reg(seen.reg),
        Const(1),
        Order.ACQ,
        Order.RLX,
    )
    assert ok.reg == "ok" and branch.cond == Reg("ok") and writeback.loc == "e"


def test_c_while_loop_is_unsupported():
    with pytest.raises(Unsupported) as err:
        c_thread("while (atomic_load(x) == 0) {}")
    assert err.value.feature == "while loop"


# ---- conditions


def cond_of(cond: str):
    return parse_text(f"X86 T\n{{ x=0; }}\n P0 ;\n MOV [x],$1 ;\n{cond}\n")


def test_condition_precedence_not_and_or_implies():
    def eq(key, value):
        return BinOp("==", Var(key), Const(value))

    c = cond_of("forall (x=1 \\/ x=2 /\\ ~x=3 => 0:EAX=0)").condition
    assert c.quantifier == "forall"
    assert c.prop == BinOp(
        "=>", BinOp("||", eq("x", 1), BinOp("&&", eq("x", 2), UnOp("!", eq("x", 3)))), eq("0:EAX", 0)
    )


def test_condition_forms():
    assert cond_of("~exists (x=1)").condition.quantifier == "~exists"
    old = cond_of("final (P0:EAX = 0 /\\ x = 1);\nwith\ntso: ~exists;\ncc: exists;")
    assert old.condition.quantifier == "exists" and old.observed == ("0:EAX", "x")
    p = cond_of("locations [x; 0:EBX;]\nfilter (0:EAX=1)\nexists (x=1 \\/ (x=2))")
    assert p.observed == ("x", "0:EBX") and p.filter == BinOp("==", Var("0:EAX"), Const(1))
    assert cond_of("exists (not (x=2))").condition.prop.op == "!"


# ---- errors


@pytest.mark.parametrize(
    "text, message, line, col",
    [
        ("FOO T\n{ }\n P0 ;\n sync ;\nexists (x=0)\n", "unknown architecture", 1, 1),
        ("X86 T\n{ x=0; }\n P0 ;\n MOV [x],$1 ;\n", "no final condition", None, None),
        ("X86 T\n{ x=0; }\n P0          ;\n FROB [x],$1 ;\nexists (x=0)\n", "unknown X86 instruction", 4, 2),
        ("AArch64 T\n{ 0:X1=x; }\n P0 ;\n LDR Q9,[X1] ;\nexists (x=0)\n", "bad register", 4, 2),
        ("X86 T\n{ x=0; }\n P0 ;\n MOV [x],$1 ;\nexists ((x=1 /\\ x=2)\n", "condition ends too early", 5, None),
        ("X86 T\n{ x=0; }\n P0 | P1 ;\n MOV [x],$1 | MOV [x],$2 | MOV [x],$3 ;\nexists (x=0)\n", "columns", 4, None),
        ("C T\n{ }\nP0 (atomic_int* x) {\n  atomic_store(x, 1)\n}\nexists (x=0)\n", "C syntax error", 5, 1),
    ],
)
def test_malformed_files_point_at_the_problem(text, message, line, col):
    with pytest.raises(InputError) as err:
        parse_text(text, file="bad.litmus")
    e = err.value
    assert not isinstance(e, Unsupported)
    assert message in e.message and e.file == "bad.litmus"
    if line is not None:
        assert e.line == line
    if col is not None:
        assert e.column == col
    assert str(e).startswith("bad.litmus:")


# ---- robustness: damaged files are rejected with a location, never a crash

TEXTS = [e.path.read_text() for e in catalogue.entries()]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(TEXTS),
    st.integers(0, 10_000),
    st.integers(0, 6),
    st.sampled_from(["", "(", ")", "|", ";", "{", "}", "*", "[", "#", "\\/", "X99", "$", "\n", "exists"]),
)
def test_damaged_file_parses_or_fails_with_a_location(text, at, cut, insert):
    at %= len(text)
    damaged = text[:at] + insert + text[at + cut :]
    try:
        parse_text(damaged, file="d.litmus")
    except InputError as exc:
        assert exc.file == "d.litmus" and str(exc).startswith("d.litmus")
