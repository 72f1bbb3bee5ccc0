"""A small `.cat`-style language for axiomatic memory models, in the style of herd7's
model files (Alglave, Maranget, Tautschnig, "Herding cats", TOPLAS 2014, section 4).

A model is text:

    let NAME = REL                      named relation
    acyclic REL as NAME                 axiom (also `irreflexive`, `empty`)
    flag REL as KIND                    not an axiom: a non-empty REL on a consistent
                                        execution is reported (RC11's races: `data-race`)

Relations: base names (`po rf co rmw addr data ctrl loc int ext id`), earlier `let`s,
`[SET]` (identity on an event set), `0` (empty), `(REL)`; operators, loosest first,
`|` union, `\\` difference, `&` intersection, `;` sequence, and postfix `+ * ? ^-1`.
Sets inside `[...]`: names (`R W F M IW NA RLX ACQ REL SC A Q L FREE LOCKED mfence
dmb.full dmb.ld dmb.st isb`), `|`, `&`, `\\`, `domain(REL)`, `range(REL)`.

The engine never sees the text: `Model.check` evaluates it over bit-matrices
(`relalg`). Relations that do not depend on `rf`/`co` are evaluated once per skeleton
(`Model.prepare`); the others per candidate. An axiom whose relation is monotone in
`rf` and `co` (no difference whose right side depends on them) can reject a *partial*
graph — any completion keeps its cycle — which is how the engine prunes early.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

from incref.models.axiomatic import relalg as ra

GRAMMAR = r"""
start: title? stmt*
title: (NAME | STRING)+
stmt: "let" NAME "=" rel               -> let
    | CHECK rel "as" NAME              -> axiom
    | "flag" "~" "empty" rel "as" NAME -> flag
    | "include" STRING                 -> include
CHECK: "acyclic" | "irreflexive" | "empty"
?rel: diff | rel "|" diff              -> union
?diff: inter | diff "\\" inter         -> diff
?inter: seq | inter "&" seq            -> inter
?seq: post | seq ";" post              -> seq
?post: atom | post "+"                 -> plus
     | post "*"                        -> star
     | post "?"                        -> opt
     | post "^-1"                      -> inverse
?atom: NAME                            -> ref
     | "0"                             -> zero
     | "[" set "]"                     -> ident
     | "(" rel ")"
?set: sdiff | set "|" sdiff            -> sunion
?sdiff: sinter | sdiff "\\" sinter     -> sdiff
?sinter: satom | sinter "&" satom      -> sinter
?satom: NAME                           -> sref
      | "domain" "(" rel ")"           -> sdomain
      | "range" "(" rel ")"            -> srange
      | "(" set ")"
NAME: /(?!(let|as|flag|include|acyclic|irreflexive|empty|domain|range)\b)[A-Za-z_][A-Za-z0-9_.\-]*/
STRING: /"[^"\n]*"/
COMMENT: /\(\*(.|\n)*?\*\)/ | /#[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""

_PARSER = Lark(GRAMMAR, parser="lalr")

LIBRARY = Path(__file__).resolve().parent.parent / "cat" / "lib"
PRELUDE = LIBRARY / "prelude.cat"

# Base relations a graph provides; `rf` and `co` are the only ones a candidate changes.
DYNAMIC = frozenset({"rf", "co"})
BASE = frozenset({"po", "rf", "co", "rmw", "addr", "data", "ctrl", "loc", "int", "ext", "id"})

Env = dict  # memo: node key -> value; base relations by name

_keys = iter(range(1 << 62))


@dataclass(frozen=True, eq=False)
class Node:
    """A compiled relation or set: `compute(env, sets)` evaluates it from its children
    (through `value`, which memoises by `key`); `deps` says which of rf/co it reads, so
    it is evaluated once per skeleton (no deps), once per `rf` (only rf) or per graph;
    `monotone` if adding rf/co edges can only add edges to it."""

    compute: Callable[[Env, Mapping[str, int]], object]
    deps: frozenset
    monotone: bool
    mask: Node | None = None  # for `[S]`: the set S, so `[S] ; r` becomes a row mask
    children: tuple = ()
    key: int = field(default_factory=lambda: next(_keys))

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def value(node: Node, env: Env, sets: Mapping[str, int]):
    v = env.get(node.key)
    if v is None:
        v = env[node.key] = node.compute(env, sets)
    return v


