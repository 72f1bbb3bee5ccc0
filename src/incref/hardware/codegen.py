"""Engine-level IR → C, so that a scenario runs on real cores.

Why C and not Python threads: only compiled code gives one machine instruction per IR
access, in program order, with nothing (an interpreter, a GIL) in between. The rules:

* **Nothing from the input reaches the C text.** Locations become slot numbers, registers
  `r<k>`, branch targets `L<k>`; integers are checked to fit in 64 bits and printed by
  Python; names, origins and messages never appear, not even in comments. Anything the
  generator does not recognise is refused (`Unsupported`), never passed through.
* **One access, one instruction.** A non-atomic (`na`) access is a `volatile` load or
  store (a plain `mov`); atomics are C11 `<stdatomic.h>` calls with the IR's order
  (`LOCK XADD`/`XCHG`/`LOCK CMPXCHG`, a seq_cst store is `XCHG` or `MOV`+`MFENCE`); an x86
  `mfence` is the instruction itself; a non-atomic read-modify-write `Rmw` (an unlocked
  x86 `ADD [x]`) is one unlocked memory-destination instruction in inline assembly. Every instruction is
  followed by a compiler barrier (`asm volatile("" ::: "memory")`) so that the compiler
  cannot merge, hoist or reorder accesses (GCC manual, "Extended Asm", the "memory"
  clobber; C11 5.1.2.3 for volatile accesses).
* `Lock`/`Unlock` are a test-and-test-and-set spinlock taken with acquire and released
  with release order (C11 7.17.7; the classic TTAS lock, Herlihy & Shavit ch. 7);
  `Assume` is a bounded spin: the side-effect-free loads before it are re-executed until
  the condition holds, and an execution whose condition never holds is *blocked* (not
  counted, as the model does not count it); `Free` sets the object's freed flag.

Every shared location lives on its own 64-byte cache line; the harness (`harness_source`)
gives every iteration its own slot of lines, as litmus7 does (Alglave et al., "Litmus:
running tests against hardware", TACAS 2011, section 3), so that no iteration sees the
previous one's caches in a useful state.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from incref.errors import Unsupported
from incref.ir.program import (
    Assert,
    Assign,
    Assume,
    BinOp,
    Branch,
    Cas,
    Const,
    Expr,
    Fence,
    Free,
    Instr,
    Load,
    Lock,
    LoopBound,
    ObjOp,
    Order,
    Program,
    Reg,
    Rmw,
    Store,
    Unlock,
    UnOp,
    Var,
    names_in,
)

LINE_WORDS = 8  # int64 words per 64-byte cache line
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ASSUME_SPINS = 200_000  # bound of an `Assume` spin wait (pause instructions)

# per-thread, per-iteration status bits written in the thread's flag column
F_BLOCKED, F_ASSERT, F_LOOPBOUND, F_STOP = 1, 2, 4, 8

_MEMORY_ORDER = {
    Order.RLX: "memory_order_relaxed",
    Order.ACQ: "memory_order_acquire",
    Order.REL: "memory_order_release",
    Order.ACQ_REL: "memory_order_acq_rel",
    Order.SC: "memory_order_seq_cst",
}
# C11 7.17.7: a load cannot release, a store cannot acquire
_LOAD_ORDER = {Order.REL: Order.RLX, Order.ACQ_REL: Order.ACQ}
_STORE_ORDER = {Order.ACQ: Order.RLX, Order.ACQ_REL: Order.REL}
_CAS_FAIL_ORDER = {Order.REL: Order.RLX, Order.ACQ_REL: Order.ACQ}

_C_BINARY = {
    "+": "add_",
    "-": "sub_",
    "*": "mul_",
    "<<": "shl_",
    ">>": "shr_",
    "&": "&",
    "|": "|",
    "^": "^",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "&&": "&&",
    "||": "||",
}
_FETCH = {
    "add": "atomic_fetch_add_explicit",
    "sub": "atomic_fetch_sub_explicit",
    "and": "atomic_fetch_and_explicit",
    "or": "atomic_fetch_or_explicit",
    "xor": "atomic_fetch_xor_explicit",
    "xchg": "atomic_exchange_explicit",
    "clr": "atomic_fetch_and_explicit",
}
_X86_UNLOCKED = {"add": "addq", "sub": "subq", "and": "andq", "or": "orq", "xor": "xorq", "clr": "andq"}


def host_is_x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def c_int(value: int) -> str:
    """An integer literal for C, after checking it is a 64-bit value."""
    if type(value) is not int or not INT64_MIN <= value <= INT64_MAX:
        raise Unsupported(f"integer {value!r} does not fit in 64 bits on hardware")
    if value == INT64_MIN:
        return "INT64_MIN"
    return f"INT64_C({value})"


@dataclass(frozen=True)
class Layout:
    """Where things are: location `name` → slot index (one cache line each), and each
    thread's registers → `r<k>`. Built from the IR only, so C identifiers are ours."""

    slots: dict[str, int]
    regs: dict[int, dict[str, str]]

    @classmethod
    def of(cls, program: Program) -> Layout:
        slots = {name: k for k, name in enumerate(sorted(program.locations))}
        regs: dict[int, dict[str, str]] = {}
        for thread in program.threads:
            names: list[str] = []
            for instr in thread.code:
                for name in _registers_of(instr):
                    if name not in names:
                        names.append(name)
            for tid, name in program.init_regs:
                if tid == thread.tid and name not in names:
                    names.append(name)
            regs[thread.tid] = {name: f"r{k}" for k, name in enumerate(names)}
        return cls(slots, regs)

    def slot(self, loc: str) -> int:
        if loc not in self.slots:
            raise Unsupported(f"location {loc!r} is used but not declared")
        return self.slots[loc]


