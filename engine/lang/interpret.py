"""The reference interpreter: a plain recursive walk over the typed AST.

It is deliberately simple and slow. The compiled evaluator must agree with it on
every tree and every set of fact values (a property test checks this), and the
explainer uses it to evaluate sub-expressions one by one.
"""

from __future__ import annotations

from engine.errors import EvaluationError
from engine.lang import nodes as n
from engine.lang.functions import FUNCTIONS
from engine.lang.values import UNKNOWN, Context, arithmetic, compare, kleene_not, negate, truth


def interpret(node: n.Expr, ctx: Context) -> object:
    """The value of ``node`` in ``ctx``: a value, or UNKNOWN; raises EvaluationError on run-time faults."""
    if isinstance(node, n.Literal):
        return node.value
    if isinstance(node, n.Now):
        return ctx.now
    if isinstance(node, n.Name):
        return ctx.facts.get(node.name, UNKNOWN)
    if isinstance(node, n.ListExpr):
        return tuple(interpret(i, ctx) for i in node.items)
    if isinstance(node, n.Unary):
        value = interpret(node.operand, ctx)
        return kleene_not(value) if node.op == "not" else negate(value)
    if isinstance(node, n.Binary):
        return arithmetic(node.op, interpret(node.left, ctx), interpret(node.right, ctx), ctx.zone)
    if isinstance(node, n.Compare):
        return compare(node.op, interpret(node.left, ctx), interpret(node.right, ctx), ctx.zone)
    if isinstance(node, n.BoolOp):
        decisive = node.op == "or"
        unknown = False
        for operand in node.operands:
            value = truth(interpret(operand, ctx))
            if value is UNKNOWN:
                unknown = True
            elif value == decisive:
                return decisive
        return UNKNOWN if unknown else not decisive
    if isinstance(node, n.Call):
        function = FUNCTIONS[node.func]
        if function.literal_arg is not None:
            assert isinstance(node.args[0], n.Literal)
            return function.impl(ctx.zone, [function.literal_arg(str(node.args[0].value))])
        args = [interpret(a, ctx) for a in node.args]
        if not function.handles_unknown and any(a is UNKNOWN for a in args):
            return UNKNOWN
        return function.impl(ctx.zone, args)
    raise EvaluationError(f"cannot evaluate {type(node).__name__}")
