"""Typed AST to a Python closure: the last pass, producing what evaluation runs.

Each node becomes a small closure over its children's closures, specialised by
operator at compile time, so evaluation does no dispatch on node types and never
re-reads the tree. Nothing is ``eval``-ed: the closures are ordinary functions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any
from datetime import tzinfo

from chronolex.errors import EvaluationError
from chronolex.lang import nodes as n
from chronolex.lang.functions import FUNCTIONS
from chronolex.lang.values import UNKNOWN, Context, arithmetic, compare, kleene_not, minus, truth

Closure = Callable[[Context], object]


def compile_expr(node: n.Expr) -> Closure:
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
            if _is_bool(node.operand):
                def evaluate_not(ctx: Context) -> object:
                    value = operand(ctx)
                    return value if value is UNKNOWN else not value

                return evaluate_not
            return lambda ctx: kleene_not(operand(ctx))
        return lambda ctx: minus(operand(ctx))
    if isinstance(node, n.Binary):
        return _binary(node.op, compile_expr(node.left), compile_expr(node.right))
    if isinstance(node, n.Compare):
        fast = _plain_compare(node)
        if fast is not None:
            return fast
        return _compare(node.op, compile_expr(node.left), compile_expr(node.right))
    if isinstance(node, n.BoolOp):
        operands = tuple(compile_expr(o) for o in node.operands)
        if len(operands) == 2 and all(_is_bool(o) for o in node.operands):
            return _bool_op_2(node.op, *operands)
        return _bool_op(node.op, operands)
    if isinstance(node, n.Call):
        return _call(node)
    raise EvaluationError(f"cannot compile {type(node).__name__}")


_PLAIN_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _is_bool(node: n.Expr) -> bool:
    """Statically true/false/unknown: no run-time check of the operand's kind is needed."""
    return node.type is not None and node.type.name == "bool"


def _plain(node: n.Expr) -> bool:
    """A value whose comparisons need no date alignment and no bool/int care: a number,
    a string or enum value, compared with its own kind."""
    return node.type is not None and (node.type.is_numeric or node.type.is_textual)


def _plain_compare(node: n.Compare) -> Closure | None:
    """A comparison of a fact with a literal (or two facts) of plain kinds, specialised:
    the checker has already made sure the operands fit, so only unknown needs care."""
    op = _PLAIN_OPS.get(node.op)
    if op is None or not (_plain(node.left) and _plain(node.right)):
        return None
    if node.left.type is not None and node.right.type is not None and (
        node.left.type.is_numeric != node.right.type.is_numeric
    ):
        return None
    left, right = node.left, node.right
    if isinstance(left, n.Name) and isinstance(right, n.Literal):
        name, constant = left.name, right.value

        def fact_vs_literal(ctx: Context) -> object:
            value = ctx.facts.get(name, UNKNOWN)
            return UNKNOWN if value is UNKNOWN else op(value, constant)

        return fact_vs_literal
    first, second = compile_expr(left), compile_expr(right)

    def plain(ctx: Context) -> object:
        a = first(ctx)
        b = second(ctx)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        return op(a, b)

    return plain


def _bool_op_2(op: str, first: Closure, second: Closure) -> Closure:
    """``a and b`` / ``a or b`` on operands known to be true, false or unknown."""
    decisive = op == "or"  # true settles "or", false settles "and"

    def evaluate(ctx: Context) -> object:
        a = first(ctx)
        if a is decisive:
            return decisive
        b = second(ctx)
        if b is decisive:
            return decisive
        return UNKNOWN if a is UNKNOWN or b is UNKNOWN else not decisive

    return evaluate


def _binary(op: str, left: Closure, right: Closure) -> Closure:
    def evaluate(ctx: Context) -> object:
        return arithmetic(op, left(ctx), right(ctx), ctx.zone)

    return evaluate


def _compare(op: str, left: Closure, right: Closure) -> Closure:
    def evaluate(ctx: Context) -> object:
        return compare(op, left(ctx), right(ctx), ctx.zone)

    return evaluate


def _bool_op(op: str, operands: tuple[Closure, ...]) -> Closure:
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


def _call(node: n.Call) -> Closure:
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