def _registers_of(instr: Instr) -> list[str]:
    out = [getattr(instr, "reg", None)]
    for attr in ("value", "operand", "expected", "desired", "cond"):
        out.extend(sorted(names_in(getattr(instr, attr, None))))
    return [name for name in out if name]


def check_expressible(program: Program) -> None:
    """Refuse, with the reason, what real cores of this machine cannot run as written."""
    if not program.is_expanded:
        raise Unsupported("a scenario-level program (apply a refcount scheme first)")
    arch = str(program.meta.get("arch", "")).lower()
    x86 = host_is_x86()
    if arch in ("aarch64", "arm", "armv8") and x86:
        raise Unsupported(f"{program.meta.get('arch')} instructions on this x86-64 machine")
    if arch in ("x86", "x86_64") and not x86:
        raise Unsupported(f"X86 instructions on this {platform.machine()} machine")
    for thread in program.threads:
        for instr in thread.code:
            _check_instruction(instr, x86)


def _check_instruction(instr: Instr, x86: bool) -> None:
    if getattr(instr, "index", None) is not None:
        raise Unsupported("computed addresses (an index on a memory access) on hardware")
    if isinstance(instr, Load) and (instr.exclusive or instr.kind):
        raise Unsupported("AArch64 exclusive or LDAPR loads on this machine")
    if isinstance(instr, Store) and instr.status is not None:
        raise Unsupported("AArch64 exclusive stores (STXR) on this machine")
    if isinstance(instr, Fence) and instr.kind not in ("", "mfence"):
        raise Unsupported(f"the {instr.kind} fence on this machine")
    if isinstance(instr, Fence) and instr.kind == "mfence" and not x86:
        raise Unsupported("MFENCE on a machine that is not x86")
    if isinstance(instr, Rmw) and instr.order is Order.NA and instr.op != "xchg" and not x86:
        raise Unsupported("a non-atomic read-modify-write instruction on a machine that is not x86")


