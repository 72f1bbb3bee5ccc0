"""Scenario text to the scenario tree (`ast.py`), with errors that point into the text.

The grammar is `scenario.lark`, parsed with Lark's LALR parser and contextual lexer
(Lark reference, "Parsers"), which is fast and turns every syntax error into one
`UnexpectedInput` with a line and a column; here that becomes an `InputError` with one
sentence. Raw bytes are vetted before Lark sees them, so a binary or huge file is refused
at once instead of being lexed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import PatternStr

from incref.errors import InputError
from incref.frontends.scenario import ast
from incref.frontends.text import decode as decode_text
from incref.frontends.text import read_source

"""A scenario is a few dozen lines; anything over 1 MB is not one."""

MAX_DIGITS = 19

"""Lark's transformer, the compiler and the printer walk the tree recursively, so a tree
deeper than this would exhaust Python's recursion limit (a RecursionError instead of a
sentence); real scenarios nest a few levels."""
MAX_DEPTH = 200

_OPS = {"/\\": "&&", "\\/": "||", "~": "!"}

_FRIENDLY = {
    "NAME": "a name",
    "INT": "a number",
    "STRING": "a quoted description",
    "SCENARIO_NAME": "a scenario name",
    "CMP": "a comparison",
    "OR": "'||'",
    "AND": "'&&'",
    "SHIFT": "'<<' or '>>'",
    "$END": "the end of the file",
}


@lru_cache(maxsize=1)
def grammar() -> Lark:
    """The parser, built once per process and cached on disk by Lark (keyed on the grammar's
    hash), which cuts the start-up of every command; `start="expr"` parses one expression
    (for the builder)."""
    return Lark.open(
        "scenario.lark",
        rel_to=__file__,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        start=["start", "expr"],
        cache=True,
    )


def read_file(path: str | Path) -> str:
    """The text of a scenario file, or an `InputError` saying why it is not one."""
    return _not_blank(read_source(path, "scenario"), str(path))


def decode(data: bytes, file: str | None) -> str:
    """UTF-8 scenario text without NUL bytes, not blank."""
    return _not_blank(decode_text(data, file, "scenario"), file)


def _not_blank(text: str, file: str | None) -> str:
    if not text.strip():
        raise InputError("empty file: a scenario needs at least one thread", file)
    return text


def parse(text: str, file: str | None = None, name: str | None = None) -> ast.Scenario:
    """Parse a whole scenario. `name` is used when the text has no `scenario` header."""
    tree = _parse(text, "start", file)
    header, decls = _transform(tree, text, file)
    scenario_name, description = header if header else (name or "scenario", "")
    return ast.Scenario(scenario_name, tuple(decls), description, file, tuple(text.splitlines()))


def parse_expr(text: str, what: str = "expression") -> ast.Expr:
    """One expression (the builder's conditions and values), in the format's syntax."""
    return _transform(_parse(text, "expr", f"<{what}>"), text, f"<{what}>")


def _parse(text: str, start: str, file: str | None):
    try:
        return grammar().parse(text, start=start)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, file) from None


def _transform(tree, text: str, file: str | None):
    _check_depth(tree, text, file)
    try:
        return _ToAst(file, text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, InputError):
            raise exc.orig_exc from None
        raise


def _check_depth(tree: Tree, text: str, file: str | None) -> None:
    """Refuse a parse tree nested deeper than `MAX_DEPTH` (a long `a + b + ...` chain or
    deeply nested blocks), pointing at the innermost node that still has a position."""
    stack = [(tree, 1, None)]
    while stack:
        node, depth, meta = stack.pop()
        meta = node.meta if not node.meta.empty else meta
        if depth > MAX_DEPTH:
            lines = text.splitlines()
            line, col = (meta.line, meta.column) if meta is not None else (None, None)
            source = lines[line - 1] if line is not None and 0 < line <= len(lines) else None
            raise InputError(
                f"nested too deeply (over {MAX_DEPTH} levels of the parse tree: a long operator "
                "chain or deeply nested blocks); split it into several statements",
                file,
                line,
                col,
                source,
            )
        stack.extend((child, depth + 1, meta) for child in node.children if isinstance(child, Tree))


def _syntax_error(exc: UnexpectedInput, text: str, file: str | None) -> InputError:
    """One sentence from Lark's exception: what was found, what would have fitted."""
    lines = text.splitlines() or [""]
    line, col = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        # no "expected" here: the lexer runs a token ahead of the parser, so the set of
        # terminals it reports can belong to the previous state
        found = f"unexpected character {text[exc.pos_in_stream]!r}"
        expected = ()
    elif isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        found = f"unexpected {exc.token.value!r}"
        expected = exc.accepts or exc.expected
    else:
        found = "unexpected end of the file"
        line, col = len(lines), len(lines[-1]) + 1
        expected = getattr(exc, "expected", None) or ()
    if line is None or line < 1:
        line, col = len(lines), len(lines[-1]) + 1
    source = lines[line - 1] if line <= len(lines) else ""
    typo = _unknown_instruction(source, col, expected)
    if typo is not None:
        word, col = typo
        return InputError(
            f"unknown instruction {word!r}; a statement is an instruction ({_INSTRUCTIONS}, ...) "
            "or an assignment (`r0 = load x`, `r1 = r0 + 1`)",
            file,
            line,
            col,
            source,
        )
    message = found + (f"; expected {_describe_expected(expected)}" if expected else "")
    return InputError(message, file, line, col, source)


def _unknown_instruction(source: str, col: int, expected) -> tuple[str, int] | None:
    """`stor x = 1`: the grammar reads `stor` as a register about to be assigned and stops
    at `x` wanting '='; the person meant an instruction. The word and its column, when the
    statement so far is that one word."""
    if set(expected) != {"EQUAL"}:
        return None
    before = source[: col - 1]
    start = max(before.rfind(c) for c in "{};") + 1
    word = before[start:].strip()
    if not word.isidentifier():
        return None
    return word, before.index(word, start) + 1


# When Lark expects many tokens, they are named by what they start.
_CATEGORIES = (
    (
        "a statement",
        {
            "'store'",
            "'fence'",
            "'lock'",
            "'unlock'",
            "'if'",
            "'repeat'",
            "'while'",
            "'await'",
            "'assert'",
            "'incref'",
            "'decref'",
            "'use'",
            "'free'",
            "'cas'",
            "'fetch_add'",
            "'fetch_sub'",
            "'fetch_and'",
            "'fetch_or'",
            "'fetch_xor'",
            "'exchange'",
            "';'",
        },
    ),
    (
        "a declaration",
        {"'scenario'", "'param'", "'shared'", "'mutex'", "'object'", "'thread'", "'exists'", "'forall'", "'~'"},
    ),
    ("an expression", {"'!'", "'('", "'-'", "'~'", "a name", "a number"}),
)


_INSTRUCTIONS = "store, fence, fetch_add, cas, lock, await, incref, decref, use, free"


def _describe_expected(names) -> str:
    words = {_friendly(n) for n in names}
    for category, members in _CATEGORIES:
        if len(words & members) >= 3 and ("a number" in words or category != "an expression"):
            words = (words - members) | {category}
    ordered = sorted(words)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1] if len(ordered) > 1 else ordered[0]


