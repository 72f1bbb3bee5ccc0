"""A C translation unit (pycparser's tree) to a scenario-level `Program`.

Whole programs as GenMC takes them: `main` is thread 0 and every `pthread_create` starts
one more thread running the named function, inlined (as every call is: recursion is
bounded by the unroll bound). Threads are found by running `main` at compile time
(`flow.py`): creation and joining must therefore happen at points the front end can
follow without memory values, as in every GenMC test.

Memory: every global, static local, `malloc` block and local variable of a function that
creates threads (its address may reach another thread) is a sequence of named cells
(`types.py`), each with an address, so pointers are integers; a pointer the front end
knows names its location, any other is dereferenced at run time through
`Program.location_at`. Other locals live in registers.

Orders: a plain access to a non-atomic object is `na` (a race on it is a `data-race`
under rc11/c11, C11 5.1.2.4p25); to an `_Atomic` object `sc` (C11 7.17.7); the
`<stdatomic.h>` and GCC `__atomic`/`__sync` operations carry their own (`calls.py`).
`pthread_create` and `pthread_join` synchronise as C11 7.26.2.1/7.26.5.6 say, through a
release store and an acquire load of a flag only the two threads touch (left out where
nothing could be ordered by it, so the execution graphs stay GenMC's)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from pycparser import c_ast

from incref.errors import InputError, Unsupported
from incref.frontends.c.flow import Code, Env, negate
from incref.frontends.c.types import FUNC, INT, VOID, CType, Types, pointer
from incref.ir.program import (
    ADDRESSED,
    MEMORY_INSTRS,
    Assert,
    Assign,
    Assume,
    BinOp,
    Branch,
    Const,
    Decref,
    Expr,
    Fence,
    Free,
    Incref,
    Label,
    Load,
    Lock,
    LoopBound,
    ObjectInfo,
    ObjOp,
    Order,
    Program,
    Reg,
    Store,
    Thread,
    Unlock,
    UnOp,
    link,
    names_in,
)

FRAME_BASE = 1 << 40  # addresses of register-held locals
FUNC_BASE = 1 << 36  # addresses of functions (function pointers)
STATIC_LOOP_LIMIT = 100_000  # iterations of a loop whose bound is known, before giving up
FOLD = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b,
}


@dataclass
class V:
    """A C value at compile time: an IR expression and its type."""

    e: Expr
    t: CType


@dataclass
class LV:
    """An lvalue: its address (a constant when known) and type."""

    addr: Expr
    t: CType


class NotPure(Exception):
    """A loop tried as a spin loop has an effect (a write, a call with effects)."""


@dataclass
class Spawn:
    child: int
    creator: int
    function: str
    arg: Expr
    coord: object


@dataclass
class Marker:
    """A placeholder resolved once every thread is compiled: thread start/end
    synchronisation, and object operations through a pointer not known statically."""

    kind: str  # spawn, join, free, incref, decref
    other: int = 0
    addr: Expr | None = None
    origin: str = ""


@dataclass
class Frame:
    """One inlined call: where `return` goes and which cell holds the value."""

    function: str
    ret_label: str
    ret_cell: int | None
    scope: dict[str, LV] = field(default_factory=dict)
    escaping: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)


@dataclass
class ThreadState:
    tid: int
    name: str
    code: Code
    frames: list[Frame] = field(default_factory=list)
    loops: list[tuple[str, str]] = field(default_factory=list)  # (break label, continue label)
    dynamic: int = 0  # depth of run-time conditions around the current point
    scratch: int = 0  # > 0 while a loop is tried as a spin loop
    memory_locals: bool = False


class Compiler:
    def __init__(self, ast: c_ast.FileAST, file: str, unroll: int, loop_cut: str, races: bool = True):
        self.file = file
        self.unroll = unroll
        self.loop_cut = loop_cut  # "bound": LoopBound (incomplete); "assume": GenMC's -unroll
        self.types = Types()
        self.enums: dict[str, int] = {}
        self.functions: dict[str, c_ast.FuncDef] = {}
        self.func_addr: dict[str, int] = {}
        self.globals: dict[str, LV] = {}
        self.statics: dict[str, LV] = {}
        self.cells: dict[int, tuple[str, CType]] = {}  # memory address -> (location, type)
        self.frame: dict[int, CType] = {}
        self.locations: dict[str, int] = {}
        self.addresses: dict[str, int] = {}
        self.objects: dict[str, ObjectInfo] = {}
        self.blocks: dict[int, str] = {}  # base address of an allocation or PyObject -> object
        self.handles: dict[int, int] = {}  # address of a pthread_t -> thread id
        self.spawns: list[Spawn] = []
        self.passed: set[int] = set()  # threads whose argument the creator computed at run time
        self.threads: list[ThreadState] = []
        self.next_addr = 1
        self.next_frame = FRAME_BASE
        self.uses_gil = False
        self._lines: dict[str, list[str]] = {}
        self.t: ThreadState
        from incref.frontends.c import calls

        self.calls = calls
        for ext in ast.ext:
            self.external(ext)

    # ------------------------------------------------------------------ errors, origins

    def where(self, node) -> tuple[str, int | None, int | None]:
        coord = getattr(node, "coord", None)
        if coord is None or not coord.file:
            return self.file, None, None
        return coord.file, coord.line, coord.column

    def error(self, node, message: str) -> InputError:
        return InputError(message, *self.where(node))

    def unsupported(self, node, feature: str) -> Unsupported:
        return Unsupported(feature, *self.where(node))

    def origin(self, node) -> str:
        """`file:line: source text`, the source line an instruction came from (traces)."""
        file, line, _ = self.where(node)
        if line is None:
            return ""
        if file not in self._lines:
            try:
                self._lines[file] = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[file] = []
        lines = self._lines[file]
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        text = re.sub(r"/\*.*?(\*/|$)|//.*", "", text).strip()
        return f"{Path(file).name}:{line}: {text}"

    # ------------------------------------------------------------------ types

    def ctype(self, node, quals=()) -> CType:
        """The CType of a pycparser type node."""
        if isinstance(node, c_ast.TypeDecl):
            return self.ctype(node.type, tuple(quals) + tuple(node.quals))
        if isinstance(node, c_ast.Typename):
            return self.ctype(node.type, tuple(quals) + tuple(node.quals))
        if isinstance(node, c_ast.PtrDecl):
            return self._qualified(pointer(self.ctype(node.type)), tuple(quals) + tuple(node.quals))
        if isinstance(node, c_ast.ArrayDecl):
            if node.dim is None:
                length = 0
            else:
                dim = self.constant(node.dim)
                length = dim
            return CType("array", target=self.ctype(node.type), length=length)
        if isinstance(node, c_ast.FuncDecl):
            return FUNC
        if isinstance(node, (c_ast.Struct, c_ast.Union)):
            if isinstance(node, c_ast.Union):
                raise self.unsupported(node, "union")
            tag = node.name or f"<anonymous {id(node)}>"
            if node.decls is not None:
                fields = []
                for d in node.decls:
                    if d.bitsize is not None:
                        raise self.unsupported(d, "bit-field")
                    fields.append((d.name or f"<anon{len(fields)}>", self.ctype(d.type)))
                self.types.structs[tag] = tuple(fields)
            return self._qualified(CType("struct", tag=tag), quals)
        if isinstance(node, c_ast.Enum):
            if node.values is not None:
                value = -1
                for e in node.values.enumerators:
                    value = self.constant(e.value) if e.value is not None else value + 1
                    self.enums[e.name] = value
            return self._qualified(INT, quals)
        if isinstance(node, c_ast.IdentifierType):
            names = node.names
            if len(names) == 1 and names[0] in self.types.typedefs:
                return self._qualified(self.types.typedefs[names[0]], quals)
            if "void" in names:
                return VOID
            if "float" in names or "double" in names:
                raise self.unsupported(node, "floating point")
            return self._qualified(CType("int", boolean="_Bool" in names), quals)
        raise self.unsupported(node, f"type {type(node).__name__}")

    def _qualified(self, t: CType, quals) -> CType:
        if "_Atomic" in quals and not t.atomic:
            t = replace(t, atomic=True)
        if "volatile" in quals and not t.volatile:
            t = replace(t, volatile=True)
        return t

    def constant(self, node) -> int:
        """A constant expression (array sizes, enum values, global initialisers)."""
        v = self.static_value(node)
        if v is None:
            raise self.error(node, "not a constant expression")
        return v

    def static_value(self, node) -> int | None:
        if isinstance(node, c_ast.Constant):
            return self.literal(node)
        if isinstance(node, c_ast.ID) and node.name in self.enums:
            return self.enums[node.name]
        if isinstance(node, c_ast.ID) and node.name in self.globals:
            lv = self.globals[node.name]
            if lv.t.kind in ("array", "func"):
                return lv.addr.value
            return None
        if isinstance(node, c_ast.ID) and node.name in self.func_addr:
            return self.func_addr[node.name]
        if isinstance(node, c_ast.UnaryOp):
            if node.op == "sizeof":
                return self.sizeof(node.expr)
            if node.op == "&":
                lv = self.static_lvalue(node.expr)
                return None if lv is None else lv
            inner = self.static_value(node.expr)
            if inner is None:
                return None
            return {"-": -inner, "+": inner, "!": int(not inner), "~": ~inner}.get(node.op)
        if isinstance(node, c_ast.Cast):
            return self.static_value(node.expr)
        if isinstance(node, c_ast.BinaryOp):
            a, b = self.static_value(node.left), self.static_value(node.right)
            if a is None or b is None:
                return None
            v = fold(node.op, a, b)
            return v
        if isinstance(node, c_ast.TernaryOp):
            c = self.static_value(node.cond)
            if c is None:
                return None
            return self.static_value(node.iftrue if c else node.iffalse)
        return None

    def static_lvalue(self, node) -> int | None:
        """The address of a global lvalue known without running code (`&x`, `&a[2]`)."""
        if isinstance(node, c_ast.ID) and node.name in self.globals:
            return self.globals[node.name].addr.value
        if isinstance(node, c_ast.ID) and node.name in self.func_addr:
            return self.func_addr[node.name]
        if isinstance(node, c_ast.ArrayRef):
            base = self.static_lvalue(node.name)
            i = self.static_value(node.subscript)
            t = self.static_type(node.name)
            if base is None or i is None or t is None or t.target is None:
                return None
            return base + i * self.types.cells(t.target)
        if isinstance(node, c_ast.StructRef) and node.type == ".":
            base = self.static_lvalue(node.name)
            t = self.static_type(node.name)
            if base is None or t is None or t.kind != "struct":
                return None
            f = self.types.field(t, node.field.name)
            return None if f is None else base + f[0]
        return None

    def static_type(self, node) -> CType | None:
        if isinstance(node, c_ast.ID) and node.name in self.globals:
            return self.globals[node.name].t
        if isinstance(node, c_ast.ArrayRef):
            t = self.static_type(node.name)
            return None if t is None else t.target
        if isinstance(node, c_ast.StructRef) and node.type == ".":
            t = self.static_type(node.name)
            f = None if t is None else self.types.field(t, node.field.name)
            return None if f is None else f[1]
        return None

    def sizeof(self, node) -> int:
        if isinstance(node, c_ast.Typename):
            return self.types.cells(self.ctype(node))
        t = self.static_type(node)
        if t is not None:
            return self.types.cells(t)
        if hasattr(self, "t"):
            code = self.t.code
            saved = (len(code.items), dict(code.env) if code.env is not None else None, code.counter)
            self.t.scratch += 1
            try:
                v = self.expr(node)
            finally:
                self.t.scratch -= 1
                del code.items[saved[0] :]
                code.env, code.counter = saved[1], saved[2]
            return self.types.cells(v.t if v.t.kind != "ptr" or not isinstance(node, c_ast.ID) else v.t)
        raise self.unsupported(node, "sizeof of this expression")

    def literal(self, node: c_ast.Constant) -> int:
        text = node.value
        if node.type == "char":
            body = text[1:-1]
            escapes = {"\\n": 10, "\\t": 9, "\\0": 0, "\\\\": 92, "\\'": 39}
            return escapes.get(body, ord(body[0]) if body else 0)
        if node.type in ("float", "double"):
            raise self.unsupported(node, "floating point")
        if node.type == "string":
            raise self.unsupported(node, "string literal")
        digits = text.rstrip("uUlL")
        try:
            if digits.lower().startswith("0x"):
                return int(digits, 16)
            if digits.lower().startswith("0b"):
                return int(digits, 2)
            if len(digits) > 1 and digits.startswith("0"):
                return int(digits, 8)
            return int(digits)
        except ValueError:
            raise self.error(node, f"not a number: {text}") from None

    # ------------------------------------------------------------------ memory layout

    def allocate(self, prefix: str, t: CType, initial: dict[int, int] | None = None) -> int:
        """Named cells for a value of type `t`; returns its address."""
        base = self.next_addr
        for offset, (name, _ctype) in enumerate(self.types.layout(prefix, t)):
            name = self._unique(name)
            self.cells[base + offset] = (name, _ctype)
            self.locations[name] = (initial or {}).get(offset, 0)
            self.addresses[name] = base + offset
        self.next_addr = base + max(1, self.types.cells(t))
        return base

    def _unique(self, name: str) -> str:
        if name not in self.locations:
            return name
        n = 2
        while f"{name}#{n}" in self.locations:
            n += 1
        return f"{name}#{n}"

    def unique_prefix(self, hint: str) -> str:
        taken = {n.split(".")[0].split("[")[0] for n in self.locations} | set(self.objects)
        if hint not in taken:
            return hint
        n = 2
        while f"{hint}{n}" in taken:
            n += 1
        return f"{hint}{n}"

    def frame_cells(self, t: CType) -> int:
        base = self.next_frame
        size = max(1, self.types.cells(t))
        for offset, (_, ctype) in enumerate(self.types.layout("", t)):
            self.frame[base + offset] = ctype
        self.next_frame += size
        return base

    def new_object(self, base: int, t: CType, prefix: str, refcounted: bool, owner: int) -> None:
        """Register the block at `base` as an object: its cells are fields (an access
        after its free is a use after free), a PyObject's count is re-laid by the scheme."""
        fields = tuple(self.cells[base + i][0] for i in range(max(1, self.types.cells(t))) if base + i in self.cells)
        if refcounted:
            self.locations[f"{prefix}.payload"] = 0
            fields += (f"{prefix}.payload",)
            info = ObjectInfo(
                prefix,
                self.locations.get(f"{prefix}.refcnt", 0),
                fields,
                count=Reg(f"{prefix}.refcnt"),
                attrs={"owner": owner},
            )
            from incref.ir.program import Var

            info = replace(info, count=Var(f"{prefix}.refcnt"))
        else:
            from incref.ir.program import Var

            info = ObjectInfo(
                prefix,
                0,
                fields,
                count=Var(fields[0]) if fields else Const(0),
                invariants=frozenset({"use-after-free", "double-free"}),
                attrs={"refcounted": 0},
            )
        self.locations[f"{prefix}.freed"] = 0
        self.objects[prefix] = info
        self.blocks[base] = prefix

    # ------------------------------------------------------------------ top level

    def external(self, ext) -> None:
        if isinstance(ext, c_ast.FuncDef):
            name = ext.decl.name
            self.functions[name] = ext
            self.func_addr.setdefault(name, FUNC_BASE + len(self.func_addr))
            return
        if isinstance(ext, c_ast.Typedef):
            self.types.typedefs[ext.name] = replace(self.ctype(ext.type), name=ext.name)
            return
        if isinstance(ext, c_ast.Decl):
            self.global_decl(ext)
            return
        if isinstance(ext, c_ast.Pragma):
            return
        raise self.unsupported(ext, type(ext).__name__)

    def global_decl(self, d: c_ast.Decl, prefix: str | None = None) -> None:
        if isinstance(d.type, c_ast.FuncDecl):
            self.func_addr.setdefault(d.name, FUNC_BASE + len(self.func_addr))
            return
        t = self.ctype(d.type)
        if d.name is None:
            return  # struct or enum declaration
        if "extern" in d.storage and d.init is None:
            return
        if t.kind == "array" and t.length == 0 and isinstance(d.init, c_ast.InitList):
            t = replace(t, length=len(d.init.exprs))
        initial = self.static_initial(d.init, t) if d.init is not None else {}
        name = prefix or d.name
        base = self.allocate(name, t, initial)
        lv = LV(Const(base), t)
        if prefix is None:
            self.globals[d.name] = lv
        self._register_objects(base, t, name, owner=0)
        return lv

    def _register_objects(self, base: int, t: CType, prefix: str, owner: int) -> None:
        """Every PyObject inside a global (an object, an array of objects)."""
        if self.types.is_pyobject(t):
            self.new_object(base, t, prefix, True, owner)
        elif t.kind == "array" and self.types.is_pyobject(t.target):
            size = self.types.cells(t.target)
            for i in range(t.length):
                self.new_object(base + i * size, t.target, f"{prefix}[{i}]", True, owner)

    def static_initial(self, init, t: CType) -> dict[int, int]:
        """Initial cell values (offset -> value) of a global's initialiser."""
        out: dict[int, int] = {}
        if isinstance(init, c_ast.InitList):
            if t.kind == "array":
                size = self.types.cells(t.target)
                for i, e in enumerate(init.exprs):
                    for off, v in self.static_initial(e, t.target).items():
                        out[i * size + off] = v
            elif t.kind == "struct":
                offset = 0
                fields = self.types.fields(t)
                for (_, ftype), e in zip(fields, init.exprs):
                    if isinstance(e, c_ast.NamedInitializer):
                        raise self.unsupported(e, "designated initialiser")
                    for off, v in self.static_initial(e, ftype).items():
                        out[offset + off] = v
                    offset += self.types.cells(ftype)
            elif init.exprs:
                return self.static_initial(init.exprs[0], t)
            return out
        value = self.static_value(init)
        if value is None:
            raise self.error(init, "a global's initialiser must be a constant")
        return {0: value}

    def compile(self, name: str) -> Program:
        main = self.functions.get("main")
        if main is None:
            raise InputError("no main function (a C program needs main, which starts the threads)", self.file, 1, 1)
        root = self.new_thread("main")
        root.memory_locals = True
        self.run_thread(root, main, None)
        done = 0
        while done < len(self.spawns):
            sp = self.spawns[done]
            done += 1
            fn = self.functions.get(sp.function)
            if fn is None:
                raise self.unsupported(sp.coord, f"thread function {sp.function} without a definition")
            self.run_thread(self.threads[sp.child], fn, sp.arg)
        return self.program(name)

    def new_thread(self, name: str) -> ThreadState:
        state = ThreadState(len(self.threads), name, Code(f"T{len(self.threads)}"))
        self.threads.append(state)
        return state

    def run_thread(self, state: ThreadState, fn: c_ast.FuncDef, arg: Expr | None) -> None:
        """Compile `fn` as thread `state`; a thread argument computed at run time is read
        from the location `__argN` its creator wrote before creating it."""
        previous = getattr(self, "t", None)
        self.t = state
        args = []
        if state.tid != 0:
            state.code.emit(Marker("start"))
            if state.tid in self.passed:
                state.code.emit(Load("__arg", f"__arg{state.tid}", Order.NA))
                arg = Reg("__arg")
            args = [V(arg, pointer(VOID))]
        state.memory_locals = state.memory_locals or _creates_threads(fn)
        self.inline(fn, args, fn)
        if state.tid != 0:
            state.code.emit(Marker("end"))
        if previous is not None:
            self.t = previous

    # ------------------------------------------------------------------ statements

    def block(self, items) -> None:
        for item in items or ():
            self.stmt(item)

    def stmt(self, node) -> None:
        code = self.t.code
        if not code.live or node is None:
            return
        if isinstance(node, c_ast.Compound):
            self.block(node.block_items)
        elif isinstance(node, c_ast.Decl):
            self.local_decl(node)
        elif isinstance(node, c_ast.DeclList):
            for d in node.decls:
                self.local_decl(d)
        elif isinstance(node, c_ast.If):
            self.if_stmt(node)
        elif isinstance(node, c_ast.While):
            self.loop(node, node.cond, node.stmt, None, test_first=True)
        elif isinstance(node, c_ast.DoWhile):
            self.loop(node, node.cond, node.stmt, None, test_first=False)
        elif isinstance(node, c_ast.For):
            self.stmt(node.init) if not isinstance(node.init, c_ast.ExprList) else self.expr(node.init)
            self.loop(node, node.cond, node.stmt, node.next, test_first=True)
        elif isinstance(node, c_ast.Break):
            if not self.t.loops:
                raise self.error(node, "break outside a loop")
            self.jump(node, self.t.loops[-1][0])
        elif isinstance(node, c_ast.Continue):
            if not self.t.loops:
                raise self.error(node, "continue outside a loop")
            self.jump(node, self.t.loops[-1][1])
        elif isinstance(node, c_ast.Return):
            frame = self.t.frames[-1]
            if node.expr is not None:
                with self.at(node):
                    v = self.expr(node.expr)
                if frame.ret_cell is not None and code.env is not None:
                    code.env[frame.ret_cell] = v.e
            self.jump(node, frame.ret_label)
        elif isinstance(node, c_ast.EmptyStatement):
            pass
        elif isinstance(node, c_ast.Switch):
            self.switch(node)
        elif isinstance(node, (c_ast.Goto, c_ast.Label)):
            raise self.unsupported(node, "goto")
        elif isinstance(node, (c_ast.Typedef,)):
            self.types.typedefs[node.name] = replace(self.ctype(node.type), name=node.name)
        elif isinstance(node, c_ast.Pragma):
            pass
        else:
            with self.at(node):
                self.expr(node)

    def at(self, node):
        """Instructions emitted inside carry `node`'s source line as their origin."""
        return _Origin(self, self.origin(node))

    def jump(self, node, label: str) -> None:
        if self.t.scratch and label in self._scratch_labels:
            raise NotPure
        self.t.code.jump(label)

    _scratch_labels: frozenset = frozenset()

    def local_decl(self, d: c_ast.Decl) -> None:
        if isinstance(d.type, c_ast.FuncDecl):
            return
        t = self.ctype(d.type)
        if d.name is None:
            return
        if t.kind == "array" and t.length == 0 and isinstance(d.init, c_ast.InitList):
            t = replace(t, length=len(d.init.exprs))
        if "static" in d.storage:
            key = f"{self.t.frames[-1].function}.{d.name}"
            if key not in self.statics:
                self.statics[key] = self.global_decl(d, prefix=key)
            self.scope[d.name] = self.statics[key]
            return
        in_memory = (
            self.t.memory_locals
            and d.name in self.t.frames[-1].escaping
            and (t.kind in ("array", "struct") or d.name in self.t.frames[-1].taken)
            and "pthread_t" not in (t.name, t.target.name if t.target is not None else "")
        )
        if in_memory:
            base = self.allocate(self.unique_prefix(f"{self.t.frames[-1].function}.{d.name}"), t)
        else:
            base = self.frame_cells(t)
            for i in range(max(1, self.types.cells(t))):
                self.t.code.env[base + i] = Const(0)
        lv = LV(Const(base), t)
        self.scope[d.name] = lv
        if d.init is not None:
            with self.at(d):
                self.initialise(lv, d.init, hint=d.name)

    def initialise(self, lv: LV, init, hint: str = "") -> None:
        if isinstance(init, c_ast.InitList):
            if lv.t.kind == "array":
                size = self.types.cells(lv.t.target)
                for i, e in enumerate(init.exprs):
                    self.initialise(LV(add(lv.addr, Const(i * size)), lv.t.target), e)
            elif lv.t.kind == "struct":
                offset = 0
                for (_, ftype), e in zip(self.types.fields(lv.t), init.exprs):
                    self.initialise(LV(add(lv.addr, Const(offset)), ftype), e)
                    offset += self.types.cells(ftype)
            elif init.exprs:
                self.initialise(lv, init.exprs[0])
            return
        self.hint = hint
        v = self.expr(init)
        self.hint = ""
        self.assign(lv, v, init, initial=True)

    hint = ""

    @property
    def scope(self) -> dict[str, LV]:
        return self.t.frames[-1].scope

    def if_stmt(self, node: c_ast.If) -> None:
        with self.at(node.cond):
            c = self.cond(node.cond)
        code = self.t.code
        if type(c) is Const:
            self.stmt(node.iftrue if c.value else node.iffalse)
            return
        other, end = code.label("else"), code.label("endif")
        code.branch(negate(c), other)
        self.t.dynamic += 1
        self.stmt(node.iftrue)
        code.jump(end)
        code.place(other)
        self.stmt(node.iffalse)
        self.t.dynamic -= 1
        code.place(end)

    def switch(self, node: c_ast.Switch) -> None:
        """`switch` as a chain of comparisons; cases fall through as C says."""
        with self.at(node.cond):
            v = self.expr(node.cond).e
        code = self.t.code
        body = node.stmt.block_items if isinstance(node.stmt, c_ast.Compound) else [node.stmt]
        cases = [item for item in body or () if isinstance(item, (c_ast.Case, c_ast.Default))]
        end = code.label("endswitch")
        labels = [code.label("case") for _ in cases]
        default = None
        for case, label in zip(cases, labels):
            if isinstance(case, c_ast.Default):
                default = label
                continue
            code.branch(fold_expr("==", v, Const(self.constant(case.expr))), label)
        code.jump(default or end)
        self.t.loops.append((end, self.t.loops[-1][1] if self.t.loops else end))
        self.t.dynamic += 1
        for case, label in zip(cases, labels):
            code.place(label)
            self.block(case.stmts)
        self.t.dynamic -= 1
        self.t.loops.pop()
        code.place(end)

    def loop(self, node, cond, body, step, test_first: bool) -> None:
        if self.spin(node, cond, body, step, test_first):
            return
        code = self.t.code
        exit_ = code.label("endloop")
        dynamic = 0
        iterations = 0
        first = True
        while code.live:
            iterations += 1
            if iterations > STATIC_LOOP_LIMIT:
                raise self.unsupported(node, f"a loop of more than {STATIC_LOOP_LIMIT} iterations")
            if test_first or not first:
                with self.at(cond if cond is not None else node):
                    c = Const(1) if cond is None else self.cond(cond)
                if type(c) is Const:
                    if not c.value:
                        break
                else:
                    if dynamic >= self.unroll:
                        self.cut(node, c, exit_)
                        break
                    dynamic += 1
                    code.branch(negate(c), exit_)
            first = False
            cont = code.label("continue")
            self.t.loops.append((exit_, cont))
            self.t.dynamic += 1 if dynamic else 0
            self.stmt(body)
            self.t.dynamic -= 1 if dynamic else 0
            self.t.loops.pop()
            code.place(cont)
            if step is not None:
                with self.at(step):
                    self.expr(step)
            if not test_first and dynamic == 0 and cond is None:
                break
        code.place(exit_)

    def cut(self, node, c: Expr, exit_: str) -> None:
        """The unroll bound is reached and the loop would go on: GenMC's `-unroll`
        blocks such an execution (an assume); incref's own bound cuts it and says so."""
        code = self.t.code
        if self.loop_cut == "assume":
            code.emit(Assume(negate(c), origin=self.origin(node)))
            code.jump(exit_)
            return
        code.branch(negate(c), exit_)
        file, line, _ = self.where(node)
        code.emit(LoopBound(f"loop at {Path(file).name}:{line} unrolled {self.unroll} times", origin=self.origin(node)))
        code.env = None

    def spin(self, node, cond, body, step, test_first: bool) -> bool:
        """A loop whose iterations read but write nothing — `while (!flag);`, `do r = x;
        while (!r);` — is a wait: one iteration, then `Assume` its exit condition, as
        GenMC's spin-assume does (executions that spin forever are not counted)."""
        if cond is None or step is not None:
            return False
        code = self.t.code
        mark, env, counter = len(code.items), dict(code.env), code.counter
        self.t.scratch += 1
        try:
            if test_first:
                with self.at(cond):
                    c = self.cond(cond)
                if type(c) is Const or not _is_empty(body):
                    raise NotPure
            else:
                self.t.loops.append(("<spin>", "<spin>"))
                self._scratch_labels = frozenset(("<spin>",))
                try:
                    self.stmt(body)
                finally:
                    self.t.loops.pop()
                    self._scratch_labels = frozenset()
                if not code.live:
                    raise NotPure
                with self.at(cond):
                    c = self.cond(cond)
                if type(c) is Const:
                    raise NotPure
                for cell, value in code.env.items():
                    before = env.get(cell)
                    if before is not None and value != before and names_in(before) & names_in(value):
                        raise NotPure
            for item in code.items[mark:]:
                if not _pure(item):
                    raise NotPure
        except NotPure:
            del code.items[mark:]
            code.env, code.counter = env, counter
            return False
        finally:
            self.t.scratch -= 1
        code.emit(Assume(negate(c), origin=self.origin(node)))
        return True

    # ------------------------------------------------------------------ functions

    def inline(self, fn: c_ast.FuncDef, args: list[V], node) -> V:
        name = fn.decl.name
        depth = sum(1 for f in self.t.frames if f.function == name)
        code = self.t.code
        if depth > self.unroll:
            code.emit(LoopBound(f"recursion of {name} deeper than {self.unroll}", origin=self.origin(node)))
            code.env = None
            return V(Const(0), INT)
        ftype = fn.decl.type
        ret_t = self.ctype(ftype.type)
        ret_cell = None if ret_t.kind == "void" else self.frame_cells(INT)
        if ret_cell is not None:
            code.env[ret_cell] = Const(0)
        frame = Frame(name, code.label("return"), ret_cell)
        if self.t.memory_locals:
            frame.escaping = escaping(fn)
            frame.taken = {
                n.expr.name
                for n in _walk(fn)
                if isinstance(n, c_ast.UnaryOp) and n.op == "&" and isinstance(n.expr, c_ast.ID)
            }
        params = []
        if ftype.args is not None:
            for p in ftype.args.params:
                if isinstance(p, c_ast.EllipsisParam):
                    continue
                pt = self.ctype(p.type)
                if pt.kind == "void":
                    continue
                params.append((p.name, pt))
        self.t.frames.append(frame)
        loops, self.t.loops = self.t.loops, []
        try:
            for i, (pname, pt) in enumerate(params):
                value = args[i] if i < len(args) else V(Const(0), pt)
                base = self.frame_cells(pt)
                code.env[base] = value.e
                if pname:
                    self.scope[pname] = LV(Const(base), pt if pt.kind != "array" else pointer(pt.target))
            self.stmt(fn.body)
            code.jump(frame.ret_label)
            code.place(frame.ret_label)
        finally:
            self.t.frames.pop()
            self.t.loops = loops
        result = code.env.get(ret_cell, Const(0)) if (ret_cell is not None and code.live) else Const(0)
        return V(result, ret_t)

    def lookup(self, node: c_ast.ID) -> LV:
        lv = self.scope.get(node.name) if self.t.frames else None
        if lv is not None:
            return lv
        if node.name in self.globals:
            return self.globals[node.name]
        if node.name in self.func_addr:
            return LV(Const(self.func_addr[node.name]), FUNC)
        raise self.error(node, f"{node.name} is not declared")

    # ------------------------------------------------------------------ expressions

    def cond(self, node) -> Expr:
        return self.expr(node).e

    def expr(self, node) -> V:
        if isinstance(node, c_ast.Constant):
            return V(Const(self.literal(node)), INT)
        if isinstance(node, c_ast.ID):
            if node.name in self.enums and not self._shadowed(node.name):
                return V(Const(self.enums[node.name]), INT)
            return self.load(self.lookup(node), node)
        if isinstance(node, (c_ast.ArrayRef, c_ast.StructRef)):
            return self.load(self.lvalue(node), node)
        if isinstance(node, c_ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, c_ast.BinaryOp):
            return self.binary(node)
        if isinstance(node, c_ast.Assignment):
            return self.assignment(node)
        if isinstance(node, c_ast.Cast):
            t = self.ctype(node.to_type)
            v = self.expr(node.expr)
            if t.boolean:
                return V(fold_expr("!=", v.e, Const(0)), t)
            return V(v.e, t if t.kind != "void" else VOID)
        if isinstance(node, c_ast.FuncCall):
            return self.calls.call(self, node)
        if isinstance(node, c_ast.TernaryOp):
            return self.ternary(node)
        if isinstance(node, c_ast.ExprList):
            v = V(Const(0), VOID)
            for e in node.exprs:
                v = self.expr(e)
            return v
        if isinstance(node, c_ast.CompoundLiteral):
            raise self.unsupported(node, "compound literal")
        raise self.unsupported(node, f"expression {type(node).__name__}")

    def _shadowed(self, name: str) -> bool:
        return bool(self.t.frames) and name in self.scope

    def lvalue(self, node) -> LV:
        if isinstance(node, c_ast.ID):
            return self.lookup(node)
        if isinstance(node, c_ast.ArrayRef):
            base = self.expr(node.name)  # an array decays to a pointer
            index = self.expr(node.subscript)
            if base.t.kind != "ptr":
                base, index = index, base
            if base.t.kind != "ptr":
                raise self.error(node, "subscript of something that is not an array or pointer")
            elem = base.t.target
            return LV(add(base.e, fold_expr("*", index.e, Const(self.types.cells(elem)))), elem)
        if isinstance(node, c_ast.StructRef):
            if node.type == "->":
                p = self.expr(node.name)
                if p.t.kind != "ptr":
                    raise self.error(node, "-> on something that is not a pointer")
                addr, st = p.e, p.t.target
            else:
                lv = self.lvalue(node.name)
                addr, st = lv.addr, lv.t
            if st.kind != "struct":
                raise self.error(node, f"member {node.field.name} of something that is not a struct")
            f = self.types.field(st, node.field.name)
            if f is None:
                raise self.error(node.field, f"no member {node.field.name}")
            return LV(add(addr, Const(f[0])), f[1])
        if isinstance(node, c_ast.UnaryOp) and node.op == "*":
            p = self.expr(node.expr)
            if p.t.kind not in ("ptr",):
                raise self.error(node, "dereference of something that is not a pointer")
            return LV(p.e, p.t.target if p.t.target is not None else INT)
        if isinstance(node, c_ast.Cast):
            lv = self.lvalue(node.expr)
            return LV(lv.addr, self.ctype(node.to_type))
        raise self.error(node, "not an lvalue")

    def order_of(self, t: CType, given: Order | None) -> Order:
        if given is not None:
            return given
        return Order.SC if t.atomic else Order.NA

    def load(self, lv: LV, node, order: Order | None = None) -> V:
        t = lv.t
        if t.kind == "array":
            return V(lv.addr, pointer(t.target))
        if t.kind in ("struct", "func"):
            return V(lv.addr, t if t.kind == "struct" else pointer(FUNC))
        code = self.t.code
        if type(lv.addr) is Const:
            a = lv.addr.value
            if a in self.frame:
                if code.env is None:
                    return V(Const(0), t)
                return V(code.env.get(a, Const(0)), t)
            if a not in self.cells:
                raise self.error(node, f"access through a pointer to no variable (address {a})")
            self.effect(None)
            reg = code.reg()
            code.emit(Load(reg, self.cells[a][0], self.order_of(t, order), origin=self.current_origin))
            return V(Reg(reg), t)
        reg = code.reg()
        code.emit(Load(reg, ADDRESSED, self.order_of(t, order), index=lv.addr, origin=self.current_origin))
        return V(Reg(reg), t)

    def store(self, lv: LV, value: Expr, node, order: Order | None = None) -> None:
        t = lv.t
        code = self.t.code
        if t.boolean:
            value = fold_expr("!=", value, Const(0))
        if type(lv.addr) is Const:
            a = lv.addr.value
            if a in self.frame:
                if code.env is not None:
                    code.env[a] = value
                return
            if a not in self.cells:
                raise self.error(node, f"access through a pointer to no variable (address {a})")
            self.effect(node)
            if type(value) is Const and value.value in self.frame:
                raise self.unsupported(node, "the address of a register-held local stored in shared memory")
            code.emit(Store(self.cells[a][0], value, self.order_of(t, order), origin=self.current_origin))
            return
        self.effect(node)
        code.emit(Store(ADDRESSED, value, self.order_of(t, order), index=lv.addr, origin=self.current_origin))

    def effect(self, node) -> None:
        """A write while a loop is tried as a spin loop: it is not one."""
        if node is not None and self.t.scratch:
            raise NotPure

    current_origin = ""

    def assign(self, lv: LV, v: V, node, initial: bool = False) -> None:
        if lv.t.kind == "struct":
            for i in range(self.types.cells(lv.t)):
                cell_t = self.types.layout("", lv.t)[i][1]
                src = self.load(LV(add(v.e, Const(i)), cell_t), node)
                self.store(LV(add(lv.addr, Const(i)), cell_t), src.e, node)
            return
        if lv.t.kind == "array":
            raise self.error(node, "assignment to an array")
        self.store(lv, v.e, node)

    def assignment(self, node: c_ast.Assignment) -> V:
        lv = self.lvalue(node.lvalue)
        if node.op == "=":
            if lv.t.kind == "ptr" or lv.t.scalar:
                self.hint = getattr(node.lvalue, "name", "") if isinstance(node.lvalue, c_ast.ID) else ""
            v = self.expr(node.rvalue)
            self.hint = ""
            self.assign(lv, v, node)
            return V(v.e, lv.t)
        op = node.op[:-1]
        rhs = self.expr(node.rvalue)
        if lv.t.atomic and op in ("+", "-", "&", "|", "^"):
            old = self.calls.rmw(self, lv, {"+": "add", "-": "sub", "&": "and", "|": "or", "^": "xor"}[op], rhs.e, node)
            return V(fold_expr(op, old, rhs.e), lv.t)
        cur = self.load(lv, node)
        new = self.arith(op, cur, rhs, node)
        self.store(lv, new.e, node)
        return V(new.e, lv.t)

    def arith(self, op: str, a: V, b: V, node) -> V:
        if op in ("+", "-") and a.t.kind == "ptr" and b.t.kind != "ptr":
            size = self.types.cells(a.t.target) if a.t.target is not None else 1
            return V(fold_expr(op, a.e, fold_expr("*", b.e, Const(size))), a.t)
        if op == "+" and b.t.kind == "ptr" and a.t.kind != "ptr":
            return self.arith(op, b, a, node)
        if op == "-" and a.t.kind == "ptr" and b.t.kind == "ptr":
            size = self.types.cells(a.t.target) if a.t.target is not None else 1
            return V(self.divide("/", fold_expr("-", a.e, b.e), Const(size), node), INT)
        if op in ("/", "%"):
            return V(self.divide(op, a.e, b.e, node), INT)
        e = fold_expr(op, a.e, b.e)
        return V(e, INT if op in ("==", "!=", "<", "<=", ">", ">=") else a.t if a.t.kind == "ptr" else INT)

    def divide(self, op: str, a: Expr, b: Expr, node) -> Expr:
        if type(a) is Const and type(b) is Const:
            if b.value == 0:
                raise self.error(node, "division by zero")
            return Const(fold(op, a.value, b.value))
        if type(b) is Const and b.value == 1:
            return a if op == "/" else Const(0)
        raise self.unsupported(node, "division by or of a run-time value")

    def binary(self, node: c_ast.BinaryOp) -> V:
        op = node.op
        if op in ("&&", "||"):
            return self.logical(node)
        a = self.expr(node.left)
        b = self.expr(node.right)
        return self.arith(op, a, b, node)

    def logical(self, node: c_ast.BinaryOp) -> V:
        """`&&`/`||` short-circuit: the right side runs only when it decides."""
        code = self.t.code
        a = fold_expr("!=", self.cond(node.left), Const(0))
        if type(a) is Const:
            if (node.op == "&&") != bool(a.value):
                return V(a, INT)
            return V(fold_expr("!=", self.cond(node.right), Const(0)), INT)
        mark, env, counter = len(code.items), dict(code.env), code.counter
        b = self.cond(node.right)
        if len(code.items) == mark and code.env == env:
            return V(fold_expr(node.op, a, fold_expr("!=", b, Const(0))), INT)
        del code.items[mark:]
        code.env, code.counter = env, counter
        cell = self.frame_cells(INT)
        code.env[cell] = a
        end = code.label("sc")
        code.branch(a if node.op == "||" else negate(a), end)
        self.t.dynamic += 1
        code.env[cell] = fold_expr("!=", self.cond(node.right), Const(0))
        self.t.dynamic -= 1
        code.place(end)
        return V(code.env[cell] if code.live else Const(0), INT)

    def ternary(self, node: c_ast.TernaryOp) -> V:
        code = self.t.code
        c = self.cond(node.cond)
        if type(c) is Const:
            return self.expr(node.iftrue if c.value else node.iffalse)
        cell = self.frame_cells(INT)
        other, end = code.label("else"), code.label("endif")
        code.branch(negate(c), other)
        self.t.dynamic += 1
        v = self.expr(node.iftrue)
        code.env[cell] = v.e
        code.jump(end)
        code.place(other)
        w = self.expr(node.iffalse)
        code.env[cell] = w.e
        self.t.dynamic -= 1
        code.place(end)
        return V(code.env[cell] if code.live else Const(0), v.t)

    def unary(self, node: c_ast.UnaryOp) -> V:
        op = node.op
        if op == "sizeof":
            return V(Const(self.sizeof(node.expr)), INT)
        if op == "&":
            lv = self.lvalue(node.expr)
            return V(lv.addr, pointer(lv.t) if lv.t.kind != "func" else pointer(FUNC))
        if op == "*":
            p = self.expr(node.expr)
            if p.t.kind == "ptr" and p.t.target is not None and p.t.target.kind == "func":
                return p
            return self.load(self.lvalue(node), node)
        if op in ("++", "--", "p++", "p--"):
            lv = self.lvalue(node.expr)
            delta = Const(1)
            if lv.t.kind == "ptr":
                delta = Const(self.types.cells(lv.t.target))
            arith = "+" if "+" in op else "-"
            if lv.t.atomic:
                old = self.calls.rmw(self, lv, "add" if arith == "+" else "sub", delta, node)
                new = fold_expr(arith, old, delta)
            else:
                old = self.load(lv, node).e
                new = fold_expr(arith, old, delta)
                self.store(lv, new, node)
            return V(old if op.startswith("p") else new, lv.t)
        v = self.expr(node.expr)
        if op == "-":
            return V(fold_expr("-", Const(0), v.e), INT)
        if op == "+":
            return v
        if op == "!":
            return V(negate(v.e), INT)
        if op == "~":
            return V(fold_expr("^", v.e, Const(-1)), INT)
        raise self.unsupported(node, f"operator {op}")

    # ------------------------------------------------------------------ program

    def program(self, name: str) -> Program:
        codes = {s.tid: s.code.flatten() for s in self.threads}
        codes = self.resolve_markers(codes)
        threads = tuple(Thread(s.tid, link(codes[s.tid]), s.name) for s in self.threads)
        observed = tuple(
            loc
            for loc in self.locations
            if not loc.startswith("__") and not loc.endswith((".freed", ".payload")) and not _internal(loc)
        )
        if self.uses_gil:
            self.locations.setdefault("gil", 0)
        return Program(
            name=name,
            locations=dict(self.locations),
            threads=threads,
            objects=dict(self.objects),
            observed=observed,
            addresses=dict(self.addresses),
            meta={"file": self.file, "language": "c"},
        )

    def resolve_markers(self, codes: dict[int, list]) -> dict[int, list]:
        """Thread start/end synchronisation where it can order something, and object
        operations through run-time pointers as a test of each candidate object."""
        spawn_sync: dict[int, bool] = {}
        join_sync: dict[int, bool] = {}
        for sp in self.spawns:
            code = codes[sp.creator]
            at = _marker_index(code, "spawn", sp.child)
            spawn_sync[sp.child] = (
                sp.creator != 0 or sp.child in self.passed or any(_touches_memory(i) for i in code[:at])
            )
        for code in codes.values():
            for i, item in enumerate(code):
                if isinstance(item, Marker) and item.kind == "join":
                    join_sync[item.other] = join_sync.get(item.other, False) or any(
                        _touches_memory(x) for x in code[i + 1 :]
                    )
        out: dict[int, list] = {}
        for tid, code in codes.items():
            new: list = []
            for item in code:
                if not isinstance(item, Marker):
                    new.append(item)
                    continue
                if item.kind == "spawn" and spawn_sync.get(item.other):
                    flag = self._flag(f"__start{item.other}")
                    new.append(Store(flag, Const(1), Order.REL, origin=item.origin))
                elif item.kind == "start" and spawn_sync.get(tid):
                    flag = f"__start{tid}"
                    new += [Load("__started", flag, Order.ACQ), Assume(BinOp("==", Reg("__started"), Const(1)))]
                elif item.kind == "end" and join_sync.get(tid):
                    new.append(Store(self._flag(f"__done{tid}"), Const(1), Order.REL))
                elif item.kind == "join" and join_sync.get(item.other):
                    flag = self._flag(f"__done{item.other}")
                    reg = f"__joined{item.other}"
                    new += [
                        Load(reg, flag, Order.ACQ, origin=item.origin),
                        Assume(BinOp("==", Reg(reg), Const(1)), origin=item.origin),
                    ]
                elif item.kind in ("free", "incref", "decref", "dealloc"):
                    new += self.object_chain(item, tid)
            out[tid] = new
        return out

    def _flag(self, name: str) -> str:
        self.locations.setdefault(name, 0)
        return name

    def object_chain(self, item: Marker, tid: int) -> list:
        """`free(p)`, `Py_INCREF(p)`, ... with `p` known only at run time: compare it with
        each object's address (a free of NULL does nothing; anything else is an error)."""
        code: list = []
        refcounted = item.kind in ("incref", "decref")
        candidates = [
            (base, obj)
            for base, obj in sorted(self.blocks.items())
            if not refcounted or self.objects[obj].attrs.get("refcounted", 1)
        ]
        end = f"__chain_end{id(item)}"
        for base, obj in candidates:
            skip = f"__chain{id(item)}_{base}"
            code.append(Branch(BinOp("!=", item.addr, Const(base)), skip, origin=item.origin))
            code += self.object_op(item.kind, obj, item.origin)
            code += [Branch(Const(1), end), Label(skip)]
        if item.kind == "free":
            code.append(Branch(BinOp("==", item.addr, Const(0)), end))
            code.append(Assert(Const(0), "free of memory that malloc did not return", origin=item.origin))
        else:
            code.append(Assert(Const(0), f"{item.kind} of a pointer that is no object", origin=item.origin))
        code.append(Label(end))
        return code

    def object_op(self, kind: str, obj: str, origin: str) -> list:
        if kind == "incref":
            return [Incref(obj, origin=origin)]
        if kind == "decref":
            return [Decref(obj, origin=origin)]
        return [ObjOp("free", obj), Free(obj, origin=origin)]