class ThreadEmitter:
    """C statements for one thread's code. The enclosing function (a harness worker)
    declares `mem` (the base of the current slot, an `i64 *`), `flag`, `c` (with `stop`),
    the registers, and the label `L_end` that ends the iteration."""

    def __init__(self, program: Program, layout: Layout, tid: int, objects: list[str]):
        self.program = program
        self.layout = layout
        self.tid = tid
        self.regs = layout.regs[tid]
        self.objects = objects

    def expr(self, e: Expr) -> str:
        if type(e) is Const:
            return c_int(e.value)
        if type(e) is Reg:
            return self.regs[e.name]
        if type(e) is BinOp:
            left, right = self.expr(e.left), self.expr(e.right)
            if e.op == "=>":
                return f"(i64)(!({left}) || ({right}))"
            op = _C_BINARY[e.op]
            if op.endswith("_"):
                return f"{op}({left}, {right})"
            return f"(i64)(({left}) {op} ({right}))"
        if type(e) is UnOp:
            inner = self.expr(e.operand)
            return f"(i64)(!({inner}))" if e.op == "!" else f"sub_(0, {inner})"
        if type(e) is Var:
            raise Unsupported(f"final-state name {e.name!r} inside thread code")
        raise Unsupported(f"expression {type(e).__name__} on hardware")

    def addr(self, loc: str) -> str:
        return f"(mem + {self.layout.slot(loc) * LINE_WORDS})"

    def set_reg(self, reg: str | None, value: str) -> str:
        return f"{self.regs[reg]} = {value};" if reg else f"(void)({value});"

    def body(self, code: tuple[Instr, ...]) -> list[str]:
        restarts = _spin_restarts(code, self.program)
        out = [f"unsigned spin{k} = 0;" for k in sorted(restarts)]
        for k, instr in enumerate(code):
            out.append(f"L{k}: ;")
            out.extend(f"R{assume}: ;" for assume, start in restarts.items() if start == k)
            out.extend(self.instruction(k, instr, spins=k in restarts))
            out.append("CB();")
        out.append(f"L{len(code)}: ;")
        return out

    def instruction(self, k: int, instr: Instr, spins: bool = False) -> list[str]:
        """C statements for instruction `k`; an `Assume` that `spins` jumps back to its
        label `R<k>` while its condition does not hold."""
        if isinstance(instr, Load):
            a = self.addr(instr.loc)
            if instr.order is Order.NA:
                return [self.set_reg(instr.reg, f"NA({a})")]
            order = _MEMORY_ORDER[_LOAD_ORDER.get(instr.order, instr.order)]
            return [self.set_reg(instr.reg, f"atomic_load_explicit(AT({a}), {order})")]
        if isinstance(instr, Store):
            a, v = self.addr(instr.loc), self.expr(instr.value)
            if instr.order is Order.NA:
                return [f"NA({a}) = {v};"]
            order = _MEMORY_ORDER[_STORE_ORDER.get(instr.order, instr.order)]
            return [f"atomic_store_explicit(AT({a}), {v}, {order});"]
        if isinstance(instr, Rmw):
            return self.rmw(instr)
        if isinstance(instr, Cas):
            a = self.addr(instr.loc)
            order = _MEMORY_ORDER[instr.order if instr.order.is_atomic else Order.SC]
            fail = instr.fail_order if instr.fail_order.is_atomic else Order.SC
            fail_c = _MEMORY_ORDER[_CAS_FAIL_ORDER.get(fail, fail)]
            lines = [
                f"{{ i64 exp_ = {self.expr(instr.expected)};",
                f"atomic_compare_exchange_strong_explicit(AT({a}), &exp_, {self.expr(instr.desired)},"
                f" {order}, {fail_c});",
            ]
            if instr.reg:
                lines.append(f"{self.regs[instr.reg]} = exp_;")
            return lines + ["}"]
        if isinstance(instr, Fence):
            if instr.kind == "mfence":
                return ['__asm__ __volatile__("mfence" ::: "memory");']
            return [f"atomic_thread_fence({_MEMORY_ORDER[instr.order if instr.order.is_atomic else Order.SC]});"]
        if isinstance(instr, Lock):
            a = self.addr(instr.lock)
            return [
                f"{{ unsigned sp_ = 0; while (atomic_exchange_explicit(AT({a}), 1, memory_order_acquire)) {{",
                "do { SPIN(sp_, { flag |= F_STOP; goto L_end; }); }"
                f" while (atomic_load_explicit(AT({a}), memory_order_relaxed));",
                "} }",
            ]
        if isinstance(instr, Unlock):
            return [f"atomic_store_explicit(AT({self.addr(instr.lock)}), 0, memory_order_release);"]
        if isinstance(instr, Assign):
            return [f"{self.regs[instr.reg]} = {self.expr(instr.value)};"]
        if isinstance(instr, Branch):
            return [f"if ({self.expr(instr.cond)}) goto L{int(instr.target)};"]
        if isinstance(instr, Assume):
            cond = self.expr(instr.cond)
            if not spins:
                return [f"if (!({cond})) {{ flag |= F_BLOCKED; goto L_end; }}"]
            return [
                f"if (!({cond})) {{ if (++spin{k} < {ASSUME_SPINS}) {{"
                f" SPIN(spin{k}, {{ flag |= F_STOP; goto L_end; }}); goto R{k}; }}",
                "flag |= F_BLOCKED; goto L_end; }",
            ]
        if isinstance(instr, Assert):
            return [f"if (!({self.expr(instr.cond)})) flag |= F_ASSERT;"]
        if isinstance(instr, LoopBound):
            return ["flag |= F_LOOPBOUND; goto L_end;"]
        if isinstance(instr, Free):
            return [f"NA({self.addr(f'{instr.obj}.freed')}) = 1;"]
        if isinstance(instr, ObjOp):
            if instr.obj not in self.objects or not instr.delta:
                return []
            j = self.objects.index(instr.obj)
            return [f"delta{j} += {c_int(instr.delta)}; ops{j} += 1;"]
        raise Unsupported(f"the instruction {type(instr).__name__} on hardware")

    def rmw(self, instr: Rmw) -> list[str]:
        a, v = self.addr(instr.loc), self.expr(instr.operand)
        if instr.op == "clr":
            v = f"~({v})"
        if instr.order is Order.NA and instr.op in _X86_UNLOCKED:
            # one unlocked instruction: `ADD [x], v`, or `XADD` without LOCK when the old
            # value is wanted
            if instr.reg is None:
                asm = f'"{_X86_UNLOCKED[instr.op]} %1, %0" : "+m"(*(i64 *){a}) : "r"(v_) : "memory", "cc"'
                return [f"{{ i64 v_ = {v}; __asm__ __volatile__({asm}); }}"]
            if instr.op not in ("add", "sub"):
                raise Unsupported(f"a non-atomic fetch_{instr.op} that returns the old value")
            operand = v if instr.op == "add" else f"sub_(0, {v})"
            asm = '"xaddq %0, %1" : "+r"(v_), "+m"(*(i64 *)' + a + ') : : "memory", "cc"'
            return [f"{{ i64 v_ = {operand}; __asm__ __volatile__({asm}); {self.regs[instr.reg]} = v_; }}"]
        order = _MEMORY_ORDER[instr.order if instr.order.is_atomic else Order.SC]
        return [self.set_reg(instr.reg, f"{_FETCH[instr.op]}(AT({a}), {v}, {order})")]


