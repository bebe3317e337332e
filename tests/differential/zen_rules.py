"""The non-temporal rules of a bundle, written in the expression language of GoRules ZEN.

The translation walks the typed AST (``chronolex.lang.nodes``), so it follows whatever the
policy files say instead of a hand-written copy of them. It never calls chronolex's
evaluators: what ZEN computes from it is an independent second opinion.

ZEN has ``null`` but not Kleene's three-valued logic: ``null < 5`` and ``not null`` are
errors and ``null in [...]`` is false. So every boolean node becomes two ordinary
two-valued ZEN expressions, "certainly true" (``holds``) and "certainly false"
(``fails``); a node for which neither holds is unknown. This encodes docs/policy-format.md
exactly: ``a and b`` holds when both hold and fails when either fails, ``not a`` swaps
the two, and a comparison holds or fails only when its operands are known (a known
check guards every read of a fact that may be null; ZEN's ``and`` does not evaluate its
right side once the left is false). A rule's outcome is then decided in ZEN too,
``on_unknown`` included.

Anything this module cannot translate faithfully (``now``, dates, division, functions
other than ``is_unknown``/``is_known``/``coalesce``) raises :class:`Untranslatable`
naming the rule, so a new kind of condition in the shipped bundle fails the
differential test loudly instead of being skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from chronolex.lang import nodes as n
from chronolex.model import Bundle, Rule, Version

RESTRICTS, CLEAR, UNDETERMINED = "restricts", "clear", "undetermined"

#: What a rule whose outcome is unknown becomes, by its ``on_unknown``.
ON_UNKNOWN = {"block": RESTRICTS, "allow": CLEAR, "undetermined": UNDETERMINED}

_ORDERED_TYPES = ("int", "decimal", "bool", "string", "enum")


class Untranslatable(Exception):
    """A condition uses something the ZEN translation does not model."""


@dataclass(frozen=True, slots=True)
class Truth:
    """A boolean node as two ZEN expressions: when it is certainly true, certainly false."""

    holds: str
    fails: str

    @property
    def known(self) -> str:
        return f"({self.holds} or {self.fails})"


@dataclass(frozen=True, slots=True)
class Value:
    """A non-boolean node: its ZEN text, and a ZEN test for "it has a value" (None: always)."""

    text: str
    known: str | None = None


TRUE = Truth("true", "false")
FALSE = Truth("false", "true")


def is_timeless(rule: Rule) -> bool:
    """Whether time alone cannot switch ``rule`` on or off (no active, window or schedule)."""
    return rule.active is None and rule.window is None and rule.schedule is None


def timeless_rules(version: Version, action: str) -> tuple[Rule, ...]:
    """The rules of ``version`` on ``action`` that the translation covers, by id."""
    return tuple(sorted((r for r in version.rules if action in r.actions and is_timeless(r)), key=lambda r: r.id))


def translate_bundle(bundle: Bundle) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """For each (version id, action) with timeless rules: each rule's id and ZEN outcome expression."""
    translated: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for version in bundle.versions:
        for action in bundle.actions:
            rules = timeless_rules(version, action)
            if rules:
                translated[(version.id, action)] = tuple((r.id, outcome_expression(r)) for r in rules)
    return translated


def outcome_expression(rule: Rule) -> str:
    """A ZEN expression giving ``"restricts"``, ``"clear"`` or ``"undetermined"`` for ``rule``:
    it restricts while ``when`` holds and ``unless`` fails (docs/policy-format.md)."""
    try:
        when = truth(rule.when.ast) if rule.when is not None else TRUE
        unless = truth(rule.unless.ast) if rule.unless is not None else FALSE
    except Untranslatable as exc:
        raise Untranslatable(f"rule {rule.id}: {exc}") from None
    unknown = ON_UNKNOWN[rule.on_unknown]
    restricts = when.holds if rule.unless is None else f"({when.holds} and {unless.fails})"
    clear = when.fails if rule.unless is None else f"({when.fails} or {unless.holds})"
    return f'{restricts} ? "{RESTRICTS}" : ({clear} ? "{CLEAR}" : "{unknown}")'


