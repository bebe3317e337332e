"""The indexed derivation (bisection, converted values kept, prefix sums) gives exactly
what the plain scan of the visible events gives."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from chronolex.evaluation.facts import _derive_indexed, _derive_scanned, _visible
from chronolex.events.event import AccountHistory, Event
from chronolex.events.encoding import freeze_fields
from chronolex.lang import types as t
from chronolex.model import Derivation, Fact
from chronolex.instants import Duration

ZONE = ZoneInfo("America/New_York")
START = datetime(2026, 1, 1, tzinfo=timezone.utc)

values = st.one_of(st.integers(-50, 50), st.decimals(-100, 100, places=2), st.just("x"), st.none(), st.booleans())
events = st.lists(
    st.tuples(st.integers(0, 90 * 24), st.sampled_from(["loan", "other"]), st.one_of(st.just(None), values)),
    max_size=40,
)


def history_of(raw: list[tuple[int, str, object]]) -> AccountHistory:
    made = []
    for hours, kind, value in raw:
        at = START + timedelta(hours=hours)
        fields = {} if value is None else {"amount": value}
        made.append(Event("a", at, kind, at, freeze_fields(fields)))
    return AccountHistory("a", made)


@settings(max_examples=150, deadline=None)
@given(
    events,
    st.sampled_from(["count", "exists", "days_since", "latest", "first", "sum", "min", "max"]),
    st.sampled_from([None, "P30D", "PT24H", "P1M", "P12M"]),
    st.sampled_from([t.INT, t.DECIMAL]),
    st.integers(0, 100 * 24),
    st.one_of(st.none(), st.integers(0, 100 * 24)),
)
def test_indexed_and_scanned_derivations_agree(raw: list[tuple[int, str, object]], aggregation: str,
                                              window: str | None, kind: t.Type, at_hours: int,
                                              cutoff_hours: int | None) -> None:
    history = history_of(raw)
    derivation = Derivation(
        aggregation, "loan", None if aggregation in ("count", "exists", "days_since") else "amount",
        Duration.parse(window) if window else None, None, Decimal(7) if kind == t.DECIMAL else 7, True,
    )
    fact_type = t.INT if aggregation in ("count", "days_since") else t.BOOL if aggregation == "exists" else kind
    fact = Fact("f", fact_type, derivation)
    at = START + timedelta(hours=at_hours)
    cutoff = None if cutoff_hours is None else START + timedelta(hours=cutoff_hours)
    indexed = _derive_indexed(fact, derivation, history, at, ZONE, cutoff)
    scanned = _derive_scanned(fact, derivation, _visible(history, derivation, at, None, ZONE, cutoff), at, ZONE)
    assert indexed == scanned
    # and again from the cache the first call filled
    assert _derive_indexed(fact, derivation, history, at, ZONE, cutoff) == scanned


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=700), st.data())
def test_the_min_max_index_finds_the_first_extreme_of_any_window(numbers: list[int], data: st.DataObject) -> None:
    """The block index of a long series answers as a scan does: the first of equal extremes."""
    from chronolex.evaluation.facts import _Series

    events = [Event("a", "reading", START + timedelta(minutes=i), START + timedelta(minutes=i),
                    freeze_fields({"value": v})) for i, v in enumerate(numbers)]
    series = _Series(events, "value", t.INT, ZONE)
    for _ in range(5):
        lo = data.draw(st.integers(0, len(numbers) - 1))
        hi = data.draw(st.integers(lo + 1, len(numbers)))
        window = numbers[lo:hi]
        assert series.extreme(lo, hi, True) == lo + window.index(max(window))
        assert series.extreme(lo, hi, False) == lo + window.index(min(window))