def _spin_restarts(code: tuple[Instr, ...], program: Program) -> dict[int, int]:
    """{index of an `Assume`: index where its spin restarts} for each `Assume` that folds
    a spin loop: the loads (and register arithmetic) before it are re-executed, and so is
    a read-modify-write right before it whose failed attempt writes nothing (a CAS
    retry loop, `while (xchg(lock, 1)) ;`). Re-running the loop the `Assume` stands for
    is what the scenario's author wrote; the model folds it into one successful pass."""
    restarts: dict[int, int] = {}
    for k, instr in enumerate(code):
        if not isinstance(instr, Assume):
            continue
        start = k
        if start > 0 and _failure_writes_nothing(code[start - 1], instr.cond, program):
            start -= 1
        while start > 0 and isinstance(code[start - 1], (Load, Assign)):
            start -= 1
        if any(isinstance(code[j], (Load, Rmw, Cas)) for j in range(start, k)):
            restarts[k] = start
    return restarts


def _failure_writes_nothing(instr: Instr, cond: Expr, program: Program) -> bool:
    """Whether `instr` followed by `Assume(cond)` is an attempt that, when `cond` fails,
    left memory as it was: a CAS tested for success (`old == expected`: a failed CAS does
    not write), or an exchange tested for one value on a location that only ever holds
    that value or the one exchanged in (a test-and-set lock)."""
    if not isinstance(instr, (Cas, Rmw)) or instr.reg is None:
        return False
    if type(cond) is not BinOp or cond.op != "==" or Reg(instr.reg) not in (cond.left, cond.right):
        return False
    other = cond.right if cond.left == Reg(instr.reg) else cond.left
    if isinstance(instr, Cas):
        return other == instr.expected
    if instr.op != "xchg" or type(instr.operand) is not Const or type(other) is not Const:
        return False
    return _values_written(program, instr.loc) <= {other.value, instr.operand.value}


