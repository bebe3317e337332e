"""``diff --accounts`` at scale: the impact of a policy change decided by two batch plans.

:func:`impact_batch` gives the same :class:`~chronolex.diff.impact.Impact` as
:func:`~chronolex.diff.impact.impact` (counts, flips, transitions, per-rule impact,
examples, affected accounts) from :func:`chronolex.batch.changes.compare`: one event table,
two plans run in DuckDB, their results joined and aggregated there. Python only turns the
few aggregate rows into the report's dataclasses.

:func:`notifications` gives the rows a notification system needs, one per account × action
whose decision flips (the same rows the report counts as flips): the old and new decision,
the rules responsible (newly restricting, then no longer restricting) and each one's
customer ``message`` and ``remedy`` in one locale, texts of a newly restricting rule taken
from NEW and of a rule no longer restricting from OLD.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import duckdb
import pyarrow as pa

from chronolex.batch.changes import Changes, SideSpec, compare, compare_histories, event_table, preflight
from chronolex.diff.impact import FLIP_KINDS, ActionImpact, Impact, RuleImpact, SideJudge, Tally, Transition, \
    impact_actions
from chronolex.diff.sides import Side
from chronolex.events.event import EventSource
from chronolex.model import Rule

__all__ = ["NOTIFY_SCHEMA", "BatchImpact", "account_changes", "impact_batch", "notifications", "prepare"]

#: The columns of a notification file, in order.
NOTIFY_SCHEMA = pa.schema([
    ("account", pa.string()),
    ("action", pa.string()),
    ("change", pa.string()),
    ("old_decision", pa.string()),
    ("new_decision", pa.string()),
    ("rules", pa.list_(pa.string())),
    ("messages", pa.list_(pa.string())),
    ("remedies", pa.list_(pa.string())),
])


class BatchImpact:
    """The two sides of a diff made ready for the batch engine (plans checked), then run."""

    def __init__(self, old: Side, new: Side, at: datetime, actions: Sequence[str] | None = None) -> None:
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        self.old, self.new = old, new
        self.at = at.astimezone(UTC)
        self.actions = impact_actions(old, new, actions)
        old_judge, new_judge = SideJudge(old), SideJudge(new)
        self.old_spec = SideSpec(old.bundle, old_judge.version(self.at))
        self.new_spec = SideSpec(new.bundle, new_judge.version(self.at))
        self._declares = (old_judge.declares, new_judge.declares)
        self._plans = preflight(self.old_spec, self.new_spec, self.at, self.actions)
        self.changes: Changes | None = None

    def run(self, source: EventSource | pa.Table, *, examples: int = 3, memory_limit: str | None = None) -> Impact:
        """Read ``source`` once, decide both sides and aggregate the report."""
        if examples < 0:
            raise ValueError("examples must be 0 or more")
        events = event_table(self.new.bundle, source)
        self.changes = compare(self.old_spec, self.new_spec, events, self.at, self.actions, memory_limit=memory_limit,
                               plans=self._plans)
        return _report(self, self.changes, examples)


def account_changes(old: Side, new: Side, source: EventSource, at: datetime,
                    actions: Sequence[str] | None = None) -> Changes:
    """The changed account × action rows of :class:`BatchImpact` (for :func:`notifications`)
    decided by the per-account engine: the path for bundles no plan can decide."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    at = at.astimezone(UTC)
    chosen = impact_actions(old, new, actions)
    sides = SideSpec(old.bundle, SideJudge(old).version(at)), SideSpec(new.bundle, SideJudge(new).version(at))
    histories = [source.history(a) for a in sorted(source.accounts())]
    return compare_histories(*sides, histories, at, chosen)


def prepare(old: Side, new: Side, at: datetime, actions: Sequence[str] | None = None) -> BatchImpact:
    """The batch impact of ``old`` → ``new`` at ``at``; raises
    :class:`~chronolex.batch.errors.BatchError` (``Untranslatable``, ``LayoutError``) when a
    side cannot be decided by a plan, before any event is read."""
    return BatchImpact(old, new, at, actions)


def impact_batch(old: Side, new: Side, source: EventSource, at: datetime, *,
                 actions: Sequence[str] | None = None, examples: int = 3) -> Impact:
    """:func:`chronolex.diff.impact.impact`, decided by two batch plans in DuckDB."""
    return prepare(old, new, at, actions).run(source, examples=examples)