@dataclass(frozen=True)
class Axiom:
    kind: str  # acyclic | irreflexive | empty | flag
    name: str
    node: Node

    def holds(self, rel: ra.Rel) -> bool:
        if self.kind == "acyclic":
            return ra.is_acyclic(rel)
        if self.kind == "irreflexive":
            return ra.is_irreflexive(rel)
        return ra.is_empty(rel)


class CatError(ValueError):
    """A model text that does not parse or names an unknown relation (a bug in a model
    file of ours, never user input)."""


def _binary(op, monotone_right=True):
    def build(self, children):
        a, b = children
        mono = a.monotone and b.monotone and (monotone_right or not b.deps)
        return Node(
            lambda env, sets: op(value(a, env, sets), value(b, env, sets)), a.deps | b.deps, mono, children=(a, b)
        )

    return build


def _unary(op):
    def build(self, children):
        (a,) = children
        return Node(lambda env, sets: op(value(a, env, sets)), a.deps, a.monotone, children=(a,))

    return build


class _Compile(Transformer):
    """Compiles statements in order; `include` compiles another file into the same
    environment, found by `load` (which knows the search path and the include stack)."""

    def __init__(self, load: Callable[[str], None]) -> None:
        super().__init__()
        self.load = load
        self.heading = ""
        self.lets: dict[str, Node] = {}
        self.axioms: list[Axiom] = []
        self.base = {
            name: Node(lambda env, sets, name=name: env[name], frozenset({name}) & DYNAMIC, True) for name in BASE
        }
        self.sets: dict[str, Node] = {}

    # --- statements
    def title(self, parts: list[Token]) -> None:
        if not self.heading:
            self.heading = " ".join(p.strip('"') for p in parts)

    @v_args(inline=True)
    def let(self, name: Token, node: Node) -> None:
        self.lets[str(name)] = node  # a later `let` shadows an earlier one, as in herd7

    @v_args(inline=True)
    def include(self, name: Token) -> None:
        self.load(name.strip('"'))

    @v_args(inline=True)
    def axiom(self, kind: Token, node: Node, name: Token) -> None:
        self.axioms.append(Axiom(str(kind), str(name), node))

    @v_args(inline=True)
    def flag(self, node: Node, name: Token) -> None:
        self.axioms.append(Axiom("flag", str(name), node))

    # --- relations
    @v_args(inline=True)
    def ref(self, name: Token) -> Node:
        key = str(name)
        if key in self.lets:
            return self.lets[key]
        if key not in self.base:
            raise CatError(f"unknown relation {key!r}")
        return self.base[key]

    def zero(self, _children) -> Node:
        return Node(lambda env, sets: ra.empty(len(env["id"])), frozenset(), True)

    @v_args(inline=True)
    def ident(self, s: Node) -> Node:
        return Node(
            lambda env, sets: ra.identity(len(env["id"]), value(s, env, sets)), s.deps, s.monotone, s, children=(s,)
        )

    union = _binary(ra.union)
    inter = _binary(ra.inter)
    diff = _binary(ra.diff, monotone_right=False)
    plus = _unary(ra.plus)
    star = _unary(ra.star)
    opt = _unary(ra.opt)
    inverse = _unary(ra.inverse)

    def seq(self, children):
        a, b = children
        deps = a.deps | b.deps
        mono = a.monotone and b.monotone
        # [S] ; r and r ; [S] are masks, not matrix products
        if a.mask is not None:
            s = a.mask
            return Node(
                lambda env, sets: ra.restrict(value(b, env, sets), value(s, env, sets), -1), deps, mono, children=(s, b)
            )
        if b.mask is not None:
            s = b.mask
            return Node(
                lambda env, sets: ra.restrict(value(a, env, sets), -1, value(s, env, sets)), deps, mono, children=(a, s)
            )
        return Node(lambda env, sets: ra.seq(value(a, env, sets), value(b, env, sets)), deps, mono, children=(a, b))

    # --- sets
    @v_args(inline=True)
    def sref(self, name: Token) -> Node:
        key = str(name)
        if key not in self.sets:
            self.sets[key] = Node(lambda env, sets: _set(sets, key), frozenset(), True)
        return self.sets[key]

    sunion = _binary(lambda x, y: x | y)
    sinter = _binary(lambda x, y: x & y)
    sdiff = _binary(lambda x, y: x & ~y, monotone_right=False)
    sdomain = _unary(ra.domain)
    srange = _unary(ra.range_of)


