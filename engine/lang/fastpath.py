"""One Python function for all the timeless rules of a (version, action): the fast path.

When every fact a set of rules reads is known, Kleene logic is ordinary Boolean logic,
so the rules can run as one plain Python function: the typed ASTs are translated to a
Python ``ast`` tree, compiled to a code object and turned into a function. Nothing is
``eval``-ed or ``exec``-ed: the function's code object is taken from the compiled module
and bound to a namespace holding only the unknown marker, ``KeyError`` (a missing fact is
unknown), the decimal constants and the caller's result objects — no builtins.
Conditions with constructs the translation does not cover (calls, division, dates) and
rules bound to time stay on the closure path; so does every rule when a fact is unknown.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from decimal import Decimal

from engine.lang import nodes as n
from engine.lang.bitparallel import FastRules, Unsupported, compile_bitparallel
from engine.lang.pyfunc import make_function, read_facts
from engine.lang.values import UNKNOWN

_COMPARE = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
            "in": ast.In, "not in": ast.NotIn}
_ARITH = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult}

class _Unsupported(Exception):
    pass


class _Translator:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.constants: dict[str, object] = {}

    def local(self, fact: str) -> ast.expr:
        if fact not in self.names:
            self.names[fact] = f"v{len(self.names)}"
        return ast.Name(self.names[fact], ast.Load())

    def constant(self, value: object) -> ast.expr:
        if isinstance(value, (bool, int, str)):
            return ast.Constant(value)
        if isinstance(value, Decimal):
            name = f"k{len(self.constants)}"
            self.constants[name] = value
            return ast.Name(name, ast.Load())
        raise _Unsupported(type(value).__name__)

    def expr(self, node: n.Expr) -> ast.expr:
        kind = node.type.name if node.type is not None else "any"
        if kind in ("any", "error", "date", "datetime", "duration"):
            raise _Unsupported(kind)
        if isinstance(node, n.Literal):
            return self.constant(node.value)
        if isinstance(node, n.Name):
            return self.local(node.name)
        if isinstance(node, n.BoolOp):
            return ast.BoolOp(ast.And() if node.op == "and" else ast.Or(), [self.expr(o) for o in node.operands])
        if isinstance(node, n.Unary):
            op: ast.unaryop = ast.Not() if node.op == "not" else ast.USub()
            return ast.UnaryOp(op, self.expr(node.operand))
        if isinstance(node, n.Binary) and node.op in _ARITH:
            return ast.BinOp(self.expr(node.left), _ARITH[node.op](), self.expr(node.right))
        if isinstance(node, n.Compare):
            return self.compare(node)
        raise _Unsupported(type(node).__name__)

    def compare(self, node: n.Compare) -> ast.expr:
        left, right = node.left.type, node.right.type
        if left is None or right is None:
            raise _Unsupported("untyped")
        if node.op in ("in", "not in"):
            if not isinstance(node.right, n.ListExpr) or not all(isinstance(i, n.Literal) for i in node.right.items):
                raise _Unsupported("in")
            if left.name == "bool" or any(isinstance(i, n.Literal) and i.kind == "bool" for i in node.right.items):
                raise _Unsupported("bool in list")
            items = ast.Tuple([self.constant(i.value) for i in node.right.items if isinstance(i, n.Literal)],
                              ast.Load())
            return ast.Compare(self.expr(node.left), [_COMPARE[node.op]()], [items])
        plain = (left.is_numeric and right.is_numeric) or (left.is_textual and right.is_textual) or (
            node.op in ("==", "!=") and left.name == right.name == "bool")
        if not plain:
            raise _Unsupported("compare")
        return ast.Compare(self.expr(node.left), [_COMPARE[node.op]()], [self.expr(node.right)])


def compile_rules(
    conditions: Sequence[tuple[n.Expr | None, n.Expr | None]], *, unwrap: bool = False,
    results: Sequence[object] | None = None, tables: bool = True,
) -> tuple[FastRules | None, list[int]]:
    """A function of the fact values returning, for the rules that restrict, their
    ``results[i]`` (default: the index i into ``conditions``), in order — or None when a
    fact they read is unknown; and the indexes it covers.

    ``conditions[i]`` is rule i's typed ``when`` and ``unless`` (None: absent). With
    ``unwrap`` the function takes fact objects with a ``.value`` (derived facts) instead
    of plain values, so the caller need not build a dict of values first. Returning the
    caller's own result objects spares it a lookup per restricting rule.

    With ``tables`` (the default) a rule set whose every condition compares facts with
    constants becomes region tables read by a few whole-integer operations
    (:mod:`engine.lang.bitparallel`), which then returns a tuple; otherwise, or when a
    condition is outside that subset, each rule is one ``if`` statement.
    """
    if tables and conditions:
        translator = _Translator()
        try:
            tabled = compile_bitparallel(conditions, translator.expr, translator.names, translator.constants,
                                         unwrap=unwrap, results=results if results is not None else range(len(conditions)))
            return tabled, list(range(len(conditions)))
        except (Unsupported, _Unsupported):
            pass
    translator = _Translator()
    tests: list[tuple[int, ast.expr]] = []
    for index, (when, unless) in enumerate(conditions):
        try:
            parts: list[ast.expr] = []
            if when is not None:
                parts.append(translator.expr(when))
            if unless is not None:
                parts.append(ast.UnaryOp(ast.Not(), translator.expr(unless)))
        except _Unsupported:
            continue
        test = parts[0] if len(parts) == 1 else ast.BoolOp(ast.And(), parts) if parts else ast.Constant(True)
        tests.append((index, test))
    if not tests:
        return None, []
    body: list[ast.stmt] = []
    reads = read_facts(translator.names, unwrap)
    if unwrap and reads:  # a missing fact is unknown, so the closures decide
        body.append(ast.Try(reads, [ast.ExceptHandler(ast.Name("KeyError", ast.Load()), None,
                                                      [ast.Return(ast.Constant(None))])], [], []))
    else:
        body += reads
    if translator.names:
        unknown = ast.BoolOp(ast.Or(), [ast.Compare(ast.Name(local, ast.Load()), [ast.Is()],
                                                    [ast.Name("U", ast.Load())])
                                        for local in translator.names.values()]) \
            if len(translator.names) > 1 else ast.Compare(ast.Name(next(iter(translator.names.values())), ast.Load()),
                                                          [ast.Is()], [ast.Name("U", ast.Load())])
        body.append(ast.If(unknown, [ast.Return(ast.Constant(None))], []))
    body.append(ast.Assign([ast.Name("fired", ast.Store())], ast.List([], ast.Load())))
    body.append(ast.Assign([ast.Name("add", ast.Store())],
                           ast.Attribute(ast.Name("fired", ast.Load()), "append", ast.Load())))
    result_names: dict[str, object] = {}
    for index, test in tests:
        if results is None:
            item: ast.expr = ast.Constant(index)
        else:
            name = f"r{index}"
            result_names[name] = results[index]
            item = ast.Name(name, ast.Load())
        body.append(ast.If(test, [ast.Expr(ast.Call(ast.Name("add", ast.Load()), [item], []))], []))
    body.append(ast.Return(ast.Name("fired", ast.Load())))
    namespace: dict[str, object] = {"U": UNKNOWN, "KeyError": KeyError}
    namespace.update(translator.constants)
    namespace.update(result_names)
    made: FastRules = make_function(body, namespace, "<chronolex rules>")
    return made, [index for index, _ in tests]
