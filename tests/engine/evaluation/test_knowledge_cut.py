"""The knowledge cut (docs/reference/time.md): an event is visible at (T, K) exactly when ``at <= T``
and ``recorded_at <= K``, ``recorded_at`` defaulting to ``at``.

An event recorded on time but happened after K is not late, yet it is unknown at K: the
decision as known at K must not count it, whatever aggregation folds it. The bundle
``tests/fixtures/bundles/knowledge`` has one fact per aggregation, each read by a rule
that blocks until an event of its type is seen.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import chronolex
from chronolex.cli.app import cli
from tests.replay_strategies import BUNDLES, ev, history, local

BUNDLE = BUNDLES / "knowledge"
ZONE = "Europe/Berlin"
T = "2025-09-01T12:00:00"
K = "2025-08-01T00:00:00"

#: One event per aggregation, each happened between K and T and recorded as it happened,
#: and the rule that it lifts once it is known.
EVENTS = {
    "exists": (ev("id_verified", "2025-09-01T11:59:59", ZONE), "REG-ID"),
    "sum": (ev("purchase", "2025-08-05T10:00:00", ZONE, amount="150.00"), "PLAT-SPEND"),
    "count": (ev("login_failed", "2025-08-20T08:00:00", ZONE), "PLAT-LOGINS"),
    "max": (ev("repayment_overdue", "2025-08-10T09:00:00", ZONE, days=45), "PLAT-OVERDUE"),
    "latest": (ev("status_changed", "2025-08-15T09:00:00", ZONE, status="frozen"), "PLAT-STATUS"),
}


@pytest.fixture(scope="module")
def bundle() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLE)


def rules(decision: chronolex.Decision) -> set[str]:
    return {reason.rule.id for reason in decision.reasons}


@pytest.mark.parametrize("aggregation", sorted(EVENTS))
def test_an_event_that_happened_after_k_is_not_known_at_k(bundle: chronolex.Bundle, aggregation: str) -> None:
    event, rule = EVENTS[aggregation]
    hist = history(event)
    at, known_at = local(T, ZONE), local(K, ZONE)
    assert rule not in rules(chronolex.decide(bundle, hist, "open", at))  # known today: it lifts the rule
    as_known = chronolex.decide(bundle, hist, "open", at, known_at)
    assert rule in rules(as_known), f"{aggregation}: the {event.type} of {event.at} counted as known at K"
    assert [e for r in as_known.reasons for x in r.evidence for e in x.events] == []


@pytest.mark.parametrize("aggregation", sorted(EVENTS))
def test_k_on_the_event_instant_knows_it_and_one_second_before_does_not(bundle: chronolex.Bundle,
                                                                         aggregation: str) -> None:
    event, rule = EVENTS[aggregation]
    hist = history(event)
    at = local(T, ZONE)
    assert rule not in rules(chronolex.decide(bundle, hist, "open", at, event.at))
    assert rule in rules(chronolex.decide(bundle, hist, "open", at, event.at - timedelta(seconds=1)))


def test_a_late_event_is_cut_at_its_recording_not_at_its_instant(bundle: chronolex.Bundle) -> None:
    event = ev("purchase", "2025-07-20T10:00:00", ZONE, recorded="2025-08-02T10:00:00", amount="150.00")
    at = local("2025-08-10T12:00:00", ZONE)
    assert "PLAT-SPEND" in rules(chronolex.decide(bundle, history(event), "open", at, local(K, ZONE)))
    assert "PLAT-SPEND" not in rules(chronolex.decide(bundle, history(event), "open", at, event.recorded_at))


def test_the_timeline_as_known_at_k_does_not_replay_events_after_k(bundle: chronolex.Bundle) -> None:
    event, _ = EVENTS["sum"]
    start, end = local("2025-08-01T00:00:00", ZONE), local("2025-08-10T00:00:00", ZONE)
    today = chronolex.timeline(bundle, history(event), "open", start, end)
    assert len(today) == 2 and today[1].start == event.at  # the purchase lifts PLAT-SPEND
    then = chronolex.timeline(bundle, history(event), "open", start, end, local(K, ZONE))
    assert [(i.start, i.end) for i in then] == [(start, end)]


def write_events(path: Path, *lines: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_why_reproduction_answers_blocked_by_regulation_with_a_consistent_note(tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl",
                          {"account": "a1", "at": "2025-09-01T11:59:59+02:00", "type": "id_verified"})
    args = ["why", "a1", "--at", "2025-09-01T12:00:00+02:00", "--as-known-at", "2025-08-01T00:00:00+02:00",
            "--bundle", str(BUNDLE), "--events", str(events), "--action", "open"]
    text = CliRunner().invoke(cli, [*args, "--details"])
    assert text.exit_code == 0, text.output
    assert "Blocked — regulation: REG-ID" in text.output
    assert ("id_verified of 2025-09-01T11:59:59+02:00 happened after the knowledge instant, so it is not counted"
            in text.output)
    document = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)
    assert document["decision"] == "blocked" and document["blocked_by"][0] == "regulation"
    assert "REG-ID" in [r["rule"] for r in document["reasons"]]


def test_replay_as_known_at_k_does_not_count_events_after_k(tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl",
                          {"account": "a1", "at": "2025-09-01T11:59:59+02:00", "type": "id_verified"})
    out = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(cli, ["replay", "--at", "2025-09-01T12:00:00+02:00", "--as-known-at",
                                      "2025-08-01T00:00:00+02:00", "--bundle", str(BUNDLE), "--events",
                                      str(events), "--output", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["decision"] == "blocked" and "regulation" in row["blocked_by"]


def test_a_known_at_on_a_datetime_without_events_changes_nothing(bundle: chronolex.Bundle) -> None:
    at = local(T, ZONE)
    empty = history()
    assert chronolex.decide(bundle, empty, "open", at, local(K, ZONE)).blocked_by == \
        chronolex.decide(bundle, empty, "open", at).blocked_by
    assert isinstance(at, datetime)