class _Origin:
    def __init__(self, compiler: Compiler, origin: str):
        self.compiler, self.origin = compiler, origin

    def __enter__(self):
        self.saved = self.compiler.current_origin
        if self.origin:
            self.compiler.current_origin = self.origin

    def __exit__(self, *exc):
        self.compiler.current_origin = self.saved


def fold(op: str, a: int, b: int) -> int:
    """C arithmetic on known values (division truncates toward zero, C11 6.5.5p6)."""
    if op in FOLD:
        return FOLD[op](a, b)
    if op == "/":
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    if op == "%":
        return a - b * fold("/", a, b)
    from incref.ir.program import BINARY_OPS

    return BINARY_OPS[op](a, b)


def fold_expr(op: str, a: Expr, b: Expr) -> Expr:
    if type(a) is Const and type(b) is Const:
        return Const(fold(op, a.value, b.value))
    if op == "+" and type(b) is Const and b.value == 0:
        return a
    if op == "+" and type(a) is Const and a.value == 0:
        return b
    if op == "*" and type(b) is Const and b.value == 1:
        return a
    return BinOp(op, a, b)


def add(a: Expr, b: Expr) -> Expr:
    return fold_expr("+", a, b)


def _is_empty(body) -> bool:
    if body is None or isinstance(body, c_ast.EmptyStatement):
        return True
    return isinstance(body, c_ast.Compound) and not body.block_items


