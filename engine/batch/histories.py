"""Account histories, as the per-account engine holds them, laid out as an event table.

The exact path from any event source to the columnar layout: each history's events in the
per-account engine's order (so ``seq`` is that order by construction), each field
converted by the same rule fact derivation uses (see ``chronolex.batch._from_events``).
It costs a Python step per event; :func:`chronolex.read_event_table` is the faster way
from files, checked against this one.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from chronolex.batch._from_events import table_of_histories
from chronolex.events.event import AccountHistory
from chronolex.model import Bundle


def table_from_histories(bundle: Bundle, histories: Iterable[AccountHistory], label: str = "events") -> pa.Table:
    """Every event of ``histories`` as one event table, sorted by account and ``seq``."""
    return table_of_histories(bundle, sorted(histories, key=lambda h: h.account), label)
