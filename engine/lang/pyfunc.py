"""Python functions built from ``ast`` trees, for the compiled fast paths.

The tree is compiled as a module holding one function definition; the function's code
object is taken from the module's constants and bound to a namespace the caller gives
(with no builtins). Nothing is ``eval``-ed or ``exec``-ed, and the generated code can
reach only what that namespace holds.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Mapping
from typing import Any

_LOAD = ast.Load()


def read_facts(names: Mapping[str, str], unwrap: bool) -> list[ast.stmt]:
    """``local = facts[name].value`` (``unwrap``: derived facts) or
    ``local = facts.get(name, U)`` (plain values) for each fact and its local name."""
    facts = ast.Name("facts", _LOAD)
    made: list[ast.stmt] = []
    for fact, local in names.items():
        if unwrap:
            read: ast.expr = ast.Attribute(ast.Subscript(facts, ast.Constant(fact), _LOAD), "value", _LOAD)
        else:
            read = ast.Call(ast.Attribute(facts, "get", _LOAD), [ast.Constant(fact), ast.Name("U", _LOAD)], [])
        made.append(ast.Assign([ast.Name(local, ast.Store())], read))
    return made


def make_function(body: list[ast.stmt], namespace: dict[str, object], label: str) -> Callable[[Any], Any]:
    """``def fast_rules(facts): <body>`` as a function whose globals are ``namespace``."""
    namespace.setdefault("__builtins__", {})
    function = ast.FunctionDef(
        name="fast_rules",
        args=ast.arguments(posonlyargs=[], args=[ast.arg("facts")], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=body, decorator_list=[], returns=None,
    )
    module = ast.fix_missing_locations(ast.Module([function], type_ignores=[]))
    code = compile(module, label, "exec")
    function_code = next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == "fast_rules")
    made: Callable[[Any], Any] = types.FunctionType(function_code, namespace, "fast_rules")
    return made
