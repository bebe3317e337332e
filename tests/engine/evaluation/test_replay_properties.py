"""Properties of replay on random bundles and histories (docs/reference/time.md, docs/reference/decision.md).

- same input, same bytes (also for the same events given in another order);
- events after T never change the decision at T;
- the decision and the timeline as known at K are, by definition, those on the events
  recorded by K and the versions published by K (with or without late events; K before,
  at and after T, and on an event's instant or one second either side);
- the timeline agrees with ``decide`` inside every interval and at both of its ends;
- ``next_change.at`` is the start of the next timeline interval (of the history as it
  stands at T) whose decision or reasons differ;
- every ``lifts.at`` is the first instant at which that reason is gone;
- a lift names only what decides its own rule: each fact it names is read by the
  deciding part of that rule's condition at the lift instant and has another value there
  than at T, a rule it names is that rule, and a version it names drops or changes it.

Bundles are drawn as YAML text and loaded from a ``tempfile.TemporaryDirectory()`` per
example (see ``tests/replay_strategies.py``).

Every ``decide`` and ``timeline`` call runs under a generous guard against a walk that
never ends (they take milliseconds; speed itself is measured in benchmarks/, not here).
Shrinking is off: a hanging example would cost the whole guard at every shrink step. A
failing example is printed as drawn, with the bundle's YAML and the events.
"""

from __future__ import annotations

import dataclasses
import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import Phase, assume, example, given, note, settings
from hypothesis import strategies as st

import chronolex
from chronolex import AccountHistory, Bundle, Decision
from chronolex.events.encoding import freeze_fields
from chronolex.bundle.schemas import validator
from chronolex.evaluation.facts import needed_facts
from chronolex.lang import nodes
from chronolex.lang.interpret import deciding_part, interpret
from tests.replay_strategies import (
    ACCOUNT,
    ACTIONS,
    BundleSpec,
    bundle_specs,
    event_lists,
    instants,
    instants_after_events,
    known_ats,
    knowledge_instants,
    load_spec,
)

UTC = timezone.utc
TICK = timedelta(microseconds=1)
#: How far the timeline of a look-ahead reaches (next_change may lie beyond it).
HORIZON = timedelta(days=75)
#: Seconds after which a decide or timeline call is taken to hang (not a speed target).
BUDGET = 60.0
PROPERTY = settings(max_examples=30, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))


class Hangs(Exception):
    """A decide or timeline call ran past :data:`BUDGET`: its walk does not end."""


