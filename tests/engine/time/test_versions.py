"""Bitemporal version selection: in force at T as known at K."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from chronolex import Version, in_force_spans, select_version

UTC = timezone.utc


def v(id: str, eff: str, pub: str) -> Version:
    return Version(id, datetime.fromisoformat(eff).replace(tzinfo=UTC), datetime.fromisoformat(pub).replace(tzinfo=UTC), ())


A = v("A", "2025-01-01", "2024-12-01")
B = v("B", "2025-07-01", "2025-07-15")  # retroactive
C = v("C", "2026-01-01", "2025-12-01")
C2 = v("C2", "2026-01-01", "2025-12-20")  # a correction of C, same start, published later
ALL = (A, B, C, C2)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_greatest_effective_from_not_after_t() -> None:
    assert select_version(ALL, at("2025-03-01")) is A
    assert select_version(ALL, at("2025-07-01")) is B
    assert select_version(ALL, at("2024-12-31T23:59:59")) is None


def test_ties_go_to_the_later_publication() -> None:
    assert select_version(ALL, at("2026-02-01")) is C2
    assert select_version(ALL, at("2026-02-01"), known_at=at("2025-12-10")) is C


def test_as_known_at_ignores_versions_published_later() -> None:
    assert select_version(ALL, at("2025-07-08"), known_at=at("2025-07-10")) is A
    assert select_version(ALL, at("2025-07-08"), known_at=at("2025-07-15")) is B


def test_no_policy_known_yet() -> None:
    assert select_version(ALL, at("2025-03-01"), known_at=at("2024-11-01")) is None


def test_in_force_spans_are_consecutive_and_skip_superseded_versions() -> None:
    spans = in_force_spans(ALL)
    assert [s.version.id for s in spans] == ["A", "B", "C2"]
    assert [s.end for s in spans[:-1]] == [s.start for s in spans[1:]]
    assert spans[-1].end is None


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1)),
       st.one_of(st.none(), st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1))))
def test_spans_agree_with_point_selection(t: datetime, k: datetime | None) -> None:
    instant = t.replace(tzinfo=UTC)
    known = k.replace(tzinfo=UTC) if k else None
    chosen = select_version(ALL, instant, known)
    containing = [s.version for s in in_force_spans(ALL, known) if s.contains(instant)]
    assert containing == ([chosen] if chosen else [])
