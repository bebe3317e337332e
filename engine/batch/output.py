"""The result of a batch replay as users read it: one row per account and action.

Every engine's query returns the same columns with id lists as space-separated text (so
the query stays portable); :func:`finish` turns them into lists and puts the rows in one
order, account then the bundle's order of actions, so the same input gives the same
bytes whichever engine ran.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

#: The columns of a batch replay, in order, with their Arrow types.
SCHEMA = pa.schema([
    ("account", pa.string()),
    ("action", pa.string()),
    ("decision", pa.string()),
    ("blocked_by", pa.list_(pa.string())),
    ("rules", pa.list_(pa.string())),
    ("undetermined", pa.list_(pa.string())),
    ("version", pa.string()),
])


def _ids(column: Any) -> Any:
    """'' → [], 'A B' → ['A', 'B']."""
    text = pc.cast(column, pa.string())
    split = pc.split_pattern(text, " ")
    return pc.if_else(pc.equal(text, ""), pa.scalar([], pa.list_(pa.string())), split)


def finish(table: pa.Table) -> pa.Table:
    """The query's rows as the batch replay's table (see :data:`SCHEMA`), sorted."""
    ordered = table.sort_by([("account", "ascending"), ("action_index", "ascending")])
    columns = [
        pc.cast(ordered.column("account"), pa.string()),
        pc.cast(ordered.column("action"), pa.string()),
        pc.cast(ordered.column("decision"), pa.string()),
        _ids(ordered.column("blocked_by")),
        _ids(ordered.column("rules")),
        _ids(ordered.column("undetermined")),
        pc.cast(ordered.column("version"), pa.string()),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)
