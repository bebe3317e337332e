"""A tracer for the reference interpreter, and the explain filter over what it records.

The compiled closures decide; they record nothing, so a decision pays nothing for
explanations. An explanation runs the reference interpreter once more on the rule's
conditions with a :class:`RecordingTracer`, which keeps the value of every
sub-expression the interpreter evaluated (as OPA's ``BufferTracer`` keeps its events).
:func:`filter_deciding` is then a pure filter over those records, like OPA's explain
modes: the part of the condition that made the outcome what it is
(:func:`chronolex.lang.interpret.deciding_part` runs both).

- ``a and b`` that is false: the operands that are false (any one of them suffices);
- ``a or b`` that is true: the operands that are true (each would have to turn);
- ``and`` true / ``or`` false: every operand (all of them count);
- unknown: the operands that are unknown (what is missing);
- ``not x``: ``not`` of the deciding part of ``x``; anything else is a leaf.

Operands the interpreter skipped (short-circuit) were not evaluated and are not part.

"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from chronolex.lang import nodes as n
from chronolex.lang.values import UNKNOWN, truth


class TraceOp(enum.StrEnum):
    """What a trace event reports: ``eval``, a node evaluated to a value."""

    EVAL = "eval"


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One step of the interpreter: ``node`` evaluated to ``value``."""

    op: TraceOp
    node: n.Expr
    value: object


class Tracer(Protocol):
    """Receives the interpreter's steps; ``enabled`` false means nothing is sent."""

    @property
    def enabled(self) -> bool: ...

    def emit(self, event: TraceEvent) -> None: ...


class NullTracer:
    """Records nothing."""

    enabled = False

    def emit(self, event: TraceEvent) -> None:
        return None


class RecordingTracer:
    """Keeps every event, and the value of each node by identity (two equal sub-trees at
    different places are different nodes)."""

    enabled = True

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self._values: dict[int, object] = {}

    def emit(self, event: TraceEvent) -> None:
        self.events.append(event)
        self._values[id(event.node)] = event.value

    def evaluated(self, node: n.Expr) -> bool:
        return id(node) in self._values

    def value(self, node: n.Expr) -> object:
        return self._values.get(id(node), UNKNOWN)


def filter_deciding(node: n.Expr, tracer: RecordingTracer) -> n.Expr:
    """The part of ``node`` that decided its value, from a recorded trace."""
    if isinstance(node, n.Unary) and node.op == "not":
        return n.Unary("not", filter_deciding(node.operand, tracer), type=node.type)
    if not isinstance(node, n.BoolOp):
        return node
    result = truth(tracer.value(node))
    seen = [o for o in node.operands if tracer.evaluated(o)]
    if result is UNKNOWN:
        chosen = [o for o in seen if truth(tracer.value(o)) is UNKNOWN]
    elif result == (node.op == "or"):  # or-true / and-false: the operands that were decisive
        chosen = [o for o in seen if truth(tracer.value(o)) is result]
    else:  # and-true / or-false: every operand counts
        chosen = list(node.operands)
    parts = tuple(filter_deciding(o, tracer) for o in chosen) or tuple(node.operands)
    return parts[0] if len(parts) == 1 else n.BoolOp(node.op, parts, type=node.type)
