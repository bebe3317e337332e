"""Typed AST back to text, with the fewest parentheses that keep the same tree.

``parse(render(tree)) == tree`` for every tree the parser can produce; a property
test checks it. Rendering is what ``show`` prints for inherited rules and what
explanations quote.
"""

from __future__ import annotations

import json
from decimal import Decimal

from chronolex.lang import nodes as n

_ATOM = 8
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def _precedence(node: n.Expr) -> int:
    if isinstance(node, n.BoolOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, n.Unary):
        return _PRECEDENCE["not" if node.op == "not" else "neg"]
    if isinstance(node, n.Compare):
        return _PRECEDENCE["compare"]
    if isinstance(node, n.Binary):
        return _PRECEDENCE[node.op]
    return _ATOM


def render(node: n.Expr) -> str:
    """The text of ``node``.

    >>> from chronolex.lang.parse import parse
    >>> render(parse("(a  <  600)and(not b)"))
    'a < 600 and not b'
    """
    return _render(node, 0)


def _wrap(node: n.Expr, minimum: int) -> str:
    text = _render(node, minimum)
    return f"({text})" if _precedence(node) < minimum else text


def _render(node: n.Expr, minimum: int) -> str:
    if isinstance(node, n.Literal):
        return render_literal(node.value, node.kind)
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.Now):
        return "now"
    if isinstance(node, n.ListExpr):
        return "[" + ", ".join(_wrap(i, 0) for i in node.items) + "]"
    if isinstance(node, n.Call):
        return node.func + "(" + ", ".join(_wrap(a, 0) for a in node.args) + ")"
    if isinstance(node, n.BoolOp):
        p = _PRECEDENCE[node.op]
        return f" {node.op} ".join(_wrap(o, p + 1) for o in node.operands)
    if isinstance(node, n.Unary):
        if node.op == "not":
            return "not " + _wrap(node.operand, _PRECEDENCE["not"])
        return "-" + _wrap(node.operand, _PRECEDENCE["neg"])
    if isinstance(node, n.Compare):
        p = _PRECEDENCE["compare"]
        return f"{_wrap(node.left, p + 1)} {node.op} {_wrap(node.right, p + 1)}"
    p = _PRECEDENCE[node.op]
    return f"{_wrap(node.left, p)} {node.op} {_wrap(node.right, p + 1)}"


def render_literal(value: object, kind: str) -> str:
    """A literal as the condition language writes it."""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "string":
        return json.dumps(value, ensure_ascii=False)
    if kind == "decimal":
        assert isinstance(value, Decimal)
        text = str(value)
        return text if ("." in text or "E" in text) else text + ".0"
    return str(value)
