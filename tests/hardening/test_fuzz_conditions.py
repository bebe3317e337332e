"""Fuzzing the condition language: parse, check and compile, then run what compiled.

Three sources of text: arbitrary Unicode, Python-like token soup heavy with what an
attacker would try (dunders, attribute access, calls, lambdas, f-strings), and the
shipped bundle's own conditions, mutated. For every text:

- only :class:`~chronolex.lang.ConditionError` escapes, its problems inside the text;
- what compiles is data: a typed AST of the language's node types, reading only facts
  of the catalog, whose evaluator yields true, false or unknown (or an
  :class:`~chronolex.errors.EvaluationError`) and whose fast-path function, made from a
  generated Python ``ast``, returns rule positions or None;
- nothing runs (no ``exec``, process or file write: see ``support.nothing_runs``) and
  every call ends within the hang guard.
"""

from __future__ import annotations

import typing
from datetime import date, datetime, timezone

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import chronolex
from chronolex.errors import EvaluationError
from chronolex.lang import (
    RUN_TIME_FAULTS,
    UNKNOWN,
    CompiledExpr,
    ConditionError,
    Context,
    compile_condition,
    interpret,
    nodes,
    parse,
)
from chronolex.lang.types import Type
from tests.conftest import HUABEI
from tests.hardening.support import bounded, nothing_runs

BUNDLE = chronolex.load_bundle(HUABEI)
CATALOG = BUNDLE.catalog
NOW = datetime(2026, 3, 8, 2, 30, tzinfo=timezone.utc)
EXAMPLES = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])


def _shipped_conditions() -> list[str]:
    texts = {fact.expr.text for fact in BUNDLE.facts.values() if fact.expr is not None}
    texts |= {fact.derive.where.text for fact in BUNDLE.facts.values()
              if fact.derive is not None and fact.derive.where is not None}
    for version in BUNDLE.versions:
        for rule in version.rules:
            texts |= {c.text for c in (rule.when, rule.unless) if c is not None}
    return sorted(texts)


SHIPPED = _shipped_conditions()
TOKENS = [
    *sorted(CATALOG), "now", "true", "false", "True", "None", "null", "and", "or", "not", "in", "is", "if", "else",
    "lambda", "for", "import", "yield", "await", "==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*", "/", "**",
    "//", "%", "&", "|", "^", "~", "<<", ":=", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "@", "#", "\\",
    "\n", "\t", " ", "'", '"', "f'", "b'", "r'", "'''", "0", "1", "600", "1.5", "1e999", "0x10", "1_000", "1j",
    "9" * 50, "'student'", '"pilot"', "date('2026-01-01')", "duration('P30D')", "years_between", "days_between",
    "is_unknown", "max", "min", "abs", "coalesce", "__import__", "__class__", "__globals__", "__builtins__",
    "__subclasses__", "eval", "exec", "open", "getattr", "os", "system", "'touch X'", "print", "...",
    "\x00", "\ufeff", "\u202e", "ｃｒｅｄｉｔ_score",
]


def token_soup() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=40).flatmap(
        lambda parts: st.sampled_from([" ", ""]).map(lambda glue: glue.join(parts)))


@st.composite
def mutated_shipped(draw: st.DrawFn) -> str:
    """A shipped condition after a few random edits (insert, delete, duplicate, replace)."""
    text = draw(st.sampled_from(SHIPPED))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        end = draw(st.integers(at, min(len(text), at + 8)))
        edit = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3)))
        if edit == "insert":
            text = text[:at] + piece + text[at:]
        elif edit == "delete":
            text = text[:at] + text[end:]
        elif edit == "duplicate":
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[:at] + piece + text[end:]
    return text


def value_of(kind: Type) -> st.SearchStrategy[object]:
    if kind.name == "bool":
        return st.booleans()
    if kind.name == "int":
        return st.one_of(st.integers(-1_000, 1_000), st.integers())
    if kind.name == "decimal":
        return st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9)
    if kind.name == "enum":
        return st.sampled_from(kind.values)
    if kind.name == "date":
        return st.dates(date(1000, 1, 1), date(9000, 12, 31))
    return st.text(max_size=8)


FACTS = st.fixed_dictionaries({}, optional={name: st.one_of(st.just(UNKNOWN), value_of(kind))
                                            for name, kind in CATALOG.items()})

_NODE_TYPES = typing.get_args(nodes.Expr)


def check_condition(text: str, facts: dict[str, object]) -> None:
    note(repr(text))
    with bounded(repr(text)[:80]), nothing_runs():
        try:
            compiled = compile_condition(text, CATALOG)
        except ConditionError as error:
            assert error.problems, text
            # a problem may point just past the end, where something is missing
            assert all(0 <= p.start <= p.end <= len(text) + 1 for p in error.problems), error.problems
            assert all(d.span is not None and d.span.line >= 1 and d.span.column >= 1 for d in error.diagnostics)
            return
        run_compiled(compiled, facts)


def run_compiled(compiled: CompiledExpr, facts: dict[str, object]) -> None:
    assert isinstance(compiled.ast, _NODE_TYPES)
    assert compiled.facts <= set(CATALOG)
    assert compiled.type is not None and compiled.type.name == "bool"
    try:
        verdict = compiled.evaluate(Context(facts, NOW, BUNDLE.timezone))
    except EvaluationError:
        verdict = None
    assert verdict in (True, False, UNKNOWN, None)
    try:  # the reference interpreter agrees with the compiled closure, fault for fault
        reference = interpret(compiled.ast, Context(facts, NOW, BUNDLE.timezone))
    except RUN_TIME_FAULTS:
        reference = None
    assert reference == verdict or (reference is UNKNOWN and verdict is UNKNOWN)


@EXAMPLES
@given(st.text(max_size=300), FACTS)
def test_arbitrary_text(text: str, facts: dict[str, object]) -> None:
    check_condition(text, facts)


@EXAMPLES
@given(token_soup(), FACTS)
def test_python_like_token_soup(text: str, facts: dict[str, object]) -> None:
    check_condition(text, facts)


@EXAMPLES
@given(mutated_shipped(), FACTS)
def test_mutated_shipped_conditions(text: str, facts: dict[str, object]) -> None:
    check_condition(text, facts)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_parse_alone_on_any_text(text: str) -> None:
    with bounded(repr(text)[:80]), nothing_runs():
        try:
            tree = parse(text)
        except ConditionError:
            return
    assert isinstance(tree, _NODE_TYPES)


def test_the_mutations_start_from_valid_conditions() -> None:
    """Were the shipped conditions not valid, the mutation test would prove less than it says."""
    assert len(SHIPPED) >= 10
    for text in SHIPPED:
        assert isinstance(parse(text), _NODE_TYPES)