def _values_written(program: Program, loc: str) -> set[int | None]:
    """Every value `loc` can hold (None stands for one that is not a constant)."""
    values: set[int | None] = {program.locations.get(loc, 0)}
    for thread in program.threads:
        for instr in thread.code:
            if isinstance(instr, (Lock, Unlock)) and instr.lock == loc:
                values |= {0, 1}
            elif getattr(instr, "loc", None) != loc or isinstance(instr, Load):
                continue
            elif isinstance(instr, Store):
                values.add(instr.value.value if type(instr.value) is Const else None)
            elif isinstance(instr, Cas):
                values.add(instr.desired.value if type(instr.desired) is Const else None)
            elif isinstance(instr, Rmw):
                values.add(instr.operand.value if instr.op == "xchg" and type(instr.operand) is Const else None)
    return values


PRELUDE = r"""
#define _GNU_SOURCE
#include <stdint.h>
#include <stdatomic.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <errno.h>

typedef int64_t i64;
typedef uint64_t u64;

#define CB() __asm__ __volatile__("" ::: "memory")
#define NA(p) (*(volatile i64 *)(p))
#define AT(p) ((_Atomic i64 *)(p))
#if defined(__x86_64__) || defined(__i386__)
#define PAUSE() __asm__ __volatile__("pause" ::: "memory")
#else
#define PAUSE() CB()
#endif
#define F_BLOCKED %(F_BLOCKED)d
#define F_ASSERT %(F_ASSERT)d
#define F_LOOPBOUND %(F_LOOPBOUND)d
#define F_STOP %(F_STOP)d
/* one step of a spin wait: pause; every spin_mask + 1 steps (every step when threads share
   cores), leave if stopped, else yield the core */
#define SPIN(counter, on_stop) do { PAUSE(); if ((++(counter) & c->spin_mask) == 0) { \
    if (atomic_load_explicit(&c->stop, memory_order_relaxed)) on_stop; sched_yield(); } } while (0)

static inline i64 add_(i64 a, i64 b) { return (i64)((u64)a + (u64)b); }
static inline i64 sub_(i64 a, i64 b) { return (i64)((u64)a - (u64)b); }
static inline i64 mul_(i64 a, i64 b) { return (i64)((u64)a * (u64)b); }
static inline i64 shl_(i64 a, i64 b) { return (b < 0 || b > 63) ? 0 : (i64)((u64)a << b); }
static inline i64 shr_(i64 a, i64 b) { return (b < 0) ? 0 : (b > 63 ? (a < 0 ? -1 : 0) : (a >> b)); }

struct ctx {
    i64 *mem;            /* iterations x NLOC cache lines */
    i64 *rows;           /* iterations x NCOLS outcome columns */
    i64 n;               /* iterations in this call (or loop trips for a benchmark) */
    const int *cpus;     /* core of each thread, -1 for no pinning */
    u64 seed;
    i64 jitter;          /* max random delay (pause steps) after the start barrier */
    u64 spin_mask;       /* see SPIN */
    _Atomic int stop;    /* set by the watchdog */
    _Atomic int bar_count;
    _Atomic int bar_sense;
    i64 done[NTHREADS];  /* iterations each thread completed */
    i64 ns[NTHREADS];    /* benchmark: CPU nanoseconds of each thread's loop */
    i64 began[NTHREADS]; /* benchmark: CLOCK_MONOTONIC ns when each thread's loop began */
    i64 ended[NTHREADS]; /* ... and ended */
};

static void pin(const struct ctx *c, int tid) {
    if (c->cpus[tid] < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(c->cpus[tid], &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* sense-reversing barrier (Mellor-Crummey & Scott, ACM TOCS 1991, section 3.1):
   returns 0 when the run was stopped */
static int barrier(struct ctx *c, int *sense) {
    int s = !*sense;
    *sense = s;
    if (atomic_fetch_add_explicit(&c->bar_count, 1, memory_order_acq_rel) == NTHREADS - 1) {
        atomic_store_explicit(&c->bar_count, 0, memory_order_relaxed);
        atomic_store_explicit(&c->bar_sense, s, memory_order_release);
    } else {
        unsigned sp = 0;
        while (atomic_load_explicit(&c->bar_sense, memory_order_acquire) != s)
            SPIN(sp, return 0);
    }
    return !atomic_load_explicit(&c->stop, memory_order_relaxed);
}

static inline u64 xorshift(u64 *s) {
    u64 x = *s;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return *s = x;
}

static void delay(u64 *rng, i64 jitter) {
    if (jitter <= 0) return;
    for (i64 k = (i64)(xorshift(rng) %% (u64)jitter); k > 0; k--) PAUSE();
}

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* start one thread per worker, wait until all finish or the deadline passes (then set
   `stop`, which every spin loop polls), and join every thread: the watchdog */
static int run_workers(struct ctx *c, void *(*workers[])(void *), double deadline_s) {
    pthread_t th[NTHREADS];
    int started = 0, status = 0;
    for (; started < NTHREADS; started++)
        if (pthread_create(&th[started], 0, workers[started], c) != 0) {
            atomic_store(&c->stop, 1);
            status = -1;
            break;
        }
    /* wait in the kernel, not by polling, so that the waiting thread never takes a core
       from a worker; at the deadline, stop everyone */
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += (time_t)deadline_s;
    end.tv_nsec += (long)((deadline_s - (double)(time_t)deadline_s) * 1e9);
    if (end.tv_nsec >= 1000000000L) { end.tv_sec += 1; end.tv_nsec -= 1000000000L; }
    int t = 0;
    if (deadline_s > 0)
        for (; t < started; t++)
            if (pthread_timedjoin_np(th[t], 0, &end) == ETIMEDOUT) {
                atomic_store(&c->stop, 1);
                if (status == 0) status = 1;
                break;
            }
    for (; t < started; t++) pthread_join(th[t], 0);
    return status;
}
"""


