"""The condition language (docs/conditions.md), as a short list of named passes.

``text → parse → AST with offsets → check against the fact catalog → typed AST →
compile → closure``. Each pass is a pure function; :func:`compile_condition` runs
them in order and stops at the first pass that reports problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chronolex.errors import EvaluationError
from chronolex.lang import nodes
from chronolex.lang.check import check
from chronolex.lang.compile import Closure, compile_expr
from chronolex.lang.interpret import deciding_part, interpret
from chronolex.lang.parse import ConditionError, Problem, parse
from chronolex.lang.render import render
from chronolex.lang.types import BOOL, Type
from chronolex.lang.values import UNKNOWN, Context

__all__ = [
    "PASSES",
    "RUN_TIME_FAULTS",
    "CompiledExpr",
    "ConditionError",
    "Context",
    "Problem",
    "Type",
    "UNKNOWN",
    "check",
    "compile_condition",
    "compile_expr",
    "deciding_part",
    "interpret",
    "nodes",
    "parse",
    "render",
]

#: The passes in order: name and what it does. ``compile_condition`` runs exactly these.
PASSES: tuple[tuple[str, str], ...] = (
    ("parse", "text to AST through the syntax whitelist"),
    ("check", "resolve names against the fact catalog and type every node"),
    ("compile", "typed AST to an evaluator closure"),
)


@dataclass(frozen=True, slots=True)
class CompiledExpr:
    """A condition ready to run: its text, typed AST, evaluator and what it reads."""

    text: str
    ast: nodes.Expr
    evaluate: Closure = field(compare=False, repr=False)
    facts: frozenset[str] = frozenset()
    uses_now: bool = False
    #: ``evaluate`` without the guard, for a caller that catches every run-time fault itself.
    unguarded: Closure | None = field(default=None, compare=False, repr=False)

    @property
    def type(self) -> Type | None:
        return self.ast.type


RUN_TIME_FAULTS = (EvaluationError, ArithmeticError, ValueError, TypeError, OverflowError)


def _guarded(evaluate: Closure) -> Closure:
    """Every run-time fault of a compiled condition surfaces as EvaluationError, whatever
    raised it (a decimal overflow, a date pushed off the calendar)."""

    def run(ctx: Context) -> object:
        try:
            return evaluate(ctx)
        except EvaluationError:
            raise
        except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:
            raise EvaluationError(f"{type(exc).__name__}: {exc}") from None

    return run


def compile_condition(
    text: str,
    catalog: Mapping[str, Type],
    *,
    expect: Type | None = BOOL,
    fields_are_any: bool = False,
    fields_of: str | None = None,
) -> CompiledExpr:
    """Run every pass on ``text``; raise :class:`ConditionError` listing all problems.

    >>> from chronolex.lang.types import INT
    >>> c = compile_condition("score < 600", {"score": INT})
    >>> c.evaluate(Context({"score": 580}, now=None, zone=None))  # type: ignore[arg-type]
    True
    """
    tree = parse(text)
    typed, problems = check(tree, catalog, expect=expect, fields_are_any=fields_are_any, fields_of=fields_of)
    if problems:
        raise ConditionError(text, list(problems))
    raw = compile_expr(typed)
    return CompiledExpr(
        text=text,
        ast=typed,
        evaluate=_guarded(raw),
        facts=nodes.names(typed),
        uses_now=nodes.uses_now(typed),
        unguarded=raw,
    )