def _pure(item) -> bool:
    """Reads and local computation only (what a spin loop may do)."""
    return isinstance(item, (Load, Assign, Branch, Label, Fence)) or type(item).__name__ == "Fix"


def _touches_memory(item) -> bool:
    return isinstance(item, (*MEMORY_INSTRS, Lock, Unlock, Free, Fence, Incref, Decref)) or (
        isinstance(item, Marker) and item.kind in ("spawn", "free", "incref", "decref", "dealloc")
    )


def _marker_index(code: list, kind: str, other: int) -> int:
    for i, item in enumerate(code):
        if isinstance(item, Marker) and item.kind == kind and item.other == other:
            return i
    return len(code)


def _creates_threads(fn: c_ast.FuncDef) -> bool:
    return any(
        isinstance(n, c_ast.FuncCall) and isinstance(n.name, c_ast.ID) and n.name.name == "pthread_create"
        for n in _walk(fn)
    )


def escaping(fn: c_ast.FuncDef) -> set[str]:
    """Locals whose address may leave the function's registers: `&x` (also `&x[i]`,
    `&x.f`) and arrays passed to a call (they decay to a pointer)."""
    out: set[str] = set()
    for n in _walk(fn):
        if isinstance(n, c_ast.UnaryOp) and n.op == "&":
            base = n.expr
            while isinstance(base, (c_ast.ArrayRef, c_ast.StructRef)) and not (
                isinstance(base, c_ast.StructRef) and base.type == "->"
            ):
                base = base.name
            if isinstance(base, c_ast.ID):
                out.add(base.name)
        if isinstance(n, c_ast.FuncCall) and n.args is not None:
            out |= {a.name for a in n.args.exprs if isinstance(a, c_ast.ID)}
    return out


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(child for _, child in n.children())


def _internal(loc: str) -> bool:
    return False


__all__ = ["Compiler", "V", "LV", "Marker", "Spawn", "UnOp", "Env", "Fence", "Unlock", "Lock"]