def prelude(nthreads: int) -> str:
    flags = {"F_BLOCKED": F_BLOCKED, "F_ASSERT": F_ASSERT, "F_LOOPBOUND": F_LOOPBOUND, "F_STOP": F_STOP}
    return f"#define NTHREADS {int(nthreads)}\n" + PRELUDE % flags


@dataclass(frozen=True)
class Plan:
    """How a generated harness reports: `columns` of each iteration's row (final-state keys
    first, then per thread a flag column and, per object, the sum of ObjOp deltas and the
    number of refcount operations it ran)."""

    program: Program
    layout: Layout
    keys: tuple[str, ...]  # final-state values the outcome needs (state, filter, counts)
    objects: tuple[str, ...]

    @property
    def ncols(self) -> int:
        return len(self.keys) + len(self.program.threads) * (1 + 2 * len(self.objects))

    def flag_col(self, t: int) -> int:
        return len(self.keys) + t * (1 + 2 * len(self.objects))

    def delta_col(self, t: int, j: int) -> int:
        return self.flag_col(t) + 1 + 2 * j

    def ops_col(self, t: int, j: int) -> int:
        return self.delta_col(t, j) + 1


def plan(program: Program) -> Plan:
    check_expressible(program)
    keys = list(program.state_keys())
    extra = set(names_in(program.filter))
    for obj in program.objects.values():
        extra |= names_in(obj.count)
    keys += sorted(extra - set(keys))
    for key in keys:
        tid, sep, _ = key.partition(":")
        if sep and (not tid.isdigit() or int(tid) >= len(program.threads)):
            raise Unsupported(f"final-state register {key!r} names no thread")
    return Plan(program, Layout.of(program), tuple(keys), tuple(sorted(program.objects)))


