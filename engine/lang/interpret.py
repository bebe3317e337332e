"""The reference interpreter: a plain recursive walk over the typed AST.

It is deliberately simple and slow. The compiled evaluator must agree with it on
every tree and every set of fact values (a property test checks this). Explanations
run it with a tracer (:mod:`chronolex.lang.trace`) to find the part of a condition that
decided (:func:`deciding_part`); decisions themselves never pay for that.

>>> from chronolex.lang import compile_condition
>>> from chronolex.lang.render import render
>>> from chronolex.lang.types import INT
>>> c = compile_condition("score < 600 or overdue > 30", {"score": INT, "overdue": INT})
>>> render(deciding_part(c.ast, Context({"score": 580, "overdue": 0}, None, None)))  # type: ignore[arg-type]
'score < 600'
"""

from __future__ import annotations

from chronolex.errors import EvaluationError
from chronolex.lang import nodes as n
from chronolex.lang.functions import FUNCTIONS
from chronolex.lang.trace import RecordingTracer, TraceEvent, TraceOp, Tracer, filter_deciding
from chronolex.lang.values import UNKNOWN, Context, arithmetic, compare, kleene_not, minus, truth

#: What a condition may raise at run time besides EvaluationError (all are reported as faults).
_FAULTS = (EvaluationError, ArithmeticError, ValueError, TypeError, OverflowError)


def interpret(node: n.Expr, ctx: Context, tracer: Tracer | None = None) -> object:
    """The value of ``node`` in ``ctx``: a value, or UNKNOWN; raises EvaluationError on run-time faults.

    With a ``tracer``, every node evaluated is reported to it with its value."""
    value = _value(node, ctx, tracer)
    if tracer is not None and tracer.enabled:
        tracer.emit(TraceEvent(TraceOp.EVAL, node, value))
    return value


def deciding_part(node: n.Expr, ctx: Context) -> n.Expr:
    """The part of ``node`` that decided its value in ``ctx`` (the whole node when it
    cannot be evaluated: a fault is explained by the whole condition)."""
    tracer = RecordingTracer()
    try:
        interpret(node, ctx, tracer)
    except _FAULTS:
        return node
    return filter_deciding(node, tracer)


def _value(node: n.Expr, ctx: Context, tracer: Tracer | None) -> object:
    if isinstance(node, n.Literal):
        return node.value
    if isinstance(node, n.Now):
        return ctx.now
    if isinstance(node, n.Name):
        return ctx.facts.get(node.name, UNKNOWN)
    if isinstance(node, n.ListExpr):
        return tuple(interpret(i, ctx, tracer) for i in node.items)
    if isinstance(node, n.Unary):
        value = interpret(node.operand, ctx, tracer)
        return kleene_not(value) if node.op == "not" else minus(value)
    if isinstance(node, n.Binary):
        return arithmetic(node.op, interpret(node.left, ctx, tracer), interpret(node.right, ctx, tracer), ctx.zone)
    if isinstance(node, n.Compare):
        return compare(node.op, interpret(node.left, ctx, tracer), interpret(node.right, ctx, tracer), ctx.zone)
    if isinstance(node, n.BoolOp):
        decisive = node.op == "or"
        unknown = False
        for operand in node.operands:
            value = truth(interpret(operand, ctx, tracer))
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
        args = [interpret(a, ctx, tracer) for a in node.args]
        if not function.handles_unknown and any(a is UNKNOWN for a in args):
            return UNKNOWN
        return function.impl(ctx.zone, args)
    raise EvaluationError(f"cannot evaluate {type(node).__name__}")
