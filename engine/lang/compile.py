"""Typed AST to a Python closure: the last pass, producing what evaluation runs.

Each node becomes a small closure over its children's closures, specialised by
operator at compile time, so evaluation does no dispatch on node types and never
re-reads the tree. Nothing is ``eval``-ed: the closures are ordinary functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from engine.errors import EvaluationError
from engine.lang import nodes as n
from engine.lang.functions import FUNCTIONS
from engine.lang.values import UNKNOWN, Context, arithmetic, compare, kleene_not, negate, truth

Evaluator = Callable[[Context], object]


def compile_expr(node: n.Expr) -> Evaluator:
    """A function from a :class:`Context` to the value of ``node`` (UNKNOWN for unknown)."""
    if isinstance(node, n.Literal):
        value = node.value
        return lambda ctx: value
    if isinstance(node, n.Now):
        return lambda ctx: ctx.now
    if isinstance(node, n.Name):
        name = node.name
        return lambda ctx: ctx.facts.get(name, UNKNOWN)
    if isinstance(node, n.ListExpr):
        items = tuple(compile_expr(i) for i in node.items)
        if all(isinstance(i, n.Literal) for i in node.items):
            constant = tuple(i.value for i in node.items if isinstance(i, n.Literal))
            return lambda ctx: constant
        return lambda ctx: tuple(f(ctx) for f in items)
    if isinstance(node, n.Unary):
        operand = compile_expr(node.operand)
        if node.op == "not":
            return lambda ctx: kleene_not(operand(ctx))
        return lambda ctx: negate(operand(ctx))
    if isinstance(node, n.Binary):
        return _binary(node.op, compile_expr(node.left), compile_expr(node.right))
    if isinstance(node, n.Compare):
        return _compare(node.op, compile_expr(node.left), compile_expr(node.right))
    if isinstance(node, n.BoolOp):
        return _bool_op(node.op, tuple(compile_expr(o) for o in node.operands))
    if isinstance(node, n.Call):
        return _call(node)
    raise EvaluationError(f"cannot compile {type(node).__name__}")


def _binary(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(ctx: Context) -> object:
        return arithmetic(op, left(ctx), right(ctx), ctx.zone)

    return evaluate


def _compare(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(ctx: Context) -> object:
        return compare(op, left(ctx), right(ctx), ctx.zone)

    return evaluate


def _bool_op(op: str, operands: tuple[Evaluator, ...]) -> Evaluator:
    decisive = op == "or"  # the operand value that settles the result: true for or, false for and

    def evaluate(ctx: Context) -> object:
        unknown = False
        for operand in operands:
            value = truth(operand(ctx))
            if value is UNKNOWN:
                unknown = True
            elif value is decisive:
                return decisive
        return UNKNOWN if unknown else not decisive

    return evaluate


def _call(node: n.Call) -> Evaluator:
    function = FUNCTIONS[node.func]
    impl = function.impl
    if function.literal_arg is not None:
        assert isinstance(node.args[0], n.Literal)
        argument = function.literal_arg(str(node.args[0].value))
        cache: dict[tzinfo, object] = {}

        def evaluate_literal(ctx: Context) -> object:
            if ctx.zone not in cache:
                cache[ctx.zone] = impl(ctx.zone, [argument])
            return cache[ctx.zone]

        return evaluate_literal
    args = tuple(compile_expr(a) for a in node.args)
    if function.handles_unknown:
        return lambda ctx: impl(ctx.zone, [f(ctx) for f in args])

    def evaluate(ctx: Context) -> object:
        values = [f(ctx) for f in args]
        for value in values:
            if value is UNKNOWN:
                return UNKNOWN
        return impl(ctx.zone, values)

    return evaluate