def _set(sets: Mapping[str, int], key: str) -> int:
    try:
        return sets[key]
    except KeyError:
        raise CatError(f"unknown event set {key!r}") from None


class Model:
    """One axiomatic model compiled from a `.cat` file: `name` is what the CLI calls it,
    `source` the file's title line (the paper or herd7 file it is written from), `text`
    the file as written. `include "f.cat"` is searched beside the including file, then in
    `cat_path`, then in the package's library (`incref/models/cat/lib`, which also holds
    the prelude loaded before every model)."""

    def __init__(self, name: str, path: Path, cat_path: Sequence[Path] = ()):
        self.name = name
        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8")
        search = [Path(p) for p in cat_path] + [LIBRARY]
        stack: list[Path] = []

        def load(file: Path) -> None:
            if file in stack:
                raise CatError(f"include cycle: {' -> '.join(p.name for p in [*stack, file])}")
            stack.append(file)
            try:
                compiler.transform(_PARSER.parse(file.read_text(encoding="utf-8")))
            except LarkError as exc:
                if isinstance(getattr(exc, "orig_exc", None), CatError):
                    raise exc.orig_exc from None
                raise CatError(f"{file}: {exc}") from None
            stack.pop()

        def include(name: str) -> None:
            for folder in [stack[-1].parent, *search]:
                if (folder / name).is_file():
                    return load((folder / name).resolve())
            raise CatError(f"{stack[-1]}: include {name!r}: no such file beside it or in the cat path")

        compiler = _Compile(include)
        load(PRELUDE)
        compiler.heading = ""
        load(self.path.resolve())
        self.source = compiler.heading
        self.lets = compiler.lets
        self.axioms = [a for a in compiler.axioms if a.kind != "flag"]
        self.flags = [a for a in compiler.axioms if a.kind == "flag"]
        self.pruning = [a for a in self.axioms if a.node.monotone]
        roots = [*self.lets.values(), *(a.node for a in compiler.axioms)]
        nodes = list({n.key: n for root in roots for n in root.walk()}.values())
        # children before parents, so a node's inputs are memoised when it is evaluated
        self._static = [n for n in reversed(nodes) if not n.deps]
        self._rf_only = [n for n in reversed(nodes) if n.deps == {"rf"}]

    def prepare(self, base: Mapping[str, ra.Rel], sets: Mapping[str, int]) -> Env:
        """The static environment of one skeleton: every relation that does not read
        rf/co, evaluated once."""
        env: Env = dict(base)
        for node in self._static:
            value(node, env, sets)
        return env

    def with_rf(self, static: Env, sets: Mapping[str, int], rf: ra.Rel) -> Env:
        """`static` plus a complete `rf` and every relation that reads only rf: what all
        the `co` candidates of one rf share."""
        env = dict(static)
        env["rf"] = rf
        for node in self._rf_only:
            value(node, env, sets)
        return env

    def failing_axiom(
        self, env: Env, sets: Mapping[str, int], rf: ra.Rel, co: ra.Rel, partial: bool = False
    ) -> str | None:
        """The first axiom the graph violates (None when consistent). With `partial`, only
        the axioms that stay violated in every completion are checked. `env` is the
        result of `prepare` or `with_rf` (then `rf` must be the same)."""
        env = dict(env)
        env["rf"] = rf
        env["co"] = co
        for ax in self.pruning if partial else self.axioms:
            if not ax.holds(value(ax.node, env, sets)):
                return ax.name
        return None

    def flagged(self, env: Env, sets: Mapping[str, int], rf: ra.Rel, co: ra.Rel) -> dict[str, ra.Rel]:
        """The flags (`flag REL as KIND`) raised by a consistent execution, with their
        relations (the racing pairs)."""
        env = dict(env)
        env["rf"] = rf
        env["co"] = co
        out = {}
        for ax in self.flags:
            rel = value(ax.node, env, sets)
            if not ra.is_empty(rel):
                out[ax.name] = rel
        return out

    def relation(self, env: Env, sets: Mapping[str, int], rf: ra.Rel, co: ra.Rel, name: str) -> ra.Rel | None:
        """A named relation of the model on a complete graph (None when not defined)."""
        node = self.lets.get(name)
        if node is None:
            return None
        env = dict(env)
        env["rf"] = rf
        env["co"] = co
        return value(node, env, sets)