@contextmanager
def budget(what: str) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hangs(f"{what} did not finish within {BUDGET:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, BUDGET)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def decide(bundle: Bundle, hist: AccountHistory, action: str, at: datetime, known_at: datetime | None) -> Decision:
    with budget(f"decide({action}, at={at.isoformat()}, known_at={known_at.isoformat() if known_at else None})"):
        return chronolex.decide(bundle, hist, action, at, known_at)


def timeline(bundle: Bundle, hist: AccountHistory, action: str, start: datetime, end: datetime,
             known_at: datetime | None) -> tuple[chronolex.TimelineInterval, ...]:
    with budget(f"timeline({action}, {start.isoformat()}, {end.isoformat()})"):
        return chronolex.timeline(bundle, hist, action, start, end, known_at)


@contextmanager
def set_aside_if_slow() -> Iterator[None]:
    """Kept for readability of the properties: a hang is a failure, never set aside."""
    yield


def as_bytes(decision: Decision) -> str:
    document = decision.to_json()
    validator("decision").validate(document)
    return json.dumps(document, sort_keys=False)


def key(decision: Decision) -> tuple[object, ...]:
    """What a timeline interval says about an instant: decision, categories and rules."""
    return (decision.decision, decision.blocked_by, tuple(r.rule.id for r in decision.reasons),
            tuple(r.rule.id for r in decision.undetermined))


def interval_key(bundle: Bundle, interval: chronolex.TimelineInterval) -> tuple[object, ...]:
    assessment = interval.point.assessment
    return (assessment.decision, assessment.blocked_by(bundle), tuple(o.rule.id for o in assessment.restricting),
            tuple(o.rule.id for o in assessment.undetermined))


def setup(spec: BundleSpec, events: list[chronolex.Event]) -> tuple[Bundle, AccountHistory]:
    note(spec.text())
    note("events: " + repr([(e.type, e.at.isoformat(), e.recorded_at.isoformat(), dict(e.fields)) for e in events]))
    return load_spec(spec), AccountHistory(ACCOUNT, events)


@settings(PROPERTY, max_examples=40)
@given(spec=bundle_specs(), events=event_lists(), at=instants(), action=st.sampled_from(ACTIONS), data=st.data())
def test_same_input_same_bytes(spec: BundleSpec, events: list[chronolex.Event], at: datetime, action: str,
                               data: st.DataObject) -> None:
    bundle, hist = setup(spec, events)
    known_at = data.draw(known_ats(at), label="known_at")
    shuffled = data.draw(st.permutations(events), label="shuffled")
    with set_aside_if_slow():
        first = as_bytes(decide(bundle, hist, action, at, known_at))
        assert as_bytes(decide(bundle, hist, action, at, known_at)) == first
        assert as_bytes(decide(bundle, AccountHistory(ACCOUNT, shuffled), action, at, known_at)) == first
        reloaded = load_spec(spec)
        assert as_bytes(decide(reloaded, AccountHistory(ACCOUNT, events[::-1]), action, at, known_at)) == first


@PROPERTY
@given(spec=bundle_specs(), events=event_lists(), at=instants(), action=st.sampled_from(ACTIONS), data=st.data())
def test_events_after_t_never_change_the_decision_at_t(spec: BundleSpec, events: list[chronolex.Event], at: datetime,
                                                       action: str, data: st.DataObject) -> None:
    later = data.draw(event_lists(min_size=1, max_size=4, lo=at + TICK, hours=24 * 200), label="later events")
    bundle, hist = setup(spec, events)
    known_at = data.draw(known_ats(at), label="known_at")
    with set_aside_if_slow():
        expected = as_bytes(decide(bundle, hist.truncated(at), action, at, known_at))
        assert as_bytes(decide(bundle, hist, action, at, known_at)) == expected
        assert as_bytes(decide(bundle, AccountHistory(ACCOUNT, [*events, *later]), action, at, known_at)) == expected


def known_then(bundle: Bundle, events: list[chronolex.Event], known_at: datetime) -> tuple[Bundle, AccountHistory]:
    """By definition, what was known at K: the versions published by K and the events
    recorded by K (``recorded_at`` defaults to ``at``), filtered by hand."""
    versions = tuple(v for v in bundle.versions if v.published_at <= known_at)
    return (dataclasses.replace(bundle, versions=versions),
            AccountHistory(ACCOUNT, [e for e in events if e.recorded_at <= known_at]))


def without_knowledge(decision: Decision) -> dict[str, object]:
    """The decision document less what names the knowledge instant itself."""
    document = decision.to_json()
    document.pop("known_at")
    if document["policy"] is not None:
        document["policy"].pop("chosen_because")
    return document


def published_by(bundle: Bundle, at: datetime, known_at: datetime) -> datetime:
    """``known_at``, moved later when no version is known by then, to the publication of
    the version in force at ``at`` (both answers would otherwise be a bare no_policy)."""
    if chronolex.select_version(bundle.versions, at, known_at) is not None:
        return known_at
    in_force = chronolex.select_version(bundle.versions, at)
    assume(in_force is not None)
    assert in_force is not None
    return max(known_at, in_force.published_at)


def check_knowledge_cut(bundle: Bundle, events: list[chronolex.Event], action: str, at: datetime,
                        known_at: datetime) -> None:
    known_bundle, known_history = known_then(bundle, events, known_at)
    expected = without_knowledge(decide(known_bundle, known_history, action, at, None))
    note(f"known_at: {known_at.isoformat()}")
    assert without_knowledge(decide(bundle, AccountHistory(ACCOUNT, events), action, at, known_at)) == expected


@settings(PROPERTY, max_examples=100)
@given(spec=bundle_specs(), events=event_lists(min_size=1, late=False), action=st.sampled_from(ACTIONS),
       data=st.data())
def test_as_known_at_k_is_the_decision_on_what_was_recorded_by_k_when_nothing_is_late(
    spec: BundleSpec, events: list[chronolex.Event], action: str, data: st.DataObject
) -> None:
    """Every event recorded as it happened: the events between K and T are unknown at K
    (the path that cut at T alone was wrong for K < T)."""
    bundle, _ = setup(spec, events)
    at = max(data.draw(instants_after_events(events), label="at"), min(v.effective_from for v in bundle.versions))
    known_at = published_by(bundle, at, data.draw(knowledge_instants(at, events), label="known_at"))
    if known_at < at:  # make sure some events happen, recorded on time, between K and T
        hours = max(0, int((at - known_at) / timedelta(hours=1)) - 1)
        between = data.draw(event_lists(min_size=1, max_size=3, lo=known_at + timedelta(seconds=1), hours=hours,
                                        late=False), label="events between K and T")
        events = [*events, *(e for e in between if e.at <= at)]
    with set_aside_if_slow():
        check_knowledge_cut(bundle, events, action, at, known_at)


@PROPERTY
@given(spec=bundle_specs(), events=event_lists(min_size=1), action=st.sampled_from(ACTIONS), data=st.data())
def test_events_recorded_after_k_never_change_the_decision_as_known_at_k(
    spec: BundleSpec, events: list[chronolex.Event], action: str, data: st.DataObject
) -> None:
    bundle, _ = setup(spec, events)
    at = max(data.draw(instants_after_events(events), label="at"), min(v.effective_from for v in bundle.versions))
    known_at = published_by(bundle, at, data.draw(knowledge_instants(at, events), label="known_at"))
    drawn = data.draw(event_lists(max_size=4, lo=at - timedelta(days=60), hours=24 * 60), label="late events")
    late = [chronolex.Event(ACCOUNT, e.at, e.type, known_at + timedelta(hours=1 + i), e.fields)
            for i, e in enumerate(drawn)]
    with set_aside_if_slow():
        check_knowledge_cut(bundle, events, action, at, known_at)
        check_knowledge_cut(bundle, [*events, *late], action, at, known_at)


@settings(PROPERTY, max_examples=25)
@given(spec=bundle_specs(), events=event_lists(late=False), start=instants(), action=st.sampled_from(ACTIONS),
       length=st.integers(1, 24 * 60), late=st.booleans(), data=st.data())
def test_the_timeline_as_known_at_k_replays_only_what_was_recorded_by_k(
    spec: BundleSpec, events: list[chronolex.Event], start: datetime, action: str, length: int, late: bool,
    data: st.DataObject
) -> None:
    if late:
        events = data.draw(event_lists(), label="events with late ones")
    bundle, _ = setup(spec, events)
    end = start + timedelta(hours=length)
    known_at = data.draw(knowledge_instants(start, events), label="known_at")
    in_range = [v for v in bundle.versions if v.effective_from < end]
    assume(in_range)
    # a version in force inside the range is known by K (else the timeline is all no_policy)
    known_at = max(known_at, min(v.published_at for v in in_range))
    known_bundle, known_history = known_then(bundle, events, known_at)
    with set_aside_if_slow():
        expected = [(i.start, i.end, interval_key(known_bundle, i))
                    for i in timeline(known_bundle, known_history, action, start, end, None)]
        actual = [(i.start, i.end, interval_key(bundle, i))
                  for i in timeline(bundle, AccountHistory(ACCOUNT, events), action, start, end, known_at)]
    assert actual == expected


@settings(PROPERTY, max_examples=25)
@given(spec=bundle_specs(), events=event_lists(), start=instants(), action=st.sampled_from(ACTIONS),
       length=st.integers(1, 24 * 60), data=st.data())
def test_the_timeline_agrees_with_decide_inside_every_interval_and_at_both_ends(
    spec: BundleSpec, events: list[chronolex.Event], start: datetime, action: str, length: int, data: st.DataObject
) -> None:
    bundle, hist = setup(spec, events)
    known_at = data.draw(known_ats(start), label="known_at")
    end = start + timedelta(hours=length)
    with set_aside_if_slow():
        intervals = timeline(bundle, hist, action, start, end, known_at)
        assert intervals and intervals[0].start == start and intervals[-1].end == end
        for before, after in zip(intervals, intervals[1:]):
            assert before.end == after.start
        for interval in intervals[:12]:
            expected = interval_key(bundle, interval)
            span = interval.end - interval.start
            inside = interval.start + min(span * data.draw(st.floats(0, 1), label="fraction"), span - TICK)
            for instant in (interval.start, inside, interval.end - TICK):
                assert key(decide(bundle, hist, action, instant, known_at)) == expected, instant.isoformat()


@PROPERTY
@given(spec=bundle_specs(), events=event_lists(), at=instants(), action=st.sampled_from(ACTIONS), data=st.data())
def test_next_change_is_the_start_of_the_next_different_timeline_interval(
    spec: BundleSpec, events: list[chronolex.Event], at: datetime, action: str, data: st.DataObject
) -> None:
    bundle, hist = setup(spec, events)
    known_at = data.draw(known_ats(at), label="known_at")
    with set_aside_if_slow():
        decision = decide(bundle, hist, action, at, known_at)
        # "if no new event arrives": replay the history as it stands at T
        intervals = timeline(bundle, hist.truncated(at), action, at, at + HORIZON, known_at)
    now = key(decision)
    assert interval_key(bundle, intervals[0]) == now
    different = next((i for i in intervals if interval_key(bundle, i) != now), None)
    change = decision.next_change
    assert change is not None
    if different is None:
        assert change.at is None or change.at >= at + HORIZON, change
    else:
        assert change.at == different.start, (change, different.to_json(bundle))
        assert (change.decision, change.blocked_by) == interval_key(bundle, different)[:2]


@PROPERTY
@given(spec=bundle_specs(), events=event_lists(), at=instants(), action=st.sampled_from(ACTIONS), data=st.data())
def test_every_lifts_at_is_the_first_instant_at_which_that_reason_is_gone(
    spec: BundleSpec, events: list[chronolex.Event], at: datetime, action: str, data: st.DataObject
) -> None:
    bundle, hist = setup(spec, events)
    known_at = data.draw(known_ats(at), label="known_at")
    stands = hist.truncated(at)
    with set_aside_if_slow():
        decision = decide(bundle, hist, action, at, known_at)
        for reason in decision.reasons:
            assert reason.lifts is not None
            lifted = reason.lifts.at
            if lifted is None:
                continue
            assert lifted > at
            gone = decide(bundle, stands, action, lifted, known_at)
            assert reason.rule.id not in [r.rule.id for r in gone.reasons], lifted.isoformat()
            still = decide(bundle, stands, action, lifted - TICK, known_at)
            assert reason.rule.id in [r.rule.id for r in still.reasons], (lifted - TICK).isoformat()


def named_in(because: str) -> tuple[set[str], set[str], set[str]]:
    """The facts, rules and versions a lift's ``because`` names."""
    facts, rules, versions = set(), set(), set()
    for part in because.split("; "):
        if found := re.fullmatch(r"the \S+ event of \S+ leaves the \S+ window of (\w+)", part):
            facts.add(found[1])
        elif found := re.fullmatch(r"(\w+) (?:becomes \S+|changes)", part):
            facts.add(found[1])
        elif found := re.fullmatch(r"version (\S+) takes effect", part):
            versions.add(found[1])
        elif found := re.fullmatch(r"(?:the (?:window|active interval) of|a scheduled window of|"
                                   r"the condition of) (\S+) .*", part):
            rules.add(found[1])
        else:
            raise AssertionError(f"a lift cause of unknown form: {part!r}")
    return facts, rules, versions


def deciding_facts(bundle: Bundle, rule: chronolex.Rule, ctx: chronolex.Context) -> set[str]:
    """The facts read by the part of ``rule`` that keeps it from restricting in ``ctx``."""
    parts = []
    when = interpret(rule.when.ast, ctx) if rule.when else True
    unless = interpret(rule.unless.ast, ctx) if rule.unless else False
    if when is False and rule.when:
        parts = [rule.when.ast]
    elif unless is True and rule.unless:
        parts = [rule.unless.ast]
    else:
        parts = [c.ast for c in (rule.when, rule.unless) if c]
    return set(needed_facts(bundle, {name for p in parts for name in nodes.names(deciding_part(p, ctx))}))


@st.composite
def recent_histories(draw: st.DrawFn) -> tuple[datetime, list[chronolex.Event], datetime | None]:
    """T, events in the 40 days before it (so that several are in a window and leave it
    together) and a knowledge instant."""
    at = draw(instants())
    events = draw(event_lists(min_size=2, lo=at - timedelta(days=40), hours=40 * 24))
    return at, events, draw(known_ats(at))


#: R1 read big_payments_30d in v1 and reads spent_30d in v2; both count the same payments
#: (the first only those of 1,000 or more): the lift of R1 in v2 must name spent_30d alone.
_REPLACED_RULE = BundleSpec("Asia/Shanghai", (
    ("bundle.yaml", """\
bundle: random
timezone: Asia/Shanghai
actions: [open, borrow]
facts:
  spent_30d: {type: decimal, derive: {sum: payment.amount, window: P30D, default: 0}}
  big_payments_30d: {type: int, derive: {count: payment, window: P30D, where: "amount >= 1000", default: 0}}
"""),
    ("versions/v1.yaml", 'version: "v1"\neffective_from: 2026-01-01\npublished_at: 2025-12-01T09:00:00\nrules:\n'
                         "  - {id: R1, category: platform, actions: [open], when: big_payments_30d >= 1}\n"),
    ("versions/v2.yaml", 'version: "v2"\neffective_from: 2026-02-01\npublished_at: 2025-12-01T09:00:00\nrules:\n'
                         "  - {id: R1, category: platform, actions: [open], when: spent_30d >= 1000}\n"),
))
_PAYMENTS = [chronolex.Event(ACCOUNT, at, "payment", at, freeze_fields({"amount": amount})) for at, amount in (
    (datetime(2026, 2, 5, 2, tzinfo=UTC), Decimal("200")), (datetime(2026, 2, 6, 2, tzinfo=UTC), Decimal("1200")))]


@PROPERTY
@given(spec=bundle_specs(), scenario=recent_histories(), action=st.sampled_from(ACTIONS))
@example(spec=_REPLACED_RULE, scenario=(datetime(2026, 2, 10, tzinfo=UTC), _PAYMENTS, None), action="open")
def test_a_lift_names_only_what_decides_its_own_rule(
    spec: BundleSpec, scenario: tuple[datetime, list[chronolex.Event], datetime | None], action: str
) -> None:
    at, events, known_at = scenario
    bundle, hist = setup(spec, events)
    stands = hist.truncated(at)
    decision = decide(bundle, hist, action, at, known_at)
    for reason in decision.reasons:
        lift = reason.lifts
        assert lift is not None
        if lift.at is None:
            continue
        gone = decide(bundle, stands, action, lift.at, known_at)
        assert reason.rule.id not in [r.rule.id for r in gone.reasons]
        assert lift.because, lift.at.isoformat()
        facts, rules, versions = named_in(lift.because)
        assert facts == set(lift.facts)
        assert rules <= {reason.rule.id}
        now = next((r for r in gone.version.rules if r.id == reason.rule.id), None) if gone.version else None
        if versions:
            assert gone.version is not None and versions == {gone.version.id}
            assert now is None or now != reason.rule
        if facts:
            assert now is not None
            values = chronolex.derive_facts(bundle, stands, lift.at, known_at)
            before = chronolex.derive_facts(bundle, stands, at, known_at)
            ctx = chronolex.Context({k: v.value for k, v in values.items()}, lift.at, bundle.timezone)
            assert facts <= deciding_facts(bundle, now, ctx)
            assert all(values[f].value != before[f].value for f in facts), facts