def truth(node: n.Expr) -> Truth:
    """The boolean ``node`` as (certainly true, certainly false) ZEN expressions."""
    if isinstance(node, n.Literal) and node.kind == "bool":
        return TRUE if node.value else FALSE
    if isinstance(node, n.Name):
        _require_type(node)
        return Truth(f"({node.name} == true)", f"({node.name} == false)")
    if isinstance(node, n.Unary) and node.op == "not":
        inner = truth(node.operand)
        return Truth(inner.fails, inner.holds)
    if isinstance(node, n.BoolOp):
        parts = [truth(o) for o in node.operands]
        every_holds = "(" + " and ".join(p.holds for p in parts) + ")"
        any_holds = "(" + " or ".join(p.holds for p in parts) + ")"
        every_fails = "(" + " and ".join(p.fails for p in parts) + ")"
        any_fails = "(" + " or ".join(p.fails for p in parts) + ")"
        return Truth(every_holds, any_fails) if node.op == "and" else Truth(any_holds, every_fails)
    if isinstance(node, n.Compare):
        return _compare(node)
    if isinstance(node, n.Call) and node.func in ("is_unknown", "is_known"):
        known = _known_text(node.args[0])
        if node.func == "is_known":
            return Truth(known, f"(not {known})")
        return Truth(f"(not {known})", known)
    raise Untranslatable(f"no ZEN translation for the boolean node {_describe(node)}")


def _compare(node: n.Compare) -> Truth:
    left = value(node.left)
    if node.op in ("in", "not in"):
        if not isinstance(node.right, n.ListExpr) or not all(isinstance(i, n.Literal) for i in node.right.items):
            raise Untranslatable("'in' needs a list of literals on its right")
        items = ", ".join(value(i).text for i in node.right.items)
        test = f"({left.text} in [{items}])"
        known = left.known
        holds, fails = (test, f"(not {test})") if node.op == "in" else (f"(not {test})", test)
    else:
        right = value(node.right)
        test = f"({left.text} {node.op} {right.text})"
        known = _both(left.known, right.known)
        holds, fails = test, f"(not {test})"
    if known is None:
        return Truth(holds, fails)
    return Truth(f"({known} and {holds})", f"({known} and {fails})")


def value(node: n.Expr) -> Value:
    """A non-boolean (or boolean fact) operand as ZEN text with its known test."""
    if isinstance(node, n.Literal):
        return Value(_literal(node))
    if isinstance(node, n.Name):
        _require_type(node)
        return Value(node.name, f"({node.name} != null)")
    if isinstance(node, n.Unary) and node.op == "-":
        inner = value(node.operand)
        return Value(f"(-{inner.text})", inner.known)
    if isinstance(node, n.Binary) and node.op in ("+", "-", "*"):
        left, right = value(node.left), value(node.right)
        return Value(f"({left.text} {node.op} {right.text})", _both(left.known, right.known))
    if isinstance(node, n.Call) and node.func == "coalesce":
        first, fallback = value(node.args[0]), value(node.args[1])
        if first.known is None:
            return first
        either = fallback.known and f"({first.known} or {fallback.known})"
        return Value(f"({first.known} ? {first.text} : {fallback.text})", either)
    raise Untranslatable(f"no ZEN translation for the operand {_describe(node)}")


def _known_text(node: n.Expr) -> str:
    if node.type is not None and node.type.name == "bool" and not isinstance(node, n.Name):
        return truth(node).known
    return value(node).known or "true"


def _both(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return f"({a} and {b})"


def _require_type(node: n.Name) -> None:
    if node.type is None or node.type.name not in _ORDERED_TYPES:
        raise Untranslatable(f"fact {node.name} of type {node.type} (only {', '.join(_ORDERED_TYPES)})")


def _literal(node: n.Literal) -> str:
    if node.kind == "bool":
        return "true" if node.value else "false"
    if node.kind in ("int", "decimal"):
        number = node.value
        assert isinstance(number, (int, Decimal))
        text = format(number, "f") if isinstance(number, Decimal) else str(number)
        return f"({text})" if text.startswith("-") else text
    if node.kind == "string":
        text = str(node.value)
        for quote in ('"', "'"):
            if quote not in text and "\\" not in text:
                return f"{quote}{text}{quote}"
        raise Untranslatable(f"string literal {text!r} has both quotes or a backslash")
    raise Untranslatable(f"literal of kind {node.kind}")


def _describe(node: n.Expr) -> str:
    detail = getattr(node, "op", None) or getattr(node, "func", None)
    return type(node).__name__ + (f" {detail!r}" if detail else "")


def zen_context(values: Mapping[str, object]) -> str:
    """A fact set as the JSON text ZEN reads: decimals written out in full, so ZEN's own
    decimal numbers see exactly the value chronolex sees (a float would round 4999.9999…
    to 5000), an unknown fact as ``null``."""
    return "{" + ", ".join(f"{_json_string(k)}: {_json_value(v)}" for k, v in sorted(values.items())) + "}"


def _json_value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return _json_string(value.isoformat())
    if isinstance(value, str):
        return _json_string(value)
    raise TypeError(f"no JSON form for {value!r}")


_json_string = json.JSONEncoder(ensure_ascii=False).encode
