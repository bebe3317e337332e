"""Fact derivation at (T, K) with provenance (docs/policy-format.md, docs/reference/time.md).

Every expected value here is worked out by hand from the fact catalog and the time semantics (docs/reference/time.md):
events with ``at <= T`` and ``recorded_at <= K``; windows ``T - window < at <= T`` with
calendar arithmetic in the bundle timezone; ``where`` filters; ``expr`` facts with
``now = T``; unknown kept apart from false.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import chronolex
from chronolex import UNKNOWN, derive_facts, given_facts
from chronolex.evaluation.facts import leaves_window
from chronolex.instants import Duration
from tests.conftest import HUABEI
from tests.replay_strategies import BUNDLES, ev, history, local

TICK = timedelta(microseconds=1)
SH = "Asia/Shanghai"


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


def facts_at(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, at: str, known_at: str | None = None,
             names: tuple[str, ...] | None = None) -> dict[str, chronolex.FactValue]:
    zone = bundle.timezone
    return derive_facts(bundle, hist, local(at, zone), local(known_at, zone) if known_at else None, names)


def value(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, name: str, at: str, known_at: str | None = None) -> object:
    return facts_at(bundle, hist, at, known_at, (name,))[name].value


# -- aggregations -------------------------------------------------------------------------------


def test_latest_is_the_most_recent_event_at_or_before_t(huabei: chronolex.Bundle) -> None:
    old = ev("credit_score_updated", "2026-01-01T06:00", SH, score=700)
    new = ev("credit_score_updated", "2026-02-01T06:00", SH, score=650)
    hist = history(old, new)
    assert value(huabei, hist, "credit_score", "2026-01-15") == 700
    assert value(huabei, hist, "credit_score", "2026-02-01T05:59:59") == 700
    found = facts_at(huabei, hist, "2026-02-01T06:00", names=("credit_score",))["credit_score"]
    assert found.value == 650  # at <= T: an event at T itself is seen
    assert found.events == (new,)
    assert value(huabei, hist, "credit_score", "2025-12-31T23:59") is UNKNOWN


def test_a_fact_without_events_or_default_is_unknown_not_false(huabei: chronolex.Bundle) -> None:
    facts = facts_at(huabei, history(), "2026-03-01")
    for name in ("credit_score", "birth_date", "occupation", "age", "days_since_password_reset"):
        assert facts[name].value is UNKNOWN and facts[name].unknown, name
        assert facts[name].events == ()
    # count and exists always have a value; the others fall back to their default
    assert facts["kyc_verified"].value is False and not facts["kyc_verified"].unknown
    assert facts["password_resets_7d"].value == 0
    assert facts["credit_report_consent"].value is False
    assert facts["account_status"].value == "active"
    assert facts["borrowed_30d"].value == Decimal(0)
    assert facts["overdue_days_max_12m"].value == 0
    assert facts["account_tier"].value == "standard"


def test_exists_carries_the_latest_event_as_evidence(huabei: chronolex.Bundle) -> None:
    first = ev("kyc_verified", "2025-01-01T10:00", SH, method="id_card")
    second = ev("kyc_verified", "2025-06-01T10:00", SH, method="face")
    fact = facts_at(huabei, history(first, second), "2025-12-01", names=("kyc_verified",))["kyc_verified"]
    assert fact.value is True
    assert fact.events == (second,) and fact.total_events == 2
    assert value(huabei, history(first, second), "kyc_verified", "2024-12-31") is False


def test_sum_is_an_exact_decimal_over_its_window_with_every_event_as_evidence(huabei: chronolex.Bundle) -> None:
    loans = [
        ev("loan_disbursed", "2026-02-25T14:30", SH, amount=3000),
        ev("loan_disbursed", "2026-03-05T20:10", SH, amount=Decimal("2500.10")),
        ev("loan_disbursed", "2026-03-12T12:00", SH, amount=Decimal("800.25")),
    ]
    fact = facts_at(huabei, history(loans), "2026-03-16T10:00", names=("borrowed_30d",))["borrowed_30d"]
    assert fact.value == Decimal("6300.35") and isinstance(fact.value, Decimal)
    assert fact.events == tuple(loans) and fact.total_events == 3
    # P30D: 2026-03-27T14:30 - 30 days = 2026-02-25T14:30, which is not after the first loan
    assert value(huabei, history(loans), "borrowed_30d", "2026-03-27T14:29:59") == Decimal("6300.35")
    assert value(huabei, history(loans), "borrowed_30d", "2026-03-27T14:30") == Decimal("3300.35")


def test_where_keeps_only_matching_events(huabei: chronolex.Bundle) -> None:
    small = ev("loan_disbursed", "2026-03-01T10:00", SH, amount=999)
    exact = ev("loan_disbursed", "2026-03-02T10:00", SH, amount=1000)
    large = ev("loan_disbursed", "2026-03-03T10:00", SH, amount=Decimal("5000.00"))
    no_amount = ev("loan_disbursed", "2026-03-04T10:00", SH)
    wrong_type = ev("loan_disbursed", "2026-03-05T10:00", SH, amount="lots")
    fact = facts_at(huabei, history(small, exact, large, no_amount, wrong_type), "2026-03-10",
                    names=("large_loans_30d",))["large_loans_30d"]
    assert fact.value == 2
    assert fact.events == (exact, large)


def test_max_over_a_p12m_window_and_its_evidence(huabei: chronolex.Bundle) -> None:
    long = ev("repayment_overdue", "2025-03-10", SH, days=45)
    short = ev("repayment_overdue", "2025-06-01", SH, days=10)
    hist = history(long, short)
    fact = facts_at(huabei, hist, "2026-03-09T23:59:59", names=("overdue_days_max_12m",))["overdue_days_max_12m"]
    assert fact.value == 45 and fact.events == (long,)
    # 2026-03-10T00:00 - 12 months = 2025-03-10T00:00 >= the event: it has left the window
    fact = facts_at(huabei, hist, "2026-03-10", names=("overdue_days_max_12m",))["overdue_days_max_12m"]
    assert fact.value == 10 and fact.events == (short,)
    assert value(huabei, hist, "overdue_days_max_12m", "2026-06-01") == 0  # the default


def test_a_field_of_the_wrong_type_is_ignored_with_a_note(huabei: chronolex.Bundle) -> None:
    good = ev("credit_score_updated", "2026-01-01", SH, score=700)
    bad = ev("credit_score_updated", "2026-02-01", SH, score="seven hundred")
    fact = facts_at(huabei, history(good, bad), "2026-03-01", names=("credit_score",))["credit_score"]
    assert fact.value == 700 and fact.events == (good,)
    assert fact.notes and "credit_score" in fact.notes[0]


def test_an_enum_value_outside_the_enum_is_not_taken(huabei: chronolex.Bundle) -> None:
    frozen = ev("status_changed", "2026-01-01", SH, status="frozen")
    odd = ev("status_changed", "2026-02-01", SH, status="suspended")
    assert value(huabei, history(frozen, odd), "account_status", "2026-03-01") == "frozen"


# -- windows: boundaries and calendar arithmetic ---------------------------------------------------


def test_a_window_covers_t_minus_window_exclusive_to_t_inclusive(huabei: chronolex.Bundle) -> None:
    failed = ev("login_failed", "2026-04-14T22:05", SH)
    hist = history(failed)
    zone = huabei.timezone
    at = failed.at
    for instant, expected in ((at - TICK, 0), (at, 1), (at + timedelta(hours=24) - TICK, 1),
                              (at + timedelta(hours=24), 0)):
        got = derive_facts(huabei, hist, instant, names=("login_failures_24h",))["login_failures_24h"].value
        assert got == expected, instant.astimezone(zone).isoformat()


@pytest.fixture(scope="module")
def calendar() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "calendar-windows")


@pytest.mark.parametrize("at", ["2024-02-29", "2024-02-29T10:00", "2024-02-29T23:59:59"])
def test_an_event_on_29_february_leaves_a_p12m_window_on_1_march(calendar: chronolex.Bundle, at: str) -> None:
    hist = history(ev("repayment_overdue", at, SH))
    assert value(calendar, hist, "overdue_12m", "2025-02-28T10:00") == 1  # not at + 12 months (clamped)
    assert value(calendar, hist, "overdue_12m", "2025-02-28T23:59") == 1
    assert value(calendar, hist, "overdue_12m", "2025-02-28T23:59:59.999999") == 1
    assert value(calendar, hist, "overdue_12m", "2025-03-01T00:00") == 0
    assert leaves_window(local(at, SH), Duration(months=12), calendar.timezone) == local("2025-03-01", SH)


def test_a_p1m_window_from_31_march(calendar: chronolex.Bundle) -> None:
    hist = history(ev("loan_disbursed", "2026-03-31T10:00", SH))
    # 2026-04-30T23:59:59 - 1 month = 2026-03-30T23:59:59 < the event: still inside
    assert value(calendar, hist, "loans_1m", "2026-04-30T10:00") == 1
    assert value(calendar, hist, "loans_1m", "2026-04-30T23:59:59") == 1
    # 2026-05-01 - 1 month = 2026-04-01 >= the event: gone
    assert value(calendar, hist, "loans_1m", "2026-05-01T00:00") == 0
    assert leaves_window(local("2026-03-31T10:00", SH), Duration(months=1), calendar.timezone) == local(
        "2026-05-01", SH)
    # an event on the 30th leaves exactly one month later
    assert leaves_window(local("2026-03-30T10:00", SH), Duration(months=1), calendar.timezone) == local(
        "2026-04-30T10:00", SH)
    # and one on 31 January leaves on 1 March (February has no 29th, 30th or 31st in 2026)
    assert leaves_window(local("2026-01-31T10:00", SH), Duration(months=1), calendar.timezone) == local(
        "2026-03-01", SH)


def shanghai_copy(tmp_path: Path) -> Path:
    target = tmp_path / "dst-shanghai"
    shutil.copytree(BUNDLES / "dst-berlin", target)
    manifest = target / "bundle.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("Europe/Berlin", SH), encoding="utf-8")
    return target


# (bundle, zone, event at, PT24H leaves at, P1D leaves at), all local times of the bundle
DST_WINDOWS = [
    # New York springs forward on 2026-03-08 (a 23-hour day)
    ("dst-new-york", "America/New_York", "2026-03-07T12:00", "2026-03-08T13:00-04:00", "2026-03-08T12:00-04:00"),
    # and falls back on 2026-11-01 (a 25-hour day)
    ("dst-new-york", "America/New_York", "2026-10-31T12:00", "2026-11-01T11:00-05:00", "2026-11-01T12:00-05:00"),
    ("dst-berlin", "Europe/Berlin", "2026-03-28T12:00", "2026-03-29T13:00+02:00", "2026-03-29T12:00+02:00"),
    ("dst-berlin", "Europe/Berlin", "2026-10-24T12:00", "2026-10-25T11:00+01:00", "2026-10-25T12:00+01:00"),
    # no DST in Shanghai: both after exactly 24 hours
    ("shanghai", SH, "2026-03-28T12:00", "2026-03-29T12:00+08:00", "2026-03-29T12:00+08:00"),
]


@pytest.mark.parametrize(("name", "zone", "at", "elapsed_end", "wall_end"), DST_WINDOWS)
def test_pt24h_is_elapsed_time_and_p1d_is_wall_clock_across_dst(
    tmp_path: Path, name: str, zone: str, at: str, elapsed_end: str, wall_end: str
) -> None:
    root = shanghai_copy(tmp_path) if name == "shanghai" else BUNDLES / name
    bundle = chronolex.load_bundle(root)
    assert bundle.timezone.key == zone
    failed = ev("login_failed", at, zone)
    hist = history(failed)
    pt24h, p1d = local(elapsed_end, zone), local(wall_end, zone)
    assert leaves_window(failed.at, Duration(hours=24), bundle.timezone) == pt24h
    assert leaves_window(failed.at, Duration(days=1), bundle.timezone) == p1d
    for fact, leaves in (("fails_24h", pt24h), ("fails_1d", p1d)):
        assert derive_facts(bundle, hist, leaves - TICK, names=(fact,))[fact].value == 1, fact
        assert derive_facts(bundle, hist, leaves, names=(fact,))[fact].value == 0, fact


# -- known_at ---------------------------------------------------------------------------------------


def test_events_recorded_after_k_are_not_seen(huabei: chronolex.Bundle) -> None:
    before = ev("credit_score_updated", "2025-10-02T06:00", SH, score=690)
    late = ev("credit_score_updated", "2026-02-10T06:00", SH, recorded="2026-02-14T09:00", score=530)
    hist = history(before, late)
    assert value(huabei, hist, "credit_score", "2026-02-12T10:00") == 530
    assert value(huabei, hist, "credit_score", "2026-02-12T10:00", known_at="2026-02-12T10:00") == 690
    assert value(huabei, hist, "credit_score", "2026-02-12T10:00", known_at="2026-02-14T08:59:59") == 690
    assert value(huabei, hist, "credit_score", "2026-02-12T10:00", known_at="2026-02-14T09:00") == 530
    # known or not, an event after T is never seen at T
    assert value(huabei, hist, "credit_score", "2026-02-10T05:59", known_at="2026-03-01") == 690


def test_a_window_count_as_known_at_k(huabei: chronolex.Bundle) -> None:
    on_time = ev("login_failed", "2026-04-15T07:40", SH)
    late = ev("login_failed", "2026-04-15T07:42", SH, recorded="2026-04-15T09:00")
    hist = history(on_time, late)
    assert value(huabei, hist, "login_failures_24h", "2026-04-15T08:00") == 2
    assert value(huabei, hist, "login_failures_24h", "2026-04-15T08:00", known_at="2026-04-15T08:00") == 1


# -- now-dependent facts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ages() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "age")


BERLIN = "Europe/Berlin"


def test_an_age_from_years_between_birth_date_and_now_changes_at_local_midnight(ages: chronolex.Bundle) -> None:
    profile = ev("profile_updated", "2025-02-01T10:00", BERLIN, birth_date="2008-06-15")
    hist = history(profile)
    before = facts_at(ages, hist, "2026-06-14T23:59:59")
    assert before["age"].value == 17
    assert before["birth_date"].value == date(2008, 6, 15)
    assert before["age"].events == (profile,)  # an expr fact carries the events of the facts it reads
    assert value(ages, hist, "age", "2026-06-15T00:00") == 18
    assert value(ages, hist, "age", "2026-06-15T00:00+02:00") == 18
    assert value(ages, hist, "age", "2026-06-14T23:30:00+02:00") == 17


def test_someone_born_on_29_february_turns_older_on_1_march(ages: chronolex.Bundle) -> None:
    hist = history(ev("profile_updated", "2025-02-01", BERLIN, birth_date="2008-02-29"))
    assert value(ages, hist, "age", "2026-02-28T23:59:59") == 17
    assert value(ages, hist, "age", "2026-03-01T00:00") == 18


def test_an_expr_fact_of_an_unknown_fact_is_unknown(ages: chronolex.Bundle) -> None:
    facts = facts_at(ages, history(ev("profile_updated", "2025-02-01", BERLIN)), "2026-01-01")
    assert facts["birth_date"].value is UNKNOWN
    assert facts["age"].value is UNKNOWN


def test_days_since_counts_whole_elapsed_days_across_dst(ages: chronolex.Bundle) -> None:
    reset = ev("password_reset", "2026-03-28T10:00", BERLIN)  # 09:00 UTC; Berlin springs forward on 03-29
    hist = history(reset)
    fact = facts_at(ages, hist, "2026-03-29T12:00", names=("days_since_reset",))["days_since_reset"]
    assert fact.value == 1 and fact.events == (reset,)
    assert value(ages, hist, "days_since_reset", "2026-03-28T10:00") == 0
    assert value(ages, hist, "days_since_reset", "2026-03-30T10:30") == 1  # 47.5 hours
    assert value(ages, hist, "days_since_reset", "2026-03-30T11:00") == 2  # 48 hours
    assert value(ages, hist, "days_since_reset", "2026-03-28T09:59") is UNKNOWN


def test_days_since_uses_the_latest_event(ages: chronolex.Bundle) -> None:
    hist = history(ev("password_reset", "2026-01-01T10:00", BERLIN), ev("password_reset", "2026-01-10T10:00", BERLIN))
    assert value(ages, hist, "days_since_reset", "2026-01-12T10:00") == 2


# -- selection of facts and given facts -----------------------------------------------------------


def test_names_restrict_derivation_to_what_they_need(huabei: chronolex.Bundle) -> None:
    facts = facts_at(huabei, history(), "2026-03-01", names=("age",))
    assert set(facts) == {"age", "birth_date"}


def test_a_cutoff_hides_later_events(huabei: chronolex.Bundle) -> None:
    hist = history(ev("credit_score_updated", "2026-01-01", SH, score=700),
                   ev("credit_score_updated", "2026-02-01", SH, score=500))
    facts = derive_facts(huabei, hist, local("2026-03-01", SH), names=("credit_score",),
                         cutoff=local("2026-01-15", SH))
    assert facts["credit_score"].value == 700


def test_given_facts_are_coerced_and_expr_facts_computed_from_them(huabei: chronolex.Bundle) -> None:
    facts = given_facts(huabei, {"birth_date": "2008-06-15", "credit_score": 580, "borrowed_30d": "12.50"},
                        local("2026-06-15", SH))
    assert facts["birth_date"].value == date(2008, 6, 15)
    assert facts["age"].value == 18
    assert facts["credit_score"].value == 580
    assert facts["borrowed_30d"].value == Decimal("12.50")
    assert facts["kyc_verified"].value is False
    assert facts["occupation"].value is UNKNOWN
    with pytest.raises(chronolex.ChronolexError, match="unknown fact 'no_such_fact'"):
        given_facts(huabei, {"no_such_fact": 1}, local("2026-06-15", SH))


def test_a_window_reaching_back_past_the_supported_years_starts_before_every_event() -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from chronolex.evaluation.facts import leaves_window, window_start
    from chronolex.instants import AFTER_RANGE, BEFORE_RANGE, Duration, parse_instant

    shanghai = ZoneInfo("Asia/Shanghai")
    first = parse_instant("1000-01-01", shanghai)
    earliest_event = parse_instant("1000-01-01T00:00+23:59", shanghai)  # the first instant an event may have
    for window in ("P12M", "P900Y", "P1D", "PT24H"):
        start = window_start(first, Duration.parse(window), shanghai)
        assert start is not None and BEFORE_RANGE <= start < earliest_event
    # an exact start inside the calendar is kept: only a start before the range moves
    assert window_start(parse_instant("1000-06-01", shanghai), Duration.parse("P1M"), shanghai) == \
        parse_instant("1000-05-01", shanghai)
    last = parse_instant("9000-12-31T23:59:59-23:59", shanghai)  # the last instant an event may have
    assert last < AFTER_RANGE
    assert leaves_window(last, Duration.parse("P900Y"), shanghai) > AFTER_RANGE
    assert leaves_window(last, Duration.parse("P12M"), shanghai) == datetime(9002, 1, 1, 23, 58, 59, tzinfo=timezone.utc)
