"""The checksum of an ingest batch: what the store records so that damage cannot read as data.

SQLite's own checks (``integrity_check``) find a broken page or index, but not a byte
changed inside a row's text: a flipped digit in an instant or a field reads back as a
different, perfectly valid event. So each ingest records, for the rows it added, a
SHA-256 over their canonical text, and ``chronolex store verify`` recomputes it.

The canonical text of a batch is the JSON array of its rows in key order, each row the
array ``[key, account, at, recorded_at, type, id, fields]`` of the stored column values
(``id`` is ``null`` when absent), written compactly (no spaces) with every non-ASCII
character escaped, so the text is ASCII and its bytes are fixed whatever the content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from itertools import islice

#: One stored row: key, account, at, recorded_at, type, id, fields (the column order of ``events``).
Row = tuple[str, str, str, str, str, "str | None", str]

_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)
_CHUNK = 4096


def batch_digest(rows: Iterable[Sequence[object]]) -> str:
    """SHA-256 (hex) of the canonical text of ``rows``, which must come in key order.

    The rows are encoded a few thousand at a time, so a large batch never needs its
    whole text in memory, and the result is the digest of the one JSON array.

    >>> batch_digest([]) == hashlib.sha256(b"[]").hexdigest()
    True
    >>> one = ("id:e-1", "a", "2026-03-01T00:00:00.000000+00:00", "2026-03-01T00:00:00.000000+00:00", "x", "e-1", "{}")
    >>> batch_digest([one]) == hashlib.sha256(json.dumps([one], separators=(",", ":")).encode()).hexdigest()
    True
    """
    digest = hashlib.sha256(b"[")
    iterator = iter(rows)
    first = True
    while chunk := list(islice(iterator, _CHUNK)):
        text = _ENCODER.encode(chunk)[1:-1]  # the rows without the brackets of this chunk's array
        digest.update((text if first else "," + text).encode("ascii"))
        first = False
    digest.update(b"]")
    return digest.hexdigest()
