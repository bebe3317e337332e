"""Shared by the Spark tests: event histories as the batch layout, and the per-account answer.

The layout table is built here from the per-account engine's own histories (the Python
reader), so the batch engines are compared with that engine on exactly the events it saw:
``seq`` is each event's position in ``history.events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import chronolex
from chronolex.batch.histories import table_from_histories



def layout_table(bundle: chronolex.Bundle, histories: Iterable[chronolex.AccountHistory], *,
                 with_seq: bool = True) -> pa.Table:
    """The histories' events as the columnar event table of chronolex.batch.layout."""
    table = table_from_histories(bundle, histories)
    return table if with_seq else table.drop_columns(["seq"])


def write_layout(table: pa.Table, path: Path) -> str:
    pq.write_table(table, path)
    return str(path)


def python_rows(bundle: chronolex.Bundle, histories: Sequence[chronolex.AccountHistory], actions: Sequence[str],
                at: datetime, known_at: datetime | None = None) -> list[dict[str, Any]]:
    """The per-account engine's answer as result rows, sorted by account then action order."""
    evaluator = chronolex.Evaluator(bundle)
    rows = []
    for history in sorted(histories, key=lambda h: h.account):
        for action in actions:
            decision = chronolex.decide(bundle, history, action, at, known_at, evaluator=evaluator)
            rows.append({"account": history.account, "action": action, "decision": str(decision.decision),
                         "blocked_by": list(decision.blocked_by),
                         "rules": [reason.rule.id for reason in decision.reasons],
                         "undetermined": [reason.rule.id for reason in decision.undetermined],
                         "version": decision.version.id if decision.version is not None else None})
    return rows
