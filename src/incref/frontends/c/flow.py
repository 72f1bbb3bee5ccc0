"""Straight-line code with forward jumps, built by partial evaluation.

The C front end runs a thread's code at compile time as far as it can: a local variable
holds an IR expression (a constant while it is known, else a register), so loops with a
known bound unroll, dead branches vanish and pointers to globals stay named locations.
What depends on memory becomes IR. Since every loop is unrolled there are no back edges:
every jump goes forward to a `Label`, and where paths meet the locals that differ get a
fresh register, assigned on each incoming edge (a `Fix` placeholder filled in when the
label is placed) — SSA without phi nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from incref.ir.program import Assign, BinOp, Branch, Const, Expr, Instr, Label, Reg, UnOp

Env = dict[int, Expr]  # frame cell address -> its current value


class Fix:
    """Where the assignments of one jump's merge registers go (filled in later)."""

    __slots__ = ("code",)

    def __init__(self) -> None:
        self.code: list[Instr] = []


@dataclass
class Code:
    """One thread's code under construction; `env` is None where the code is unreachable."""

    prefix: str
    items: list = field(default_factory=list)
    env: Env | None = field(default_factory=dict)
    incoming: dict[str, list[tuple[Env, Fix]]] = field(default_factory=dict)
    counter: int = 0

    def reg(self, hint: str = "r") -> str:
        self.counter += 1
        return f"{hint}{self.counter}"

    def label(self, hint: str = "L") -> str:
        self.counter += 1
        name = f"{hint}{self.counter}"
        self.incoming[name] = []
        return name

    @property
    def live(self) -> bool:
        return self.env is not None

    def emit(self, instr) -> None:
        if self.env is not None:
            self.items.append(instr)

    def jump(self, label: str) -> None:
        if self.env is None:
            return
        fix = Fix()
        self.items += [fix, Branch(Const(1), label)]
        self.incoming[label].append((dict(self.env), fix))
        self.env = None

    def branch(self, cond: Expr, label: str) -> None:
        """Jump to `label` when `cond` holds; a known condition jumps or falls through."""
        if self.env is None:
            return
        if type(cond) is Const:
            if cond.value:
                self.jump(label)
            return
        fix = Fix()
        self.items += [fix, Branch(cond, label)]
        self.incoming[label].append((dict(self.env), fix))

    def place(self, label: str) -> None:
        """Put `label` here; the environment after it merges every way in."""
        ways = list(self.incoming.pop(label))
        if self.env is not None:
            fix = Fix()
            self.items.append(fix)
            ways.append((self.env, fix))
        self.items.append(Label(label))
        if not ways:
            self.env = None
            return
        common = set(ways[0][0])
        for env, _ in ways[1:]:
            common &= set(env)
        merged: Env = {}
        for cell in common:
            values = [env[cell] for env, _ in ways]
            if all(v == values[0] for v in values):
                merged[cell] = values[0]
                continue
            reg = self.reg("m")
            for env, fix in ways:
                fix.code.append(Assign(reg, env[cell]))
            merged[cell] = Reg(reg)
        self.env = merged

    def flatten(self) -> list[Instr]:
        out: list[Instr] = []
        for item in self.items:
            if isinstance(item, Fix):
                out += item.code
            else:
                out.append(item)
        return out


def negate(cond: Expr) -> Expr:
    if type(cond) is Const:
        return Const(int(not cond.value))
    if type(cond) is UnOp and cond.op == "!":
        return BinOp("!=", cond.operand, Const(0))
    return UnOp("!", cond)
