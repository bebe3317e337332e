"""Change points and the walk over them (``chronolex.evaluation.changes``).

Between two change points nothing a decision depends on moves, so ``next_change``,
``lifts`` and ``timeline`` walk them in order. What is checked, on the shipped bundle
``policies/huabei`` and its example events (and two calendar fixtures):

- the walk yields its points in strictly increasing time, each with what changed there,
  and candidates that coincide are reported together;
- the sources of change points: version boundaries (only of versions known at K), rule
  ``active`` bounds, one-off ``window`` bounds, schedule occurrence starts and ends,
  events leaving a fact window (PT24H, P30D; P12M across 29 February and P1M from
  31 March, whose first instant ``T - window >= at`` is not ``at + window``), and
  ``now``-dependent values (an 18th birthday from a 29 February birth date, a
  ``days_since`` threshold);
- ``decide`` walks the history as it stands (no event after T), ``timeline`` replays
  the events that arrive; ``lifts`` only follows what can change its own rules.
"""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from pathlib import Path

import pytest

import chronolex
from chronolex import decide, format_instant, open_source, timeline
from chronolex.evaluation.changes import Walk
from tests.conftest import HUABEI
from tests.helpers.bundles import mini, version
from tests.replay_strategies import BUNDLES, ev, history, local

EXAMPLES = HUABEI / "examples" / "events.jsonl"


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def examples(huabei: chronolex.Bundle) -> chronolex.MemorySource:
    return open_source([EXAMPLES], huabei.timezone)


def walk(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, action: str, at: str,
         known_at: str | None = None, count: int = 10) -> list[tuple[str, str, tuple[str, ...]]]:
    """The first ``count`` change points after ``at`` as (instant, decision there, what changed)."""
    zone = bundle.timezone
    start = local(at, zone)
    known = local(known_at, zone) if known_at else None
    evaluator = chronolex.Evaluator(bundle)
    first = evaluator.point(hist, action, start, known, cutoff=start)
    steps = Walk(evaluator, hist, action, start, known).points(first)
    return [(format_instant(p.at, zone), p.assessment.decision, because) for p, because in islice(steps, count)]


def lifts(decision: chronolex.Decision) -> dict[str, tuple[str | None, str | None]]:
    zone = decision.bundle.timezone
    return {r.rule.id: (format_instant(r.lifts.at, zone) if r.lifts and r.lifts.at else None,
                        r.lifts.because if r.lifts else None) for r in decision.reasons}


def next_change(decision: chronolex.Decision) -> tuple[str | None, tuple[str, ...]]:
    change = decision.next_change
    assert change is not None
    return (format_instant(change.at, decision.bundle.timezone) if change.at else None), change.because


# -- the walk itself -------------------------------------------------------------------------------


