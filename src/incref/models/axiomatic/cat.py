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

from dataclasses import dataclass
from typing import Callable, Mapping

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

from incref.models.axiomatic import relalg as ra

GRAMMAR = r"""
start: stmt*
stmt: "let" NAME "=" rel               -> let
    | CHECK rel "as" NAME              -> axiom
    | "flag" rel "as" NAME             -> flag
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
NAME: /(?!(let|as|flag|acyclic|irreflexive|empty|domain|range)\b)[A-Za-z_][A-Za-z0-9_.\-]*/
COMMENT: /\(\*(.|\n)*?\*\)/ | /#[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""

_PARSER = Lark(GRAMMAR, parser="lalr")

# Base relations a graph provides; `rf` and `co` are the only ones a candidate changes.
DYNAMIC = frozenset({"rf", "co"})
BASE = frozenset({"po", "rf", "co", "rmw", "addr", "data", "ctrl", "loc", "int", "ext", "id"})

Env = dict  # name -> ra.Rel (relations) ; sets live in a separate mapping


@dataclass(frozen=True)
class Node:
    """A compiled relation: `fn(env, sets)` computes it; `dynamic` if it reads rf/co;
    `monotone` if adding rf/co edges can only add edges to it."""

    fn: Callable[[Env, Mapping[str, int]], object]
    dynamic: bool
    monotone: bool
    mask: "Node | None" = None  # for `[S]`: the set S, so `[S] ; r` becomes a row mask


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


class _Compile(Transformer):
    def __init__(self) -> None:
        super().__init__()
        self.lets: dict[str, Node] = {}
        self.order: list[str] = []
        self.axioms: list[Axiom] = []

    # --- statements
    @v_args(inline=True)
    def let(self, name: Token, node: Node) -> None:
        key = str(name)
        if key in self.lets or key in BASE:
            raise CatError(f"relation {key!r} defined twice")
        self.lets[key] = node
        self.order.append(key)

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
        if key in BASE:
            return Node(lambda env, sets: env[key], key in DYNAMIC, True)
        if key not in self.lets:
            raise CatError(f"unknown relation {key!r}")
        target = self.lets[key]
        return Node(lambda env, sets: _get(env, sets, key, target), target.dynamic, target.monotone)

    def zero(self, _children) -> Node:
        return Node(lambda env, sets: env["0"], False, True)

    @v_args(inline=True)
    def ident(self, s: Node) -> Node:
        return Node(lambda env, sets: ra.identity(len(env["id"]), s.fn(env, sets)), s.dynamic, s.monotone, s)

    def _binary(op, monotone_right=True):  # noqa: N805 - a decorator factory used below
        def build(self, children):
            a, b = children
            mono = a.monotone and b.monotone and (monotone_right or not b.dynamic)
            return Node(lambda env, sets: op(a.fn(env, sets), b.fn(env, sets)), a.dynamic or b.dynamic, mono)
        return build

    def _unary(op):  # noqa: N805
        def build(self, children):
            (a,) = children
            return Node(lambda env, sets: op(a.fn(env, sets)), a.dynamic, a.monotone)
        return build

    union = _binary(ra.union)
    inter = _binary(ra.inter)
    diff = _binary(ra.diff, monotone_right=False)
    plus = _unary(ra.plus)
    star = _unary(ra.star)
    opt = _unary(ra.opt)
    inverse = _unary(ra.inverse)

    def seq(self, children):
        a, b = children
        dyn = a.dynamic or b.dynamic
        mono = a.monotone and b.monotone
        # [S] ; r and r ; [S] are masks, not matrix products
        if a.mask is not None:
            s = a.mask
            return Node(lambda env, sets: ra.restrict(b.fn(env, sets), s.fn(env, sets), -1), dyn, mono)
        if b.mask is not None:
            s = b.mask
            return Node(lambda env, sets: ra.restrict(a.fn(env, sets), -1, s.fn(env, sets)), dyn, mono)
        return Node(lambda env, sets: ra.seq(a.fn(env, sets), b.fn(env, sets)), dyn, mono)

    # --- sets
    @v_args(inline=True)
    def sref(self, name: Token) -> Node:
        key = str(name)
        return Node(lambda env, sets: _set(sets, key), False, True)

    sunion = _binary(lambda x, y: x | y)
    sinter = _binary(lambda x, y: x & y)
    sdiff = _binary(lambda x, y: x & ~y, monotone_right=False)
    sdomain = _unary(ra.domain)
    srange = _unary(ra.range_of)


def _get(env: Env, sets: Mapping[str, int], key: str, node: Node):
    value = env.get(key)
    if value is None:
        value = env[key] = node.fn(env, sets)
    return value


def _set(sets: Mapping[str, int], key: str) -> int:
    try:
        return sets[key]
    except KeyError:
        raise CatError(f"unknown event set {key!r}") from None


class Model:
    """One axiomatic model compiled from its text. `name` is the CLI name, `source` the
    paper or .cat file it is written from."""

    def __init__(self, name: str, source: str, text: str):
        self.name = name
        self.source = source
        self.text = text
        compiler = _Compile()
        try:
            compiler.transform(_PARSER.parse(text))
        except LarkError as exc:
            if isinstance(getattr(exc, "orig_exc", None), CatError):
                raise exc.orig_exc from None
            raise CatError(f"model {name}: {exc}") from None
        self.lets = compiler.lets
        self.axioms = [a for a in compiler.axioms if a.kind != "flag"]
        self.flags = [a for a in compiler.axioms if a.kind == "flag"]
        self.pruning = [a for a in self.axioms if a.node.monotone]

    def prepare(self, base: Mapping[str, ra.Rel], sets: Mapping[str, int]) -> dict:
        """The static part of the environment for one skeleton: every `let` that does not
        read rf/co, evaluated once."""
        env: dict = dict(base)
        n = len(base["id"])
        env["0"] = ra.empty(n)
        for key in [k for k in self.lets if not self.lets[k].dynamic]:
            _get(env, sets, key, self.lets[key])
        return env

    def failing_axiom(self, static: dict, sets: Mapping[str, int], rf: ra.Rel, co: ra.Rel,
                      partial: bool = False) -> str | None:
        """The first axiom the graph violates (None when consistent). With `partial`, only
        the axioms that stay violated in every completion are checked."""
        env = dict(static)
        env["rf"] = rf
        env["co"] = co
        for ax in self.pruning if partial else self.axioms:
            if not ax.holds(ax.node.fn(env, sets)):
                return ax.name
        return None

    def flagged(self, static: dict, sets: Mapping[str, int], rf: ra.Rel, co: ra.Rel) -> dict[str, ra.Rel]:
        """The flags (`flag REL as KIND`) raised by a consistent execution, with their
        relations (the racing pairs)."""
        env = dict(static)
        env["rf"] = rf
        env["co"] = co
        out = {}
        for ax in self.flags:
            rel = ax.node.fn(env, sets)
            if not ra.is_empty(rel):
                out[ax.name] = rel
        return out

    def relation(self, static: dict, sets: Mapping[str, int], rf: ra.Rel, co: ra.Rel, name: str) -> ra.Rel | None:
        """A named relation of the model on a complete graph (None when not defined)."""
        if name not in self.lets and name not in BASE:
            return None
        env = dict(static)
        env["rf"] = rf
        env["co"] = co
        return env[name] if name in BASE else _get(env, sets, name, self.lets[name])
