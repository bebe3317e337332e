"""AST to typed AST: the second pass. Every name is resolved against the fact catalog
and every operation checked against the types of its operands.

All problems in a condition are collected, not only the first; a node that failed
gets the ``error`` type so that one mistake is reported once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace

from chronolex.lang import nodes as n
from chronolex.lang import types as t
from chronolex.lang.functions import FUNCTIONS
from chronolex.lang.parse import Problem


class _Checker:
    def __init__(self, catalog: Mapping[str, t.Type], fields_are_any: bool, fields_of: str | None) -> None:
        self.catalog = catalog
        self.fields_are_any = fields_are_any
        self.fields_of = fields_of
        self.problems: list[Problem] = []

    def report(self, node: n.Expr, code: str, message: str, help: str | None = None) -> None:
        start, end = node.loc or (0, 0)
        self.problems.append(Problem(code, message, start, end, help))

    def visit(self, node: n.Expr) -> n.Expr:
        if isinstance(node, n.Literal):
            return replace(node, type=t.Type(node.kind))
        if isinstance(node, n.Now):
            return replace(node, type=t.DATETIME)
        if isinstance(node, n.Name):
            return self.name(node)
        if isinstance(node, n.ListExpr):
            return self.list_expr(node)
        if isinstance(node, n.Unary):
            return self.unary(node)
        if isinstance(node, n.Binary):
            return self.binary(node)
        if isinstance(node, n.Compare):
            return self.compare(node)
        if isinstance(node, n.BoolOp):
            operands = tuple(self.expect_bool(self.visit(o)) for o in node.operands)
            return replace(node, operands=operands, type=t.BOOL)
        return self.call(node)

    def name(self, node: n.Name) -> n.Expr:
        declared = self.catalog.get(node.name)
        if declared is not None:
            return replace(node, type=declared)
        if self.fields_are_any:
            return replace(node, type=t.ANY)
        close = difflib.get_close_matches(node.name, list(self.catalog), n=1, cutoff=0.7)
        if self.fields_of is not None:
            self.report(
                node,
                "unknown-event-field",
                f"event type '{self.fields_of}' has no field '{node.name}'",
                f"did you mean `{close[0]}`?" if close
                else f"declare it under events: {self.fields_of}: fields: in bundle.yaml",
            )
            return replace(node, type=t.ERROR)
        self.report(
            node,
            "unknown-fact",
            f"unknown fact '{node.name}'",
            f"did you mean `{close[0]}`?" if close else "declare it under facts: in bundle.yaml",
        )
        return replace(node, type=t.ERROR)

    def expect_bool(self, node: n.Expr) -> n.Expr:
        assert node.type is not None
        if node.type.name != "bool" and not node.type.is_open:
            self.report(node, "type-mismatch", f"expected a true/false condition, found {node.type}")
        return node

    def list_expr(self, node: n.ListExpr) -> n.Expr:
        items = tuple(self.visit(i) for i in node.items)
        item_type = t.ANY
        for item in items:
            assert item.type is not None
            if item.type.is_open:
                continue
            if item_type.is_open:
                item_type = item.type
            elif not t.comparable(item_type, item.type):
                self.report(item, "type-mismatch", f"list mixes {item_type} and {item.type}")
            elif item_type.name == "int" and item.type.name == "decimal":
                item_type = item.type
        return replace(node, items=items, type=t.list_of(item_type))

    def unary(self, node: n.Unary) -> n.Expr:
        operand = self.visit(node.operand)
        assert operand.type is not None
        if node.op == "not":
            return replace(node, operand=self.expect_bool(operand), type=t.BOOL)
        if not operand.type.is_numeric and not operand.type.is_open:
            self.report(node, "type-mismatch", f"cannot negate {operand.type}")
            return replace(node, operand=operand, type=t.ERROR)
        return replace(node, operand=operand, type=operand.type)

    def binary(self, node: n.Binary) -> n.Expr:
        left, right = self.visit(node.left), self.visit(node.right)
        lt, rt = left.type, right.type
        assert lt is not None and rt is not None
        result: t.Type = t.ERROR
        if lt.is_open or rt.is_open:
            result = t.ANY if t.ERROR not in (lt, rt) else t.ERROR
        elif lt.is_numeric and rt.is_numeric:
            if node.op == "/" or "decimal" in (lt.name, rt.name):
                result = t.DECIMAL
            else:
                result = t.INT
        elif lt.is_temporal and rt.name == "duration" and node.op in ("+", "-"):
            if lt.name == "date" and _has_time_part(right):
                self.report(node, "type-mismatch", "a date can only be shifted by days, weeks, months or years",
                            "compare with now, or use a duration without a time part")
            else:
                result = lt
        else:
            self.report(node, "type-mismatch", f"cannot apply '{node.op}' to {lt} and {rt}")
        return replace(node, left=left, right=right, type=result)

    def compare(self, node: n.Compare) -> n.Expr:
        left, right = self.visit(node.left), self.visit(node.right)
        lt, rt = left.type, right.type
        assert lt is not None and rt is not None
        if node.op in ("in", "not in"):
            if rt.name != "list" and not rt.is_open:
                self.report(right, "type-mismatch", f"'{node.op}' needs a list on its right, found {rt}",
                            'write x in ["a", "b"]')
            elif rt.name == "list" and rt.item is not None:
                if not t.comparable(lt, rt.item):
                    self.report(node, "type-mismatch", f"cannot look for {lt} in a list of {rt.item}")
                elif isinstance(right, n.ListExpr):
                    for item in right.items:
                        self.check_enum_value(lt, item)
        elif node.op in ("==", "!="):
            if not t.comparable(lt, rt):
                self.report(_culprit(node), "type-mismatch", f"cannot compare {lt} with {rt}")
            else:
                self.check_enum_value(lt, right)
                self.check_enum_value(rt, left)
        elif not t.orderable(lt, rt):
            self.report(_culprit(node), "type-mismatch", f"cannot order {lt} and {rt} with '{node.op}'",
                        "only numbers, dates and instants have an order")
        return replace(node, left=left, right=right, type=t.BOOL)

    def check_enum_value(self, declared: t.Type, other: n.Expr) -> None:
        if declared.name != "enum" or not isinstance(other, n.Literal) or other.kind != "string":
            return
        value = str(other.value)
        if value not in declared.values:
            close = difflib.get_close_matches(value, list(declared.values), n=1)
            self.report(
                other,
                "enum-value",
                f"{value!r} is not one of {', '.join(repr(v) for v in declared.values)}",
                f"did you mean {close[0]!r}?" if close else None,
            )

    def call(self, node: n.Call) -> n.Expr:
        function = FUNCTIONS[node.func]
        args = tuple(self.visit(a) for a in node.args)
        arg_types = [a.type or t.ERROR for a in args]
        if any(a.name == "error" for a in arg_types):
            return replace(node, args=args, type=t.ERROR)
        result = function.check(arg_types)
        if isinstance(result, str):
            self.report(node, "type-mismatch", f"{node.func}() {result}, found "
                        + ", ".join(str(a) for a in arg_types), function.signature)
            return replace(node, args=args, type=t.ERROR)
        return replace(node, args=args, type=result)


def _culprit(node: n.Compare) -> n.Expr:
    """The side of a mistyped comparison to point at: a literal facing a fact, else the whole comparison."""
    left_fixed = isinstance(node.left, (n.Name, n.Call, n.Now))
    right_fixed = isinstance(node.right, (n.Name, n.Call, n.Now))
    if left_fixed and isinstance(node.right, (n.Literal, n.ListExpr)):
        return node.right
    if right_fixed and isinstance(node.left, (n.Literal, n.ListExpr)):
        return node.left
    return node


def _has_time_part(node: n.Expr) -> bool:
    if isinstance(node, n.Call) and node.func == "duration" and isinstance(node.args[0], n.Literal):
        text = str(node.args[0].value)
        return "T" in text
    return False


def check(
    node: n.Expr,
    catalog: Mapping[str, t.Type],
    *,
    expect: t.Type | None = t.BOOL,
    fields_are_any: bool = False,
    fields_of: str | None = None,
) -> tuple[n.Expr, tuple[Problem, ...]]:
    """Type ``node`` against ``catalog``; return the typed tree and every problem found.

    ``expect`` is the type the whole expression must have (``bool`` for a condition,
    the declared type for an ``expr`` fact, None for no constraint). With
    ``fields_are_any`` (``where`` conditions of a bundle without an event catalog) unknown
    names are event fields of any type. With ``fields_of`` (the event type a ``where``
    reads), ``catalog`` holds that type's declared fields, and an unknown name is an
    undeclared field of it.
    """
    checker = _Checker(catalog, fields_are_any, fields_of)
    typed = checker.visit(node)
    assert typed.type is not None
    if expect is not None and not typed.type.is_open and not t.assignable(typed.type, expect):
        what = "a true/false condition" if expect == t.BOOL else f"a value of type {expect}"
        checker.report(typed, "type-mismatch", f"expected {what}, found {typed.type}")
    return typed, tuple(checker.problems)
