"""How values of the condition language are written in SQL, for every batch engine.

One representation per type, chosen so that a comparison in SQL means what it means in
Python and no engine's session time zone can change an answer:

- ``int``: BIGINT; ``decimal``: DECIMAL with the digits the value needs (exact, like
  Python's Decimal); ``bool``: BOOLEAN; ``string`` and ``enum``: VARCHAR;
- ``date``: DATE (a calendar day, no time zone);
- ``datetime``: BIGINT microseconds since 1970-01-01 UTC (an instant, compared as a
  number, never as a wall clock);
- unknown: NULL (SQL's three-valued logic is Kleene's, as the language's).

Durations and lists have no column representation: they are used only as constants,
which the plan folds in Python before anything reaches SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlglot import exp

from chronolex.batch.errors import Untranslatable

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The largest magnitude a BIGINT holds; a larger whole number is written as a decimal.
_INT64 = 2**63 - 1


def micros(instant: datetime) -> int:
    """``instant`` as whole microseconds since the Unix epoch (UTC)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def epoch_micros(column: exp.Expr) -> exp.Expr:
    """The instant held by a TIMESTAMP WITH TIME ZONE column, as microseconds since the
    epoch. Rendered per dialect by :func:`chronolex.batch.dialects.render`."""
    return exp.Anonymous(this="EPOCH_US", expressions=[column])


def null() -> exp.Expr:
    return exp.Null()


def literal(value: object, where: str) -> exp.Expr:
    """A constant as SQL; ``where`` names the rule or fact for an error."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        if abs(value) <= _INT64:
            return exp.Literal.number(value)
        return decimal_literal(Decimal(value), where)
    if isinstance(value, Decimal):
        return decimal_literal(value, where)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        return exp.Literal.number(micros(value))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    raise Untranslatable(f"{where}: the value {value!r} has no SQL form")


def decimal_literal(value: Decimal, where: str) -> exp.Expr:
    """An exact DECIMAL literal with the precision and scale the value needs."""
    if not value.is_finite():
        raise Untranslatable(f"{where}: {value} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    scale = max(0, -exponent)
    whole = max(1, len(digits) + exponent) if exponent < 0 else len(digits) + exponent
    precision = max(scale + whole, 1)
    if precision > 38:
        raise Untranslatable(f"{where}: {value} has more than 38 digits, more than a SQL decimal holds")
    text = f"{value:f}"
    return exp.cast(exp.Literal.string(text), exp.DataType.build(f"DECIMAL({precision}, {scale})"))


def floor_div(numerator: exp.Expr, divisor: int) -> exp.Expr:
    """``numerator // divisor`` rounding toward minus infinity, as Python does (SQL's
    integer division rounds toward zero). ``divisor`` is positive."""
    d = exp.Literal.number(divisor)
    down = exp.IntDiv(this=exp.paren(numerator.copy()), expression=d)
    up = exp.Neg(this=exp.paren(exp.IntDiv(
        this=exp.paren(exp.Add(this=exp.Neg(this=exp.paren(numerator.copy())),
                               expression=exp.Literal.number(divisor - 1))),
        expression=d.copy())))
    return exp.Case(ifs=[exp.If(this=exp.GTE(this=exp.paren(numerator.copy()), expression=exp.Literal.number(0)),
                                true=down)], default=up)


def concat_words(parts: list[exp.Expr]) -> exp.Expr:
    """The non-null strings of ``parts`` joined by single spaces ('' when none)."""
    if not parts:
        return exp.Literal.string("")
    return exp.Anonymous(this="CONCAT_WS", expressions=[exp.Literal.string(" "), *parts])


def is_true(condition: exp.Expr) -> exp.Expr:
    """TRUE when ``condition`` is true; FALSE when it is false or unknown."""
    return exp.Coalesce(this=exp.paren(condition.copy()), expressions=[exp.Boolean(this=False)])


def is_false(condition: exp.Expr) -> exp.Expr:
    """TRUE when ``condition`` is false; FALSE when it is true or unknown."""
    return exp.Coalesce(this=exp.Not(this=exp.paren(condition.copy())), expressions=[exp.Boolean(this=False)])