_FLIPS = """
SELECT action_index, kind, count(*) AS n, list(account ORDER BY account) FILTER (WHERE rn <= $keep) AS examples
FROM (SELECT action_index, kind, account,
             row_number() OVER (PARTITION BY action_index, kind ORDER BY account) AS rn
      FROM pairs WHERE kind IS NOT NULL)
GROUP BY action_index, kind
"""
_TRANSITIONS = """
SELECT action_index, old_decision, old_blocked_by, new_decision, new_blocked_by, count(*) AS n
FROM pairs WHERE kind IS NOT NULL GROUP BY ALL
"""
_RULES = """
WITH moved AS (
    SELECT action_index, account, 'gained' AS way, unnest(gained) AS rule FROM pairs
    UNION ALL
    SELECT action_index, account, 'lost' AS way, unnest(lost) AS rule FROM pairs)
SELECT action_index, way, rule, count(*) AS n, list(account ORDER BY account) FILTER (WHERE rn <= $keep) AS examples
FROM (SELECT *, row_number() OVER (PARTITION BY action_index, way, rule ORDER BY account) AS rn FROM moved)
GROUP BY action_index, way, rule
"""
_AFFECTED = "SELECT DISTINCT account FROM pairs WHERE kind IS NOT NULL ORDER BY account"


def _report(batch: BatchImpact, changes: Changes, examples: int) -> Impact:
    connection = duckdb.connect(":memory:")
    try:
        connection.register("pairs", changes.rows)
        keep = {"keep": examples}
        flips = connection.execute(_FLIPS, keep).fetchall()
        transitions = connection.execute(_TRANSITIONS).fetchall()
        moved = connection.execute(_RULES, keep).fetchall()
        affected = tuple(row[0] for row in connection.execute(_AFFECTED).fetchall())
    finally:
        connection.close()
    old_declares, new_declares = batch._declares
    results = []
    for index, action in enumerate(changes.actions, start=1):
        counts = {kind: Tally() for kind in FLIP_KINDS}
        for at_index, kind, n, kept in flips:
            if at_index == index:
                counts[kind] = Tally(n, tuple(kept or ()))
        steps = sorted((Transition(od, tuple(ob), nd, tuple(nb)), n)
                       for at_index, od, ob, nd, nb, n in transitions if at_index == index)
        gained: dict[str, Tally] = {}
        lost: dict[str, Tally] = {}
        for at_index, way, rule, n, kept in moved:
            if at_index == index:
                (gained if way == "gained" else lost)[rule] = Tally(n, tuple(kept or ()))
        rules = tuple(
            RuleImpact(rule, (changes.new_rules[rule] if rule in gained else changes.old_rules[rule]).category,
                       gained.get(rule, Tally()), lost.get(rule, Tally()))
            for rule in sorted(set(gained) | set(lost)))
        results.append(ActionImpact(action, old_declares(action), new_declares(action), MappingProxyType(counts),
                                    tuple(steps), rules))
    return Impact(batch.old, batch.new, batch.at, batch.old_spec.version, batch.new_spec.version, changes.accounts,
                  tuple(results), affected)


_NOTIFY = """
SELECT account, action, kind AS change, old_decision, new_decision,
       list_concat(gained, lost) AS rules,
       list_concat(list_transform(gained, lambda x: map_extract_value(MAP($new_ids::VARCHAR[], $new_messages::VARCHAR[]), x)),
                   list_transform(lost, lambda x: map_extract_value(MAP($old_ids::VARCHAR[], $old_messages::VARCHAR[]), x)))
           AS messages,
       list_concat(list_transform(gained, lambda x: map_extract_value(MAP($new_ids::VARCHAR[], $new_remedies::VARCHAR[]), x)),
                   list_transform(lost, lambda x: map_extract_value(MAP($old_ids::VARCHAR[], $old_remedies::VARCHAR[]), x)))
           AS remedies
FROM pairs WHERE kind IS NOT NULL ORDER BY account, action_index
"""


def notifications(changes: Changes, locale: str) -> pa.Table:
    """One row per account × action that flips (see :data:`NOTIFY_SCHEMA`), sorted by account then action."""
    params: dict[str, Any] = {}
    for side, rules in (("old", changes.old_rules), ("new", changes.new_rules)):
        ids = sorted(rules)
        params[f"{side}_ids"] = ids
        params[f"{side}_messages"] = [_text(rules[i], "message", locale) for i in ids]
        params[f"{side}_remedies"] = [_text(rules[i], "remedy", locale) for i in ids]
    connection = duckdb.connect(":memory:")
    try:
        connection.register("pairs", changes.rows)
        relation = connection.sql(_NOTIFY, params=params)
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
        table: pa.Table = fetch()
    finally:
        connection.close()
    return table.cast(NOTIFY_SCHEMA)


def _text(rule: Rule, name: str, locale: str) -> str | None:
    return rule.text(name, locale)