def harness_source(p: Plan) -> str:
    """The whole C file for `incref.hardware.run`: `incref_run(c)` runs `c->n`
    iterations, each in its own slot, every thread starting it after the barrier (plus a
    random delay of up to `c->jitter` pauses, so that the threads' relative timing sweeps
    the race window — litmus7's "timebase" idea)."""
    program, layout = p.program, p.layout
    nloc = len(layout.slots)
    out = [
        prelude(len(program.threads)),
        f"#define NLOC {nloc}",
        f"#define NCOLS {p.ncols}",
        f"#define SLOT (NLOC * {LINE_WORDS})",
    ]
    for t, thread in enumerate(program.threads):
        out.append(_litmus_worker(p, t, ThreadEmitter(program, layout, thread.tid, list(p.objects)).body(thread.code)))
    out.append(
        "static void *(*workers[NTHREADS])(void *) = {"
        + ", ".join(f"worker{t}" for t in range(len(program.threads)))
        + "};"
    )
    init = [
        f"m[{layout.slots[name] * LINE_WORDS}] = {c_int(value)};" for name, value in sorted(program.locations.items())
    ]
    # a name that is no location of this program (a field the scheme laid out elsewhere)
    # reads 0, as in `Program.final_state`
    memory_cols = [
        f"row[{j}] = m[{layout.slots[key] * LINE_WORDS}];" if key in layout.slots else f"row[{j}] = 0;"
        for j, key in enumerate(p.keys)
        if ":" not in key
    ]
    out.append(f"""
int incref_run(struct ctx *c, double deadline_s) {{
    for (i64 i = 0; i < c->n; i++) {{
        i64 *m = c->mem + i * SLOT;
        {" ".join(init)}
    }}
    int status = run_workers(c, workers, deadline_s);
    i64 done = c->n;
    for (int t = 0; t < NTHREADS; t++) if (c->done[t] < done) done = c->done[t];
    for (i64 i = 0; i < done; i++) {{
        i64 *m = c->mem + i * SLOT, *row = c->rows + i * NCOLS;
        {" ".join(memory_cols)}
        (void)m; (void)row;
    }}
    c->n = done;
    return status;
}}
""")
    return "\n".join(out)