def test_points_come_in_strictly_increasing_time_each_with_its_cause(
        huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    points = walk(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00", count=8)
    instants = [datetime.fromisoformat(at) for at, _, _ in points]
    assert instants == sorted(instants) and len(set(instants)) == len(instants)
    assert points[:5] == [
        ("2026-03-22T02:00:00+08:00", "blocked", ("a scheduled window of MW-WEEKLY starts",)),
        ("2026-03-22T04:00:00+08:00", "blocked", ("a scheduled window of MW-WEEKLY ends",)),
        ("2026-03-27T14:30:00+08:00", "allowed",
         ("the loan_disbursed event of 2026-02-25T14:30:00+08:00 leaves the P30D window of borrowed_30d",)),
        ("2026-03-29T02:00:00+08:00", "blocked", ("a scheduled window of MW-WEEKLY starts",)),
        ("2026-03-29T04:00:00+08:00", "allowed", ("a scheduled window of MW-WEEKLY ends",)),
    ]


def test_candidates_at_the_same_instant_are_reported_together(tmp_path: Path) -> None:
    rules = """\
  - {id: MW-A, category: maintenance, actions: [open], window: {start: 2026-03-08T01:00, end: 2026-03-08T05:00}}
  - {id: PLAT-B, category: platform, actions: [open], active: {from: 2026-03-08T03:00, until: 2026-03-08T05:00}}
"""
    bundle = chronolex.load_bundle(mini(tmp_path, ("v1.yaml", version("v1", rules=rules))))
    points = walk(bundle, history(), "open", "2026-03-08T00:00", count=5)
    assert points == [
        ("2026-03-08T01:00:00+08:00", "blocked", ("the window of MW-A starts",)),
        ("2026-03-08T03:00:00+08:00", "blocked", ("the active interval of PLAT-B starts",)),
        ("2026-03-08T05:00:00+08:00", "allowed", ("the active interval of PLAT-B ends", "the window of MW-A ends")),
    ]


# -- the sources of change points -------------------------------------------------------------------


def test_each_version_boundary_is_a_change_point(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    # acct-1002 before its KYC: blocked by REG-REAL-NAME whatever the version
    points = walk(huabei, examples.history("acct-1002"), "open", "2024-12-31T10:00", count=2)
    assert [(at, because) for at, _, because in points] == [
        ("2025-01-01T00:00:00+08:00", ("version 2025.01 takes effect",)),
        ("2025-07-01T00:00:00+08:00", ("version 2025.07 takes effect",)),
    ]
    # 2025.01 keeps the same reason, so the next change of the decision is 2025.07 (it adds REG-CREDIT-CONSENT)
    decision = decide(huabei, examples.history("acct-1002"), "open", local("2024-12-31T10:00", huabei.timezone))
    assert next_change(decision) == ("2025-07-01T00:00:00+08:00", ("version 2025.07 takes effect",))
    assert decision.next_change is not None and decision.next_change.blocked_by == ("regulation",)


def test_only_versions_known_at_k_give_change_points(huabei: chronolex.Bundle,
                                                     examples: chronolex.MemorySource) -> None:
    # 2025.07 takes effect on 2025-07-01 but was published on 2025-07-15
    zone = huabei.timezone
    acct = examples.history("acct-1006")
    today = decide(huabei, acct, "open", local("2025-06-20T10:00", zone))
    assert next_change(today) == ("2025-07-01T00:00:00+08:00", ("version 2025.07 takes effect",))
    then = decide(huabei, acct, "open", local("2025-06-20T10:00", zone), local("2025-07-10", zone))
    assert next_change(then) == (None, ())
    points = walk(huabei, acct, "open", "2025-06-20T10:00", known_at="2025-07-10")
    # what still moves is the customer's age (born 1985-08-30), never the unknown version
    assert points[0] == ("2025-08-30T00:00:00+08:00", "allowed", ("age changes",))
    assert all(because == ("age changes",) for _, _, because in points)


def test_window_bounds_are_change_points(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    points = walk(huabei, examples.history("acct-1002"), "open", "2026-03-07T10:00", count=4)
    assert points == [
        ("2026-03-08T01:00:00+08:00", "blocked", ("the window of MW-CORE-UPGRADE starts",)),
        ("2026-03-08T02:00:00+08:00", "blocked", ("a scheduled window of MW-WEEKLY starts",)),
        ("2026-03-08T04:00:00+08:00", "blocked", ("a scheduled window of MW-WEEKLY ends",)),
        ("2026-03-08T05:00:00+08:00", "allowed", ("the window of MW-CORE-UPGRADE ends",)),
    ]
    decision = decide(huabei, examples.history("acct-1002"), "open", local("2026-03-08T01:30", huabei.timezone))
    assert lifts(decision) == {"MW-CORE-UPGRADE": ("2026-03-08T05:00:00+08:00", "the window of MW-CORE-UPGRADE ends")}
    assert next_change(decision) == ("2026-03-08T02:00:00+08:00", ("a scheduled window of MW-WEEKLY starts",))


def test_active_interval_bounds_are_change_points(huabei: chronolex.Bundle,
                                                  examples: chronolex.MemorySource) -> None:
    points = walk(huabei, examples.history("acct-1007"), "raise_limit", "2026-11-09T10:00", count=2)
    assert points == [
        ("2026-11-10T00:00:00+08:00", "blocked", ("the active interval of PLAT-DOUBLE11-FREEZE starts",)),
        ("2026-11-13T00:00:00+08:00", "allowed", ("the active interval of PLAT-DOUBLE11-FREEZE ends",)),
    ]
    decision = decide(huabei, examples.history("acct-1007"), "raise_limit", local("2026-11-10T09:00", huabei.timezone))
    assert lifts(decision) == {
        "PLAT-DOUBLE11-FREEZE": ("2026-11-13T00:00:00+08:00", "the active interval of PLAT-DOUBLE11-FREEZE ends")}


def test_schedule_occurrences_start_and_end_change_points(huabei: chronolex.Bundle,
                                                          examples: chronolex.MemorySource) -> None:
    points = walk(huabei, examples.history("acct-1002"), "open", "2026-02-20T10:00", count=3)
    assert points == [
        ("2026-03-01T00:00:00+08:00", "allowed", ("version 2026.03 takes effect",)),
        ("2026-03-01T02:00:00+08:00", "blocked", ("a scheduled window of MW-WEEKLY starts",)),
        ("2026-03-01T04:00:00+08:00", "allowed", ("a scheduled window of MW-WEEKLY ends",)),
    ]
    inside = decide(huabei, examples.history("acct-1002"), "open", local("2026-03-15T02:30", huabei.timezone))
    assert lifts(inside) == {"MW-WEEKLY": ("2026-03-15T04:00:00+08:00", "a scheduled window of MW-WEEKLY ends")}


def test_events_leaving_a_24_hour_window_are_change_points(huabei: chronolex.Bundle,
                                                           examples: chronolex.MemorySource) -> None:
    acct = examples.history("acct-1004")  # five failed logins from 2026-04-14 22:05 to 2026-04-15 07:42
    points = walk(huabei, acct, "open", "2026-04-15T08:00", count=5)
    assert [at for at, _, _ in points] == ["2026-04-15T22:05:00+08:00", "2026-04-15T22:07:00+08:00",
                                           "2026-04-15T22:10:00+08:00", "2026-04-16T07:40:00+08:00",
                                           "2026-04-16T07:42:00+08:00"]
    # each failed login leaves 24 hours after it happened
    assert [b for _, _, b in points[:2]] == [
        ("the login_failed event of 2026-04-14T22:05:00+08:00 leaves the PT24H window of login_failures_24h",),
        ("the login_failed event of 2026-04-14T22:07:00+08:00 leaves the PT24H window of login_failures_24h",),
    ]
    # four failures are fewer than five: allowed from the first one leaving on
    assert [d for _, d, _ in points] == ["allowed"] * 5
    decision = decide(huabei, acct, "open", local("2026-04-15T08:00", huabei.timezone))
    assert lifts(decision) == {"PLAT-LOGIN-FAILURES": (
        "2026-04-15T22:05:00+08:00",
        "the login_failed event of 2026-04-14T22:05:00+08:00 leaves the PT24H window of login_failures_24h")}
    assert next_change(decision)[0] == "2026-04-15T22:05:00+08:00"


def test_a_block_lifts_when_enough_events_have_left_the_window(huabei: chronolex.Bundle,
                                                               examples: chronolex.MemorySource) -> None:
    decision = decide(huabei, examples.history("acct-1001"), "open", local("2026-03-16T10:00", huabei.timezone))
    assert lifts(decision) == {"PLAT-RECENT-BORROWING": (
        "2026-03-27T14:30:00+08:00",
        "the loan_disbursed event of 2026-02-25T14:30:00+08:00 leaves the P30D window of borrowed_30d")}
    # the first change point is a maintenance window, which does not touch that rule: lifts skips it
    assert next_change(decision) == ("2026-03-22T02:00:00+08:00", ("a scheduled window of MW-WEEKLY starts",))


@pytest.mark.parametrize(("fact_event", "action", "at", "leaves"), [
    # an event of 29 February leaves a P12M window on 1 March, the first T with T - 12 months >= at
    (("repayment_overdue", "2024-02-29T10:00"), "open", "2024-06-01", "2025-03-01T00:00:00+08:00"),
    # 31 March plus one month is clamped to 30 April, but the event only leaves on 1 May
    (("loan_disbursed", "2024-03-31T10:00"), "borrow", "2024-04-15", "2024-05-01T00:00:00+08:00"),
])
def test_a_calendar_window_is_left_at_the_first_instant_t_minus_window_reaches_the_event(
        fact_event: tuple[str, str], action: str, at: str, leaves: str) -> None:
    bundle = chronolex.load_bundle(BUNDLES / "calendar-windows")
    kind, when = fact_event
    decision = decide(bundle, history(ev(kind, when, bundle.timezone)), action, local(at, bundle.timezone))
    ((rule, (lift_at, because)),) = lifts(decision).items()
    assert lift_at == leaves
    assert because is not None and because.startswith(f"the {kind} event of {when}:00+08:00 leaves the P1")


def test_an_eighteenth_birthday_is_a_change_point_and_coincides_with_a_version(huabei: chronolex.Bundle) -> None:
    zone = huabei.timezone
    minor = history(ev("kyc_verified", "2026-01-05", zone), ev("credit_consent_changed", "2026-01-05", zone, granted=True),
                    ev("credit_score_updated", "2026-01-05", zone, score=700),
                    ev("profile_updated", "2026-01-05", zone, birth_date="2008-02-29", occupation="engineer"))
    decision = decide(huabei, minor, "open", local("2026-02-20T10:00", zone))
    assert [r.rule.id for r in decision.reasons] == ["REG-MINORS"]
    # born 29 February 2008: 18 on 1 March 2026, the day 2026.03 takes effect; the lift is
    # the birthday's alone (2026.03 keeps REG-MINORS as it was), the next change names both
    assert lifts(decision) == {"REG-MINORS": ("2026-03-01T00:00:00+08:00", "age changes")}
    assert next_change(decision) == ("2026-03-01T00:00:00+08:00", ("age changes", "version 2026.03 takes effect"))


def test_a_days_since_threshold_is_a_change_point(huabei: chronolex.Bundle) -> None:
    zone = huabei.timezone
    reset = history(ev("kyc_verified", "2026-01-05", zone), ev("credit_consent_changed", "2026-01-05", zone, granted=True),
                    ev("credit_score_updated", "2026-01-05", zone, score=700),
                    ev("profile_updated", "2026-01-05", zone, birth_date="1990-02-28", occupation="engineer"),
                    ev("password_reset", "2026-04-01T10:00", zone))
    decision = decide(huabei, reset, "raise_limit", local("2026-04-02T09:00", zone))
    # days_since_password_reset < 2 holds until two whole days have elapsed since the reset
    assert lifts(decision) == {"PLAT-RESET-COOLDOWN": ("2026-04-03T10:00:00+08:00", "days_since_password_reset becomes 2")}


# -- which events the walk sees ----------------------------------------------------------------------


def test_decide_walks_the_history_as_it_stands_without_later_events(
        huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    # acct-1001 borrows again on 2026-03-05 20:10; a decision on 1 March does not foresee it
    acct = examples.history("acct-1001")
    points = walk(huabei, acct, "open", "2026-03-01T10:00", count=6)
    assert "2026-03-05T20:10:00+08:00" not in [at for at, _, _ in points]
    decision = decide(huabei, acct, "open", local("2026-03-01T10:00", huabei.timezone))
    assert next_change(decision) == ("2026-03-08T01:00:00+08:00", ("the window of MW-CORE-UPGRADE starts",))


def test_a_timeline_replays_events_as_they_arrive(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    intervals = timeline(huabei, examples.history("acct-1001"), "open", local("2026-03-04", zone),
                         local("2026-03-07", zone))
    assert [(format_instant(i.start, zone), i.point.assessment.decision, i.because) for i in intervals] == [
        ("2026-03-04T00:00:00+08:00", "allowed", ()),
        ("2026-03-05T20:10:00+08:00", "blocked", ("a loan_disbursed event",)),
    ]
    assert format_instant(intervals[-1].end, zone) == "2026-03-07T00:00:00+08:00"


def test_with_nothing_ahead_there_is_no_next_change(huabei: chronolex.Bundle,
                                                    examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    decision = decide(huabei, examples.history("acct-1009"), "open", local("2026-02-12T10:00", zone),
                      local("2026-02-13", zone))
    assert decision.decision == "allowed"
    assert next_change(decision) == (None, ())


# -- what a lift names -----------------------------------------------------------------------------

BROKER = """\
bundle: broker
timezone: America/New_York
actions: [withdraw]
facts:
  withdrawals_7d: {type: int, derive: {count: withdrawal, window: P7D, default: 0}}
  large_withdrawals_7d: {type: int, derive: {count: withdrawal, window: P7D, where: "amount >= 1000", default: 0}}
"""


def broker(tmp_path: Path, *rules: tuple[str, str]) -> chronolex.Bundle:
    """A bundle whose versions (effective 1 January, 1 February 2026) each hold one rule ``when``."""
    files = [(f"v{i}.yaml", version(f"v{i}", eff=eff, pub="2025-12-01T00:00:00-05:00",
                                     rules=f"  - {{id: R, category: platform, actions: [withdraw], when: {when}}}\n"))
             for i, (eff, when) in enumerate(rules, start=1)]
    return chronolex.load_bundle(mini(tmp_path, *files, bundle=BROKER))


def withdrawals(zone: object, *amounts: tuple[str, int]) -> chronolex.AccountHistory:
    return history(*(ev("withdrawal", at, zone, amount=amount) for at, amount in amounts))  # type: ignore[arg-type]


def test_a_lift_does_not_name_a_fact_that_only_another_version_reads(tmp_path: Path) -> None:
    # R read large_withdrawals_7d in v1; in v2, in force at T, it reads withdrawals_7d
    bundle = broker(tmp_path, ("2026-01-01", "large_withdrawals_7d >= 1"), ("2026-02-01", "withdrawals_7d >= 2"))
    hist = withdrawals(bundle.timezone, ("2026-02-10T10:00", 10), ("2026-02-11T10:00", 5000))
    decision = decide(bundle, hist, "withdraw", local("2026-02-12T10:00", bundle.timezone))
    assert lifts(decision) == {"R": (
        "2026-02-17T10:00:00-05:00",
        "the withdrawal event of 2026-02-10T10:00:00-05:00 leaves the P7D window of withdrawals_7d")}
    assert decision.reasons[0].lifts is not None and decision.reasons[0].lifts.facts == ("withdrawals_7d",)
    assert next_change(decision) == ("2026-02-17T10:00:00-05:00", (
        "the withdrawal event of 2026-02-10T10:00:00-05:00 leaves the P7D window of withdrawals_7d",))


def test_an_event_that_a_where_rejects_never_leaves_that_window(tmp_path: Path) -> None:
    bundle = broker(tmp_path, ("2026-01-01", "large_withdrawals_7d >= 1 or withdrawals_7d >= 2"))
    hist = withdrawals(bundle.timezone, ("2026-02-10T10:00", 10), ("2026-02-11T10:00", 5000))
    decision = decide(bundle, hist, "withdraw", local("2026-02-12T10:00", bundle.timezone))
    # the small withdrawal leaves withdrawals_7d on the 17th (never counted by large_withdrawals_7d);
    # the block lifts on the 18th, when the large one leaves both
    points = walk(bundle, hist, "withdraw", "2026-02-12T10:00", count=2)
    assert [(at, because) for at, _, because in points] == [
        ("2026-02-17T10:00:00-05:00",
         ("the withdrawal event of 2026-02-10T10:00:00-05:00 leaves the P7D window of withdrawals_7d",)),
        ("2026-02-18T10:00:00-05:00",
         ("the withdrawal event of 2026-02-11T10:00:00-05:00 leaves the P7D window of large_withdrawals_7d",
          "the withdrawal event of 2026-02-11T10:00:00-05:00 leaves the P7D window of withdrawals_7d")),
    ]
    assert lifts(decision)["R"][0] == "2026-02-18T10:00:00-05:00"


def test_a_lift_names_only_what_its_own_rule_reads_when_two_rules_lift_together(tmp_path: Path) -> None:
    rules = ("  - {id: ANY, category: platform, actions: [withdraw], when: withdrawals_7d >= 1}\n"
             "  - {id: LARGE, category: platform, actions: [withdraw], when: large_withdrawals_7d >= 1}\n")
    bundle = chronolex.load_bundle(mini(tmp_path, ("v1.yaml", version("v1", rules=rules)), bundle=BROKER))
    hist = withdrawals(bundle.timezone, ("2026-02-11T10:00", 5000))
    decision = decide(bundle, hist, "withdraw", local("2026-02-12T10:00", bundle.timezone))
    leaves = "the withdrawal event of 2026-02-11T10:00:00-05:00 leaves the P7D window of "
    assert lifts(decision) == {"ANY": ("2026-02-18T10:00:00-05:00", leaves + "withdrawals_7d"),
                               "LARGE": ("2026-02-18T10:00:00-05:00", leaves + "large_withdrawals_7d")}


def test_a_version_that_changes_the_rule_is_named_with_the_fact(tmp_path: Path) -> None:
    # v2 raises the threshold on the day the first withdrawal leaves: both decide the lift
    bundle = broker(tmp_path, ("2026-01-01", "withdrawals_7d >= 1"), ("2026-02-17T10:00", "withdrawals_7d >= 2"))
    hist = withdrawals(bundle.timezone, ("2026-02-10T10:00", 10), ("2026-02-11T10:00", 10))
    decision = decide(bundle, hist, "withdraw", local("2026-02-12T10:00", bundle.timezone))
    assert lifts(decision) == {"R": (
        "2026-02-17T10:00:00-05:00",
        "the withdrawal event of 2026-02-10T10:00:00-05:00 leaves the P7D window of withdrawals_7d; "
        "version v2 takes effect")}
