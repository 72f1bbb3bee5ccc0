"""The scenario tree back to `.inc` text: a scenario built in Python can be saved, shared
and run from the command line, and parsing the text gives the same tree again (a
property test checks it)."""

from __future__ import annotations

from incref.frontends.scenario import ast
from incref.frontends.scenario.ast import to_text

_INDENT = "  "


def format_scenario(scenario: ast.Scenario) -> str:
    """`.inc` text for `scenario`, one declaration or statement a line."""
    description = f' "{scenario.description}"' if scenario.description else ""
    lines = [f"scenario {scenario.name}{description}"]
    for decl in scenario.decls:
        lines.extend(_decl(decl))
    return "\n".join(lines) + "\n"


def _decl(decl: ast.Decl) -> list[str]:
    if isinstance(decl, ast.ParamD):
        return [f"param {decl.name} = {to_text(decl.default)}"]
    if isinstance(decl, ast.SharedD):
        return [f"shared {decl.name} = {to_text(decl.value)}"]
    if isinstance(decl, ast.ObjectD):
        attrs = ", ".join(f"{key}={to_text(value)}" for key, value in decl.attrs)
        return [f"object {decl.name} = {to_text(decl.count)}" + (f" ({attrs})" if attrs else "")]
    if isinstance(decl, ast.ThreadD):
        copies = "" if decl.copies is None else f" * {to_text(decl.copies)}"
        return [f"thread {decl.name}{copies} {{", *_block(decl.body, 1), "}"]
    return [f"{decl.quantifier} {to_text(decl.cond)}"]


def _block(stmts: tuple[ast.Stmt, ...], depth: int) -> list[str]:
    lines: list[str] = []
    for stmt in stmts:
        head, bodies = _stmt(stmt)
        pad = _INDENT * depth
        if not bodies:
            lines.append(pad + head)
            continue
        for i, (opener, body) in enumerate(bodies):
            lines.append(pad + (head if i == 0 else "} " + opener) + " {")
            lines.extend(_block(body, depth + 1))
        lines.append(pad + "}")
    return lines


def _order(*orders: str | None) -> str:
    return "".join(f".{o}" for o in orders if o is not None)


def _target(reg: str | None) -> str:
    return "" if reg is None else f"{reg} = "


def _stmt(stmt: ast.Stmt) -> tuple[str, list[tuple[str, tuple[ast.Stmt, ...]]]]:
    """The statement's first line and, for a compound statement, its blocks (each with
    the word that opens it after the first)."""
    if isinstance(stmt, ast.LoadS):
        return f"{stmt.reg} = load{_order(stmt.order)} {stmt.loc}", []
    if isinstance(stmt, ast.StoreS):
        return f"store{_order(stmt.order)} {stmt.loc} = {to_text(stmt.value)}", []
    if isinstance(stmt, ast.RmwS):
        return f"{_target(stmt.reg)}{stmt.op}{_order(stmt.order)} {stmt.loc}, {to_text(stmt.operand)}", []
    if isinstance(stmt, ast.CasS):
        # a failure order needs the success order before it; `sc` is the default one
        success = stmt.order if stmt.order is not None or stmt.fail_order is None else "sc"
        orders = _order(success, stmt.fail_order)
        return (f"{_target(stmt.reg)}cas{orders} {stmt.loc}, {to_text(stmt.expected)} -> {to_text(stmt.desired)}"), []
    if isinstance(stmt, ast.FenceS):
        return f"fence{_order(stmt.order)}", []
    if isinstance(stmt, ast.LockS):
        return f"{'unlock' if stmt.release else 'lock'} {stmt.mutex}", []
    if isinstance(stmt, ast.AssignS):
        return f"{stmt.reg} = {to_text(stmt.value)}", []
    if isinstance(stmt, ast.IfS):
        bodies = [("", stmt.then)] + ([("else", stmt.orelse)] if stmt.orelse else [])
        return f"if {to_text(stmt.cond)}", bodies
    if isinstance(stmt, ast.RepeatS):
        return f"repeat {to_text(stmt.count)}", [("", stmt.body)]
    if isinstance(stmt, ast.WhileS):
        return f"while {to_text(stmt.cond)} max {to_text(stmt.bound)}", [("", stmt.body)]
    if isinstance(stmt, ast.AwaitS):
        return f"await{_order(stmt.order)} {to_text(stmt.cond)}", []
    if isinstance(stmt, ast.AssertS):
        return f"assert {to_text(stmt.cond)}", []
    return f"{stmt.kind} {stmt.obj}", []
