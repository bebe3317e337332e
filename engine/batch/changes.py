"""Two decisions of every account compared in one pass: what a policy change does to a population.

``chronolex diff OLD NEW --accounts`` and ``chronolex replay --changed-since VERSION`` ask
the same question of a population: which account × action is decided differently by two
sides? Each side is one compiled plan (:func:`~chronolex.batch.plan.compile_plan`, its
version pinned); both run in DuckDB over one event table, read once, and the two result
tables are joined in DuckDB, never account by account in Python. What comes out is one
row per account × action that changed in any way a report counts (decision, categories
or restricting rules), with the flip kind and the rules gained and lost, so the caller
only aggregates.

An action a side's bundle does not declare is restricted by none of its rules, as in the
per-account diff: that side decides it ``allowed`` (``no_policy`` without a version).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from chronolex.batch.duckdb_engine import connect, run_duckdb
from chronolex.batch.errors import BatchEngineError, BatchError
from chronolex.batch.histories import table_from_histories
from chronolex.batch.layout import field_columns
from chronolex.batch.output import SCHEMA
from chronolex.batch.plan import BatchPlan, compile_plan
from chronolex.batch.python_engine import decision_rows
from chronolex.events.event import AccountHistory, EventSource
from chronolex.model import Bundle, Rule, Version
from chronolex.time.versions import select_version

__all__ = ["CHANGE_COLUMNS", "Changes", "SideSpec", "changed_since", "compare", "compare_histories", "event_table",
           "preflight", "side_decisions"]

#: The columns of :attr:`Changes.rows`, in order. ``kind`` is the flip kind
#: (``newly-blocked``, ``unblocked``, ``categories-changed``, ``other``) or NULL when only
#: the restricting rules changed; ``gained``/``lost`` are the rule ids restricting under
#: NEW and not OLD, and under OLD and not NEW.
CHANGE_COLUMNS = ("account", "action", "action_index", "kind", "old_decision", "new_decision", "old_blocked_by",
                  "new_blocked_by", "gained", "lost")


def event_table(bundle: Bundle, source: EventSource | pa.Table) -> pa.Table:
    """The one event table both sides read (the chronolex.batch.layout contract), laid out
    by ``bundle``'s catalog; a table already in the layout (Parquet events read with
    :func:`chronolex.read_event_table`) is taken as it is.

    The single place the batch diff and ``replay --changed-since`` read events into
    columns, so a faster columnar reader replaces this line and nothing else."""
    if isinstance(source, pa.Table):
        return source
    return table_from_histories(bundle, (source.history(a) for a in sorted(source.accounts())))


@dataclass(frozen=True)
class SideSpec:
    """One side: ``bundle`` deciding with ``version`` (None: no policy) as if it were in force."""

    bundle: Bundle
    version: Version | None


@dataclass(frozen=True)
class Changes:
    """Both sides' decisions joined: the accounts, and every changed account × action."""

    accounts: int
    actions: tuple[str, ...]
    #: per side, the rules its plans assess, by id (to name categories and texts)
    old_rules: dict[str, Rule]
    new_rules: dict[str, Rule]
    #: one row per changed account × action (see :data:`CHANGE_COLUMNS`), sorted by account then action
    rows: pa.Table


def check_same_layout(old: Bundle, new: Bundle) -> None:
    """Both sides read one event table, so their catalogs must lay it out alike."""
    if field_columns(old) != field_columns(new):
        raise BatchError(f"bundles {old.name} and {new.name} declare different event catalogs; the batch diff reads "
                         "one event table for both sides")


def _rules(side: SideSpec) -> dict[str, Rule]:
    return {r.id: r for r in side.version.rules} if side.version is not None else {}


def side_decisions(side: SideSpec, decide: Callable[[Sequence[str]], pa.Table], actions: Sequence[str],
                   accounts: pa.Array) -> pa.Table:
    """The side's decision of every account × action in ``actions`` (SCHEMA columns).

    Actions its bundle declares are decided by ``decide`` (one plan in DuckDB, or the
    per-account engine); the others are filled in as the per-account diff decides them."""
    declared = [a for a in actions if a in side.bundle.actions]
    parts: list[pa.Table] = [decide(declared)] if declared else []
    decision = "allowed" if side.version is not None else "no_policy"
    empty = pa.scalar([], pa.list_(pa.string()))
    n = len(accounts)
    for action in actions:
        if action in declared:
            continue
        parts.append(pa.Table.from_arrays([
            accounts, pa.array([action] * n, pa.string()), pa.array([decision] * n, pa.string()),
            *(pa.repeat(empty, n) for _ in range(3)),
            pa.array([side.version.id if side.version else None] * n, pa.string()),
        ], schema=SCHEMA))
    return pa.concat_tables(parts) if parts else SCHEMA.empty_table()


_JOIN = """
CREATE TEMP TABLE pairs AS
SELECT o.account, o.action, list_position(?::VARCHAR[], o.action) AS action_index,
       o.decision AS old_decision, n.decision AS new_decision,
       o.blocked_by AS old_blocked_by, n.blocked_by AS new_blocked_by,
       list_filter(n.rules, lambda x: NOT list_contains(o.rules, x)) AS gained,
       list_filter(o.rules, lambda x: NOT list_contains(n.rules, x)) AS lost,
       CASE WHEN n.decision = 'blocked' AND o.decision <> 'blocked' THEN 'newly-blocked'
            WHEN o.decision = 'blocked' AND n.decision <> 'blocked' THEN 'unblocked'
            WHEN o.decision = 'blocked' THEN
                 CASE WHEN list_sort(list_distinct(o.blocked_by)) <> list_sort(list_distinct(n.blocked_by))
                      THEN 'categories-changed' END
            WHEN o.decision <> n.decision THEN 'other' END AS kind
FROM old_side AS o JOIN new_side AS n USING (account, action)
WHERE o.decision <> n.decision OR list_sort(o.rules) <> list_sort(n.rules)
   OR list_sort(list_distinct(o.blocked_by)) <> list_sort(list_distinct(n.blocked_by))
"""


