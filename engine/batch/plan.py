"""One compiled plan per (version, actions, instant): every account decided by one query.

What depends on time alone is worked out here, once, by the code the per-account engine
uses: the version in force at (T, K), which rules are active at T (``active``, one-off
``window``s, ``schedule`` occurrences), the start of every fact window at T (calendar
parts and DST included) and every sub-expression that reads no fact. The query is then
left with what varies per account, in three steps:

1. ``facts``: one pass over the event table grouped by account, one filtered aggregate per
   derived fact (``at <= T``, ``recorded_at <= K``, inside the window, passing ``where``);
2. per action, each rule's state: ``R`` (restricts), ``U`` (undetermined) or NULL, from its
   ``when`` and ``unless`` under SQL's three-valued logic, which is Kleene's, and its
   ``on_unknown``;
3. per action, the decision, the categories in precedence order and the rule ids in the
   order ``chronolex why`` lists them.

The plan is a sqlglot expression tree built once; :meth:`BatchPlan.sql` renders it for
DuckDB or Spark SQL (see :mod:`chronolex.batch.dialects`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from chronolex.batch.dialects import render
from chronolex.batch.layout import field_columns
from chronolex.batch.sql_expr import DAY_MICROS, Const, Scope, Value, translate
from chronolex.batch.errors import BatchError, Untranslatable
from chronolex.batch.sql_values import (
    concat_words,
    epoch_micros,
    floor_div,
    is_false,
    is_true,
    literal,
    micros,
    null,
)
from chronolex.evaluation.assess import Evaluator
from chronolex.evaluation.facts import window_start
from chronolex.instants import BEFORE_RANGE
from chronolex.lang import UNKNOWN
from chronolex.lang.types import Type
from chronolex.model import Bundle, Fact, Rule, Version
from chronolex.time.activity import active_by_time
from chronolex.time.versions import select_version

#: The name of the event relation a plan reads (see chronolex.batch.layout).
EVENTS = "events"
#: Result columns of a plan's query, in order.
RESULT_COLUMNS = ("account", "action", "action_index", "decision", "blocked_by", "rules", "undetermined", "version")

_IN_FORCE = object()  # compile_plan's default: the version the bundle puts in force at (T, K)


@dataclass(frozen=True)
class BatchPlan:
    """The query deciding ``actions`` for every account of an event table at (``at``, ``known_at``)."""

    bundle: Bundle
    at: datetime
    known_at: datetime | None
    actions: tuple[str, ...]
    version: Version | None
    #: The derived facts the query computes, and the rules it assesses per action.
    facts: tuple[str, ...]
    rules: dict[str, tuple[Rule, ...]]
    tree: exp.Expr = field(repr=False)

    def sql(self, dialect: str) -> str:
        """The query in ``dialect`` (``duckdb`` or ``spark``), reading the relation ``events``."""
        return render(self.tree, dialect)


def compile_plan(bundle: Bundle, at: datetime, known_at: datetime | None = None,
                 actions: Sequence[str] | None = None, *, version: object = _IN_FORCE) -> BatchPlan:
    """The plan deciding ``actions`` (default: all of the bundle's) at (``at``, ``known_at``).

    ``version`` pins a version (``None``: no policy) instead of the one in force, as a side
    of a diff decides. Raises :class:`~chronolex.batch.sql_values.Untranslatable` when a
    rule or fact has no exact translation, and ``LayoutError`` when the bundle's event
    catalog cannot be laid out as columns."""
    chosen = actions if actions is not None else bundle.actions
    for action in chosen:
        if action not in bundle.actions:
            raise BatchError(f"unknown action {action!r} (actions: {', '.join(bundle.actions)})")
    in_force = select_version(bundle.versions, at, known_at) if version is _IN_FORCE else version
    assert in_force is None or isinstance(in_force, Version)
    builder = _Builder(bundle, at, known_at)
    evaluator = Evaluator(bundle)
    rules = {a: tuple(r for r in evaluator.rules_for(in_force, a) if active_by_time(r, at, bundle.timezone))
             if in_force is not None else () for a in chosen}
    selects = [builder.action(index, action, rules[action], in_force) for index, action in enumerate(chosen)]
    query: exp.Query = selects[0]
    for select in selects[1:]:
        query = exp.union(query, select, distinct=False)
    # the rules are translated first: that is when the facts and fields they read are collected
    tree = exp.select("*").from_(exp.paren(query).as_("decisions")).with_(
        "base", as_=builder.base_query()).with_("facts", as_=builder.facts_query())
    return BatchPlan(bundle, at, known_at, tuple(chosen), in_force, tuple(sorted(builder.aggregates)), rules, tree)


def _fact_column(name: str) -> str:
    return f"fact:{name}"


def _quoted(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


class _Builder:
    """Collects the facts the rules read while their conditions are translated."""

    def __init__(self, bundle: Bundle, at: datetime, known_at: datetime | None) -> None:
        self.bundle = bundle
        self.at = at
        self.known_at = known_at
        self.zone = bundle.timezone
        self.columns = field_columns(bundle)
        #: derived fact name → its aggregate SQL; event columns the aggregates read
        self.aggregates: dict[str, exp.Expr] = {}
        self.fields: set[str] = set()
        self._exprs: dict[str, exp.Expr] = {}

    # -- the rules

    def action(self, index: int, action: str, rules: tuple[Rule, ...], version: Version | None) -> exp.Select:
        account = exp.column("account")
        head = [account, exp.alias_(exp.Literal.string(action), "action"),
                exp.alias_(exp.Literal.number(index), "action_index")]
        if version is None:
            return exp.select(*head, exp.alias_(exp.Literal.string("no_policy"), "decision"),
                              *(exp.alias_(exp.Literal.string(""), c) for c in ("blocked_by", "rules", "undetermined")),
                              exp.alias_(exp.cast(null(), exp.DataType.build("VARCHAR")), "version")).from_("facts")
        states = [exp.alias_(self._state(rule), f"r{i}") for i, rule in enumerate(rules)]
        inner = exp.select(account, *states).from_("facts")

        def state_is(i: int, code: str) -> exp.Expr:
            return exp.EQ(this=exp.column(f"r{i}"), expression=exp.Literal.string(code))

        def any_of(conditions: list[exp.Expr]) -> exp.Expr:
            return exp.paren(exp.or_(*conditions)) if conditions else exp.Boolean(this=False)

        restricting = any_of([state_is(i, "R") for i in range(len(rules))])
        pending = any_of([state_is(i, "U") for i in range(len(rules))])
        decision = exp.Case(ifs=[exp.If(this=is_true(restricting), true=exp.Literal.string("blocked")),
                                 exp.If(this=is_true(pending), true=exp.Literal.string("undetermined"))],
                            default=exp.Literal.string("allowed"))
        categories = sorted({r.category for r in rules}, key=lambda c: (self._precedence(c), c))
        blocked_by = concat_words([
            exp.Case(ifs=[exp.If(this=is_true(any_of([state_is(i, "R") for i, r in enumerate(rules)
                                                      if r.category == category])),
                                 true=exp.Literal.string(category))])
            for category in categories])

        def ids(code: str) -> exp.Expr:
            return concat_words([exp.Case(ifs=[exp.If(this=state_is(i, code), true=exp.Literal.string(r.id))])
                                 for i, r in enumerate(rules)])

        return exp.select(*head, exp.alias_(decision, "decision"), exp.alias_(blocked_by, "blocked_by"),
                          exp.alias_(ids("R"), "rules"), exp.alias_(ids("U"), "undetermined"),
                          exp.alias_(exp.Literal.string(version.id), "version")).from_(
            exp.paren(inner).as_(f"states{index}"))

    def _precedence(self, category: str) -> int:
        found = self.bundle.categories.get(category)
        return found.precedence if found else 1_000_000

    def _state(self, rule: Rule) -> exp.Expr:
        """'R' when the rule restricts, 'U' when it is undetermined, NULL when it does not apply."""
        when = translate(rule.when.ast, Scope(self._fact, self.at, self.zone, f"rule {rule.id} (when)")) \
            if rule.when is not None else None
        unless = translate(rule.unless.ast, Scope(self._fact, self.at, self.zone, f"rule {rule.id} (unless)")) \
            if rule.unless is not None else None
        unsettled = {"block": exp.Literal.string("R"), "allow": null()}.get(rule.on_unknown, exp.Literal.string("U"))
        ifs = []
        if unless is not None:
            ifs.append(exp.If(this=is_true(unless), true=null()))
        if when is not None:
            ifs.append(exp.If(this=is_false(when), true=null()))
        certain = [is_true(when)] if when is not None else []
        if unless is not None:
            certain.append(is_false(unless))
        if not certain:
            return exp.Literal.string("R")
        ifs.append(exp.If(this=exp.and_(*certain), true=exp.Literal.string("R")))
        return exp.Case(ifs=ifs, default=unsettled)

    # -- the facts

    def _fact(self, name: str) -> Const | Value:
        fact = self.bundle.facts.get(name)
        if fact is None:
            return Const(UNKNOWN)
        if fact.derive is not None:
            if name not in self.aggregates:
                self.aggregates[name] = self._aggregate(fact)
            return Value(_quoted(_fact_column(name)), fact.type)
        if fact.expr is not None:
            if name not in self._exprs:
                self._exprs[name] = translate(fact.expr.ast, Scope(self._fact, self.at, self.zone, f"fact {name}"))
            return Value(exp.paren(self._exprs[name].copy()), fact.type)
        return Const(UNKNOWN)

    def _aggregate(self, fact: Fact) -> exp.Expr:
        derivation = fact.derive
        assert derivation is not None
        where = f"fact {fact.name}"
        conditions: list[exp.Expr] = [
            exp.EQ(this=exp.column("type"), expression=exp.Literal.string(derivation.event_type)),
            exp.LTE(this=exp.column("at_us"), expression=exp.Literal.number(micros(self.at))),
        ]
        if self.known_at is not None:
            conditions.append(exp.LTE(this=exp.column("recorded_us"), expression=exp.Literal.number(micros(self.known_at))))
        lower = window_start(self.at, derivation.window, self.zone)
        if lower is not None and lower > BEFORE_RANGE:
            conditions.append(exp.GT(this=exp.column("at_us"), expression=exp.Literal.number(micros(lower))))
        if derivation.where is not None:
            declared = derivation.where_fields or {}

            def field_value(name: str) -> Const | Value:
                if name not in declared:
                    return Const(UNKNOWN)
                return Value(self._field(name, where), declared[name])

            condition = translate(derivation.where.ast, Scope(field_value, self.at, self.zone, f"{where} (where)"))
            conditions.append(is_true(condition))
        aggregation = derivation.aggregation
        if aggregation in ("count", "exists", "days_since"):
            value: exp.Expr | None = None
        else:
            value = self._field_of(fact, where)
            conditions.append(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
        keep = exp.Where(this=exp.and_(*conditions))

        def filtered(function: exp.Expr) -> exp.Expr:
            return exp.Filter(this=function, expression=keep.copy())

        if aggregation == "count":
            return filtered(exp.Count(this=exp.Star()))
        if aggregation == "exists":
            return exp.GT(this=filtered(exp.Count(this=exp.Star())), expression=exp.Literal.number(0))
        if aggregation == "days_since":
            latest = filtered(exp.Max(this=exp.column("at_us")))
            result: exp.Expr = floor_div(
                exp.Sub(this=exp.Literal.number(micros(self.at)), expression=latest), DAY_MICROS)
        else:
            assert value is not None
            function: Callable[[], exp.Expr] | None = {
                "sum": lambda: exp.Sum(this=value),
                "min": lambda: exp.Min(this=value),
                "max": lambda: exp.Max(this=value),
                "latest": lambda: exp.ArgMax(this=value, expression=exp.column("seq")),
                "first": lambda: exp.ArgMin(this=value, expression=exp.column("seq")),
            }.get(aggregation)
            if function is None:
                raise Untranslatable(f"{where}: the derivation {aggregation!r} has no translation to SQL")
            result = filtered(function())
        if derivation.has_default and aggregation not in ("count", "exists"):
            result = exp.Coalesce(this=result, expressions=[literal(derivation.default, where)])
        return result

    def _field_of(self, fact: Fact, where: str) -> exp.Expr:
        """The event column a derivation folds, checked to hold values of the fact's type
        exactly as the per-account engine converts them."""
        derivation = fact.derive
        assert derivation is not None and derivation.field is not None
        catalog = self.bundle.events or {}
        declared = catalog[derivation.event_type].fields.get(derivation.field) \
            if derivation.event_type in catalog else None
        if declared is None:
            raise Untranslatable(f"{where}: field {derivation.field!r} of {derivation.event_type!r} is not in the "
                                 "event catalog")
        if not _same_values(declared, fact.type):
            raise Untranslatable(f"{where}: field {derivation.event_type}.{derivation.field} is {declared} and the "
                                 f"fact is {fact.type}; the batch engines fold a field into a fact of its own type")
        return self._field(derivation.field, where)

    def _field(self, name: str, where: str) -> exp.Expr:
        if name not in self.columns:
            raise Untranslatable(f"{where}: field {name!r} is not in the event catalog")
        self.fields.add(name)
        return _quoted(f"field:{name}")

    def base_query(self) -> exp.Select:
        """The event table with instants as microseconds and the fields the plan reads."""
        columns: list[exp.Expr] = [
            exp.column("account"), exp.column("type"), exp.column("seq"),
            exp.alias_(epoch_micros(exp.column("at")), "at_us"),
            exp.alias_(epoch_micros(exp.column("recorded_at")), "recorded_us"),
        ]
        for name in sorted(self.fields):
            source: exp.Expr = _quoted(name)
            if self.columns[name].name == "datetime":
                source = epoch_micros(source)
            columns.append(exp.alias_(source, exp.to_identifier(f"field:{name}", quoted=True)))
        return exp.select(*columns).from_(EVENTS)

    def facts_query(self) -> exp.Select:
        aggregates = [exp.alias_(self.aggregates[name], exp.to_identifier(_fact_column(name), quoted=True))
                      for name in sorted(self.aggregates)]
        return exp.select(exp.column("account"), *aggregates).from_("base").group_by("account")


def _same_values(declared: Type, fact: Type) -> bool:
    """Whether every value of a field of type ``declared`` converts to the same value of the
    fact's type (so no event is skipped, and nothing converts, inside SQL)."""
    if declared.name == "enum":
        return fact.name == "string" or (fact.name == "enum" and set(declared.values) <= set(fact.values))
    if declared.name == "int" and fact.name == "decimal":
        return True
    return declared.name == fact.name and declared.name != "duration"


__all__ = ["EVENTS", "RESULT_COLUMNS", "BatchPlan", "compile_plan"]
