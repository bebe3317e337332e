"""The batch impact of a policy change is the per-account impact, on every input.

Random bundles with event catalogs and two pinned versions (or a whole bundle as a side),
random populations around instants where windows and DST meet: the report of
``diff --accounts`` (counts, flips, transitions, per-rule impact, examples, affected) and
the rows of ``--notify`` must be the same whichever engine decided them.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chronolex
from chronolex import MemorySource, Side
from chronolex.batch.histories import table_from_histories
from tests.batch.strategies import ACTIONS, batch_bundles, instants, load, populations
from tests.conftest import HUABEI
from tests.examples import examples


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Side, Side, MemorySource, datetime, list[str] | None, int]:
    bundle = load(draw(batch_bundles()))
    choices = [None, *bundle.versions]
    old_version, new_version = draw(st.sampled_from(choices)), draw(st.sampled_from(choices))
    at = draw(instants())
    histories = draw(populations(at))
    source = MemorySource(e for h in histories for e in h.events)
    actions = draw(st.none() | st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True))
    old = Side(f"batch@{old_version.id}" if old_version else "batch", bundle, old_version)
    new = Side(f"batch@{new_version.id}" if new_version else "batch", bundle, new_version)
    return old, new, source, at, actions, draw(st.integers(0, 3))


@settings(max_examples=examples(25, 200), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_cases())
def test_batch_impact_is_the_per_account_impact(case: tuple[Side, Side, MemorySource, datetime, list[str] | None,
                                                            int]) -> None:
    old, new, source, at, actions, examples = case
    expected = chronolex.impact(old, new, source, at, actions=actions, examples=examples)
    batch = chronolex.BatchImpact(old, new, at, actions)
    assert batch.run(source, examples=examples).to_json() == expected.to_json()
    assert batch.changes is not None
    per_account = chronolex.account_changes(old, new, source, at, actions)
    assert chronolex.notifications(batch.changes, "en").to_pylist() == \
        chronolex.notifications(per_account, "en").to_pylist()


@pytest.mark.parametrize("since", ["2024.01", "2025.07", "2026.06"])
@pytest.mark.parametrize("when", ["2025-03-01T00:00:00+08:00", "2026-03-15T12:00:00+08:00", "2026-06-15T12:00:00+08:00"])
def test_changed_since_lists_what_the_pinned_version_decides_otherwise(since: str, when: str) -> None:
    bundle = chronolex.load_bundle(HUABEI)
    source = chronolex.open_source([str(HUABEI / "examples" / "events.jsonl")], bundle.timezone,
                                   catalog=bundle.events)
    events = table_from_histories(bundle, [source.history(a) for a in sorted(source.accounts())])
    at = datetime.fromisoformat(when)
    pinned = next(v for v in bundle.versions if v.id == since)
    rows = chronolex.changed_since(bundle, pinned, events, at)
    expected = chronolex.account_changes(Side("old", bundle, pinned), Side("new", bundle), source, at)
    assert rows.to_pylist() == expected.rows.drop_columns(["action_index"]).to_pylist()
    assert chronolex.changed_since(bundle, bundle.versions[-1], events,
                                   datetime.fromisoformat("2026-07-01T00:00:00+08:00")).num_rows == 0