def _litmus_worker(p: Plan, t: int, body: list[str]) -> str:
    program, thread = p.program, p.program.threads[t]
    regs = p.layout.regs[thread.tid]
    decl = [f"i64 {c} = {c_int(program.init_regs.get((thread.tid, name), 0))};" for name, c in regs.items()]
    decl += [f"i64 delta{j} = 0, ops{j} = 0;" for j in range(len(p.objects))]

    def saved(reg: str) -> str:
        return regs[reg] if reg in regs else c_int(program.init_regs.get((thread.tid, reg), 0))

    saves = [
        f"row[{j}] = {saved(key.partition(':')[2])};"
        for j, key in enumerate(p.keys)
        if key.partition(":")[0] == str(thread.tid) and ":" in key
    ]
    saves.append(f"row[{p.flag_col(t)}] = flag;")
    for j in range(len(p.objects)):
        saves.append(f"row[{p.delta_col(t, j)}] = delta{j}; row[{p.ops_col(t, j)}] = ops{j};")
    return f"""
static void *worker{t}(void *arg) {{
    struct ctx *c = arg;
    int sense = 0;
    u64 rng = c->seed * {2 * t + 1} + {t + 1};
    i64 i = 0;
    pin(c, {t});
    for (; i < c->n; i++) {{
        if (!barrier(c, &sense)) break;
        i64 *mem = c->mem + i * SLOT, *row = c->rows + i * NCOLS;
        int flag = 0;
        {" ".join(decl)}
        delay(&rng, c->jitter);
        CB();
        {chr(10).join("        " + line for line in body)}
    L_end:
        if (flag & F_STOP) break;
        {" ".join(saves)}
    }}
    c->done[{t}] = i;
    return 0;
}}
"""


def bench_source(program: Program, bodies: dict[int, list[str]]) -> str:
    """The C file for a benchmark: each thread `t` of `bodies` waits at the start barrier,
    then runs its statements `c->n` times on the one shared slot and records the CPU
    time (CLOCK_THREAD_CPUTIME_ID) of the whole loop in `c->ns[t]` and when it began and
    ended (CLOCK_MONOTONIC) in `c->began[t]`, `c->ended[t]`: the clocks cost nothing per
    iteration, and together they say whether the thread was descheduled meanwhile and
    whether the threads' loops overlapped. `bodies` come from `ThreadEmitter.body` (a scheme's IR) or are
    written by hand in incref itself; never from input."""
    layout = Layout.of(program)
    out = [prelude(len(bodies)), f"#define NLOC {max(len(layout.slots), 1)}"]
    for t, body in sorted(bodies.items()):
        regs = layout.regs.get(t, {})
        decl = " ".join(f"i64 {c} = 0;" for c in regs.values())
        lines = "\n            ".join(body)
        out.append(f"""
static void *worker{t}(void *arg) {{
    struct ctx *c = arg;
    i64 *mem = c->mem;
    int sense = 0, flag = 0;
    {decl}
    pin(c, {t});
    barrier(c, &sense);
    c->began[{t}] = (i64)(now_s() * 1e9);
    double start = clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (i64 i = 0; i < c->n; i++) {{
            {lines}
    L_end:
        CB();
    }}
    c->ns[{t}] = (i64)((clock_s(CLOCK_THREAD_CPUTIME_ID) - start) * 1e9);
    c->ended[{t}] = (i64)(now_s() * 1e9);
    (void)flag; (void)mem;
    return 0;
}}""")
    out.append("static void *(*workers[NTHREADS])(void *) = {" + ", ".join(f"worker{t}" for t in sorted(bodies)) + "};")
    init = " ".join(
        f"c->mem[{layout.slots[name] * LINE_WORDS}] = {c_int(value)};"
        for name, value in sorted(program.locations.items())
    )
    out.append(f"""
int incref_bench(struct ctx *c, double deadline_s) {{
    {init}
    return run_workers(c, workers, deadline_s);
}}
""")
    return "\n".join(out)
