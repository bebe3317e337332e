"""The per-account engine behind the batch replay's interface: the reference and the
fallback.

Each account's history is decided by the evaluator ``chronolex why`` uses (facts derived,
rules assessed; no explanation is built, which is what makes ``why`` slower). Its rows
are the batch engines' specification: the tests hold DuckDB and Spark to them, row for row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import pyarrow as pa

from chronolex.batch.output import SCHEMA
from chronolex.batch.progress import Monotonic, Progress
from chronolex.evaluation.assess import Evaluator
from chronolex.evaluation.facts import derive_facts
from chronolex.events.event import AccountHistory
from chronolex.model import Bundle, Version
from chronolex.time.versions import select_version

IN_FORCE = object()  # the version the bundle puts in force at (T, K)


def decision_rows(bundle: Bundle, histories: Iterable[AccountHistory], at: datetime,
                  known_at: datetime | None = None, actions: Sequence[str] | None = None, *,
                  version: object = IN_FORCE, progress: Progress | None = None) -> pa.Table:
    """The batch replay's table from the per-account engine (sorted by account, then action);
    ``progress`` is told the fraction of accounts decided after each one."""
    evaluator = Evaluator(bundle)
    chosen = tuple(actions) if actions is not None else bundle.actions
    in_force = select_version(bundle.versions, at, known_at) if version is IN_FORCE else version
    assert in_force is None or isinstance(in_force, Version)
    rows: dict[str, list[object]] = {name: [] for name in SCHEMA.names}
    ordered = sorted(histories, key=lambda h: h.account)
    report = Monotonic(progress) if progress is not None else None
    if report is not None:
        report(0.0)
    for done, history in enumerate(ordered, start=1):
        for action in chosen:
            if in_force is None:
                decision, blocked_by, rules, undetermined = "no_policy", [], [], []
            else:
                names = evaluator.facts_for(in_force, action)
                facts = derive_facts(bundle, history, at, known_at, names, cutoff=at)
                assessment = evaluator.assess(in_force, facts, action, at)
                decision = assessment.decision
                blocked_by = list(assessment.blocked_by(bundle))
                rules = [o.rule.id for o in assessment.restricting]
                undetermined = [o.rule.id for o in assessment.undetermined]
            for name, value in zip(SCHEMA.names, (history.account, action, decision, blocked_by, rules,
                                                  undetermined, in_force.id if in_force else None)):
                rows[name].append(value)
        if report is not None:
            report(done / len(ordered))
    if report is not None:
        report.done()
    return pa.Table.from_pydict(rows, schema=SCHEMA)
