"""The interpreter's tracer and the part of a condition that decided (``chronolex.lang.trace``).

What is checked:

- ``RecordingTracer`` records every node the reference interpreter evaluated, children
  before their parent, with its value; operands skipped by short-circuit are not
  recorded; equal sub-trees at two places are two nodes; ``NullTracer`` (or any tracer
  that is not ``enabled``) receives nothing and changes no value;
- ``deciding_part``: for ``a or b`` true, the true operands; for ``a and b`` false, the
  false operands; and-true / or-false, every operand; unknown, the unknown operands;
  ``not x``, ``not`` of the deciding part of ``x``; a comparison is a leaf; a run-time
  fault is explained by the whole condition;
- Hypothesis properties: the deciding part, evaluated alone by the interpreter, has the
  same value as the whole condition (true, false, and unknown too), reads only facts the
  whole reads, and renders to text that compiles.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings

from chronolex import UNKNOWN, Context, EvaluationError, compile_condition, render
from chronolex.lang import nodes as n
from chronolex.lang import types as t
from chronolex.lang.interpret import deciding_part, interpret
from chronolex.lang.trace import NullTracer, RecordingTracer, TraceEvent, TraceOp, filter_deciding
from tests.strategies import CATALOG, bool_exprs, fact_values, instants

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
FACTS: dict[str, t.Type] = {"p": t.BOOL, "q": t.BOOL, "r": t.BOOL, "x": t.INT, "y": t.INT}


def tree(text: str) -> n.Expr:
    return compile_condition(text, FACTS).ast


def ctx(**facts: object) -> Context:
    return Context(facts, NOW, SH)


def part(text: str, **facts: object) -> str:
    return render(deciding_part(tree(text), ctx(**facts)))


# -- RecordingTracer -----------------------------------------------------------------------------


def test_the_recording_tracer_sees_every_evaluated_node_children_first_with_its_value() -> None:
    condition = tree("x < 1 or p and q")
    tracer = RecordingTracer()
    assert interpret(condition, ctx(x=5, p=True, q=False), tracer) is False
    assert [(render(e.node), e.value) for e in tracer.events] == [
        ("x", 5), ("1", 1), ("x < 1", False), ("p", True), ("q", False), ("p and q", False),
        ("x < 1 or p and q", False),
    ]
    assert {e.op for e in tracer.events} == {TraceOp.EVAL}
    assert tracer.events[-1].node is condition
    assert tracer.evaluated(condition) and tracer.value(condition) is False


def test_operands_skipped_by_short_circuit_are_not_recorded() -> None:
    condition = tree("x < 1 or p and q")
    assert isinstance(condition, n.BoolOp)
    tracer = RecordingTracer()
    assert interpret(condition, ctx(x=0, p=True, q=False), tracer) is True
    assert [render(e.node) for e in tracer.events] == ["x", "1", "x < 1", "x < 1 or p and q"]
    skipped = condition.operands[1]
    assert not tracer.evaluated(skipped)
    assert tracer.value(skipped) is UNKNOWN  # no value recorded for it


def test_equal_subtrees_at_two_places_are_two_nodes() -> None:
    condition = tree("p or p")
    assert isinstance(condition, n.BoolOp)
    tracer = RecordingTracer()
    interpret(condition, ctx(p=False), tracer)
    first, second = condition.operands
    assert first == second and first is not second
    assert tracer.events[0].node is first and tracer.events[1].node is second
    assert tracer.evaluated(first) and tracer.evaluated(second)


def test_unknown_values_are_recorded_as_unknown() -> None:
    tracer = RecordingTracer()
    interpret(tree("x < 1"), ctx(), tracer)
    assert [(render(e.node), e.value) for e in tracer.events] == [("x", UNKNOWN), ("1", 1), ("x < 1", UNKNOWN)]


class _Disabled:
    """A tracer that is not enabled: the interpreter must not send it anything."""

    enabled = False

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []

    def emit(self, event: TraceEvent) -> None:
        self.events.append(event)


def test_a_tracer_that_is_not_enabled_receives_nothing_and_changes_no_value() -> None:
    condition = tree("x < 1 or p and q")
    facts = ctx(x=5, p=True, q=True)
    disabled = _Disabled()
    assert interpret(condition, facts, disabled) is True
    assert disabled.events == []
    assert interpret(condition, facts, NullTracer()) is True
    assert interpret(condition, facts) is True


# -- deciding_part -------------------------------------------------------------------------------


def test_a_true_or_is_decided_by_its_true_operand() -> None:
    assert part("p or q", p=True, q=True) == "p"                      # q was never evaluated
    assert part("p or q or r", p=False, q=True, r=True) == "q"
    assert part("p or q", q=True) == "q"                              # p unknown, q true
    assert part("x < 1 or y > 2", x=0, y=5) == "x < 1"


def test_a_false_and_is_decided_by_its_false_operand() -> None:
    assert part("p and q and r", p=True, q=False, r=False) == "q"
    assert part("p and q", q=False) == "q"


def test_a_true_and_or_a_false_or_is_decided_by_every_operand() -> None:
    whole = tree("p and q")
    assert deciding_part(whole, ctx(p=True, q=True)) == whole
    assert part("p or q or r", p=False, q=False, r=False) == "p or q or r"


def test_an_unknown_condition_is_decided_by_its_unknown_operands() -> None:
    assert part("p and q and r", q=True) == "p and r"
    assert part("p or q or r", p=False, r=False) == "q"
    assert part("x < 1 or p", p=False) == "x < 1"


def test_not_wraps_the_deciding_part_of_its_operand() -> None:
    assert part("not (p and q)", p=True, q=False) == "not q"
    assert part("not (p or q)", p=False, q=True) == "not q"
    assert part("not p", p=True) == "not p"


def test_nested_operators_are_filtered_at_every_level() -> None:
    assert part("(p or q) and r", p=True, q=False, r=True) == "p and r"
    assert part("(p and q) or r", p=True, q=False, r=False) == "q or r"


def test_a_leaf_is_its_own_deciding_part() -> None:
    assert part("x < 1", x=0) == "x < 1"
    assert part("p", p=False) == "p"


def test_a_run_time_fault_is_explained_by_the_whole_condition() -> None:
    whole = tree("x / y > 1 or p")
    assert deciding_part(whole, ctx(x=1, y=0, p=True)) is whole


def test_filter_deciding_reads_an_existing_trace() -> None:
    condition = tree("p or q or r")
    tracer = RecordingTracer()
    interpret(condition, ctx(p=False, r=True), tracer)
    assert render(filter_deciding(condition, tracer)) == "r"


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(bool_exprs(), fact_values(), instants())
def test_the_deciding_part_alone_has_the_value_of_the_whole_condition(
        generated: n.Expr, facts: dict[str, object], now: datetime) -> None:
    condition = compile_condition(render(generated), CATALOG).ast
    context = Context(facts, now.astimezone(SH), SH)
    try:
        whole = interpret(condition, context)
    except EvaluationError:
        assert deciding_part(condition, context) is condition
        return
    decided = deciding_part(condition, context)
    if whole is not UNKNOWN:
        assert interpret(decided, context) is whole
    else:  # what is missing: the unknown part is itself unknown
        assert interpret(decided, context) is UNKNOWN
    assert n.names(decided) <= n.names(condition)
    # the part is shown to people (decided_by): its text compiles to the same tree
    assert compile_condition(render(decided), CATALOG).ast == decided
