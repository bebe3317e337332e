"""``diff --notify FILE``: the notification rows written as JSON Lines, CSV or Parquet.

The format follows the file's extension and is checked before any account is decided.
Every format is written under a temporary name in the same folder and renamed at the end,
so a notification system never reads half a file and a failed run leaves none behind. In
CSV the three list columns (``rules``, ``messages``, ``remedies``) are JSON arrays, since a
customer message may hold any character a CSV separator would need.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any


from chronolex.cli._common import fail, output_stream, write_parquet

#: The extensions --notify understands.
FORMATS = (".jsonl", ".csv", ".parquet")
_LISTS = ("rules", "messages", "remedies")


def notify_format(path: str) -> str:
    """The format of ``path`` by its extension, or exit 2."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        fail(f"--notify {path}: the file name must end in {', '.join(FORMATS)} (it chooses the format)")
    return suffix


def write_notifications(path: str, table: Any) -> None:
    """The Arrow table of ``chronolex.notifications`` written to ``path``."""
    suffix = notify_format(path)
    if suffix == ".parquet":
        write_parquet(str(path), table)
        return
    rows = table.to_pylist()
    with output_stream(path) as out:
        if suffix == ".jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in rows:
            writer.writerow([json.dumps(row[name], ensure_ascii=False) if name in _LISTS else row[name]
                             for name in table.column_names])
        out.write(buffer.getvalue())
