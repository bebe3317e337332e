"""The typed AST of the condition language: the hub every later pass works from.

Nodes are frozen dataclasses. ``loc`` (character offsets into the condition text) and
``type`` (set by the checker) do not take part in equality, so two parses of the same
text are equal wherever they were written, and a rendered-then-parsed tree equals the
original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from chronolex.lang.types import Type

Loc = tuple[int, int]

BOOL_OPS = ("and", "or")
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
ARITH_OPS = ("+", "-", "*", "/")
UNARY_OPS = ("not", "-")


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant. ``kind`` is int, decimal, string or bool (so True and 1 stay different)."""

    value: object
    kind: str
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A fact (or, in a ``where`` condition, a field of the event)."""

    name: str
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Now:
    """The evaluation instant."""

    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Expr
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Expr
    right: Expr
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str
    operands: tuple[Expr, ...]
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    loc: Loc | None = field(default=None, compare=False)
    type: Type | None = field(default=None, compare=False)


Expr = Union[Literal, Name, Now, ListExpr, Unary, Binary, Compare, BoolOp, Call]


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Call):
        return node.args
    return ()


def names(node: Expr) -> frozenset[str]:
    """Every fact (or field) name the expression reads."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.add(current.name)
        stack.extend(children(current))
    return frozenset(found)


def uses_now(node: Expr) -> bool:
    """Whether the expression reads ``now`` (its value can change with time alone)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Now):
            return True
        stack.extend(children(current))
    return False
