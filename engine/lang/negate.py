"""The negation of a condition, written the way a person would: ``credit_score < 600``
becomes ``credit_score >= 600``, ``a and b`` becomes ``not a or not b`` pushed inward.

Used for ``lifts.when``: the condition under which a fact-bound block lifts. Under
Kleene logic ``not`` and these rewrites agree on true and false; an unknown stays
unknown either way.
"""

from __future__ import annotations

from chronolex.lang import nodes as n

_FLIP = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in", "not in": "in"}


def negate(node: n.Expr) -> n.Expr:
    """An expression true exactly when ``node`` is false (and unknown when it is unknown)."""
    if isinstance(node, n.Unary) and node.op == "not":
        return node.operand
    if isinstance(node, n.Compare):
        return n.Compare(_FLIP[node.op], node.left, node.right, node.loc, node.type)
    if isinstance(node, n.BoolOp):
        flipped = "or" if node.op == "and" else "and"
        return n.BoolOp(flipped, tuple(negate(o) for o in node.operands), node.loc, node.type)
    if isinstance(node, n.Literal) and node.kind == "bool":
        return n.Literal(not node.value, "bool", node.loc, node.type)
    return n.Unary("not", node, node.loc, node.type)


def lift_condition(when: n.Expr | None, unless: n.Expr | None) -> n.Expr | None:
    """The condition under which a rule with ``when``/``unless`` stops restricting."""
    parts: list[n.Expr] = []
    if when is not None:
        parts.append(negate(when))
    if unless is not None:
        parts.append(unless)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else n.BoolOp("or", tuple(parts))