def preflight(old: SideSpec, new: SideSpec, at: datetime, actions: Sequence[str],
              known_at: datetime | None = None) -> tuple[BatchPlan | None, BatchPlan | None]:
    """Each side's plan (None when its bundle declares none of ``actions``), compiled
    before any event is read: raises what :func:`compare` would raise about the bundles
    (an untranslatable rule or fact, a catalog missing or unlike)."""
    check_same_layout(old.bundle, new.bundle)
    return _plan(old, at, known_at, actions), _plan(new, at, known_at, actions)


def _plan(side: SideSpec, at: datetime, known_at: datetime | None, actions: Sequence[str]) -> BatchPlan | None:
    declared = [a for a in actions if a in side.bundle.actions]
    return compile_plan(side.bundle, at, known_at, declared, version=side.version) if declared else None


def compare(old: SideSpec, new: SideSpec, events: pa.Table, at: datetime, actions: Sequence[str], *,
            known_at: datetime | None = None, memory_limit: str | None = None,
            plans: tuple[BatchPlan | None, BatchPlan | None] | None = None) -> Changes:
    """Both sides decided by plans in DuckDB over ``events`` at (``at``, ``known_at``; no
    event after ``at``), and joined there. ``plans`` are those :func:`preflight` compiled
    for the same arguments (compiled here when not given)."""
    chosen = tuple(actions)
    old_plan, new_plan = plans if plans is not None else preflight(old, new, at, chosen, known_at)
    accounts = pc.unique(events.column("account").combine_chunks()) if events.num_rows else pa.array([], pa.string())
    accounts = pc.take(accounts, pc.sort_indices(accounts))
    connection = connect(memory_limit)
    try:
        def plan_of(plan: BatchPlan | None) -> Callable[[Sequence[str]], pa.Table]:
            def run(declared: Sequence[str]) -> pa.Table:
                assert plan is not None and plan.actions == tuple(declared)
                return run_duckdb(plan, events, connection=connection)
            return run

        old_table = side_decisions(old, plan_of(old_plan), chosen, accounts)
        new_table = side_decisions(new, plan_of(new_plan), chosen, accounts)
        return _join(old, new, old_table, new_table, chosen, len(accounts), connection)
    finally:
        connection.close()


def compare_histories(old: SideSpec, new: SideSpec, histories: Sequence[AccountHistory], at: datetime,
                      actions: Sequence[str], *, known_at: datetime | None = None) -> Changes:
    """:func:`compare` with each side decided by the per-account engine: the path a diff
    takes when a side has no plan (and the reference the batch path is tested against)."""
    chosen = tuple(actions)
    accounts = pa.array(sorted(h.account for h in histories), pa.string())

    def engine_of(side: SideSpec) -> Callable[[Sequence[str]], pa.Table]:
        return lambda declared: decision_rows(side.bundle, histories, at, known_at, declared, version=side.version)

    connection = duckdb.connect(":memory:")
    try:
        return _join(old, new, side_decisions(old, engine_of(old), chosen, accounts),
                     side_decisions(new, engine_of(new), chosen, accounts), chosen, len(accounts), connection)
    finally:
        connection.close()


def _join(old: SideSpec, new: SideSpec, old_table: pa.Table, new_table: pa.Table, actions: tuple[str, ...],
          accounts: int, connection: duckdb.DuckDBPyConnection) -> Changes:
    try:
        connection.register("old_side", old_table)
        connection.register("new_side", new_table)
        connection.execute(_JOIN, [list(actions)])
        rows = _arrow(connection.sql(f"SELECT {', '.join(CHANGE_COLUMNS)} FROM pairs ORDER BY account, action_index"))
    except duckdb.Error as exc:
        raise BatchEngineError(f"DuckDB could not compare the two sides: {exc}") from None
    return Changes(accounts, actions, _rules(old), _rules(new), rows)


def changed_since(bundle: Bundle, since: Version, events: pa.Table | EventSource, at: datetime,
                  known_at: datetime | None = None, actions: Sequence[str] | None = None) -> pa.Table:
    """Every account × action decided differently at (``at``, ``known_at``) by the version
    ``since`` than by the version in force then (``replay --changed-since``).

    Columns: :data:`CHANGE_COLUMNS` without ``action_index``, sorted by account then action. A row whose decision is the
    same and whose categories or rules differ is listed too: its explanation changed.
    ``events`` is an event table in the layout of chronolex.batch.layout, or a source read
    into one."""
    if not isinstance(events, pa.Table):
        events = event_table(bundle, events)
    chosen = tuple(actions) if actions is not None else bundle.actions
    in_force = select_version(bundle.versions, at, known_at)
    changes = compare(SideSpec(bundle, since), SideSpec(bundle, in_force), events, at, chosen, known_at=known_at)
    return changes.rows.drop_columns(["action_index"])


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    table: pa.Table = fetch()
    return table