def _friendly(terminal: str) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    try:
        pattern = grammar().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return repr(pattern.value) if isinstance(pattern, PatternStr) else terminal.lower()


def _pos(meta) -> ast.Pos | None:
    return ast.Pos(meta.line, meta.column) if not meta.empty else None


def _tok_pos(token: Token) -> ast.Pos:
    return ast.Pos(token.line, token.column)


@v_args(meta=True)
class _ToAst(Transformer):
    """Parse tree to `ast` nodes; one method per grammar rule (or alias)."""

    def __init__(self, file: str | None, text: str):
        super().__init__()
        self.file = file
        self.lines = text.splitlines()

    def _error(self, message: str, pos: ast.Pos) -> InputError:
        source = self.lines[pos.line - 1] if 0 < pos.line <= len(self.lines) else None
        return InputError(message, self.file, pos.line, pos.column, source)

    # ---- top level

    def start(self, meta, children):
        header = children[0] if children and isinstance(children[0], tuple) else None
        return header, [c for c in children if not isinstance(c, tuple)]

    def header(self, meta, children):
        name, description = children
        return str(name), description[1:-1].strip() if description else ""

    def param(self, meta, children):
        return ast.ParamD(str(children[0]), children[1], _pos(meta))

    def shared(self, meta, children):
        return ast.SharedD(str(children[0]), children[1], _pos(meta))

    def mutex(self, meta, children):
        return ast.SharedD(str(children[0]), ast.Num(0), _pos(meta))

    def object(self, meta, children):
        attrs = children[2] if len(children) > 2 else ()
        return ast.ObjectD(str(children[0]), children[1], attrs, _pos(meta))

    def attrs(self, meta, children):
        return tuple(c for c in children if c is not None)

    def attr(self, meta, children):
        return str(children[0]), children[1]

    def thread(self, meta, children):
        name, _star, copies, body = children
        return ast.ThreadD(str(name), body, copies, _pos(meta))

    def _condition(self, quantifier, meta, children):
        return ast.ConditionD(quantifier, children[-1], _pos(meta))

    def exists(self, meta, children):
        return self._condition("exists", meta, children)

    def not_exists(self, meta, children):
        return self._condition("~exists", meta, children)

    def forall(self, meta, children):
        return self._condition("forall", meta, children)

    # ---- statements

    def block(self, meta, children):
        return tuple(children)

    def load(self, meta, children):
        reg, order, loc = children
        return ast.LoadS(str(reg), loc, *self._orders(order, 1), pos=_pos(meta))

    def store(self, meta, children):
        order, loc, value = children
        return ast.StoreS(loc, value, *self._orders(order, 1), pos=_pos(meta))

    def rmw(self, meta, children):
        reg, op, order, loc, operand = children
        return ast.RmwS(None if reg is None else str(reg), op, loc, operand, *self._orders(order, 1), pos=_pos(meta))

    def rmw_discard(self, meta, children):
        return self.rmw(meta, [None, *children])

    def cas(self, meta, children):
        reg, order, loc, expected, desired = children
        return ast.CasS(
            None if reg is None else str(reg), loc, expected, desired, *self._orders(order, 2), pos=_pos(meta)
        )

    def cas_discard(self, meta, children):
        return self.cas(meta, [None, *children])

    def fence(self, meta, children):
        return ast.FenceS(*self._orders(children[0], 1), pos=_pos(meta))

    def lock(self, meta, children):
        return ast.LockS(str(children[0]), False, _pos(meta))

    def unlock(self, meta, children):
        return ast.LockS(str(children[0]), True, _pos(meta))

    def assign(self, meta, children):
        return ast.AssignS(str(children[0]), children[1], _pos(meta))

    def if_(self, meta, children):
        cond, then, *rest = children
        orelse = () if not rest else rest[0] if isinstance(rest[0], tuple) else (rest[0],)
        return ast.IfS(cond, then, orelse, _pos(meta))

    def repeat(self, meta, children):
        return ast.RepeatS(children[0], children[1], _pos(meta))

    def while_(self, meta, children):
        return ast.WhileS(children[0], children[1], children[2], _pos(meta))

    def await_(self, meta, children):
        order, cond = children
        return ast.AwaitS(cond, *self._orders(order, 1), pos=_pos(meta))

    def assert_(self, meta, children):
        return ast.AssertS(children[0], _pos(meta))

    def objop(self, meta, children):
        return ast.ObjS(children[0], str(children[1]), _pos(meta))

    def objop_kind(self, meta, children):
        return str(children[0])

    def rmw_op(self, meta, children):
        return str(children[0])

    def order(self, meta, children):
        return tuple(c for c in children if c is not None)

    def _orders(self, order, slots: int) -> tuple:
        """The written orders padded with None (the default); too many is an error."""
        written = order or ()
        if len(written) > slots:
            raise self._error(f"one memory order expected here, got .{'.'.join(written)}", _tok_pos(written[slots]))
        return tuple(str(w) for w in written) + (None,) * (slots - len(written))

    def loc(self, meta, children):
        return ".".join(str(c) for c in children if c is not None)

    # ---- expressions

    def number(self, meta, children):
        token = children[0]
        if len(token) > MAX_DIGITS:
            raise self._error(f"number {token[:12]}... is too large (at most {MAX_DIGITS} digits)", _tok_pos(token))
        value = int(token, 16) if token[:2].lower() == "0x" else int(token, 10)  # `010` is ten, as in herd7
        if value >= 2**63:
            raise self._error(f"number {token} does not fit in 64 bits", _tok_pos(token))
        return ast.Num(value, _tok_pos(token))

    def name(self, meta, children):
        return ast.Name(str(children[0]), _pos(meta))

    def field(self, meta, children):
        return ast.Name(f"{children[0]}.{children[1]}", _pos(meta))

    def thread_reg(self, meta, children):
        return ast.ThreadReg(str(children[0]), str(children[1]), _pos(meta))

    def binop(self, meta, children):
        left, op, right = children
        return ast.Bin(_OPS.get(str(op), str(op)), left, right, _pos(meta))

    def herd_eq(self, meta, children):
        return ast.Bin("=", children[0], children[1], _pos(meta))

    def implies(self, meta, children):
        return ast.Bin("=>", children[0], children[1], _pos(meta))

    def unop(self, meta, children):
        op, operand = children
        return ast.Un(_OPS.get(str(op), str(op)), operand, _pos(meta))
