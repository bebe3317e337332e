"""Hindsight (``chronolex.evaluation.hindsight``): what an answer "as known at K" misses.

``chronolex.decide_in_hindsight`` answers with what was known at K and adds notes on
what today's knowledge changes; ``chronolex.knowledge_notes`` writes those notes. What
is checked, on the shipped bundle's example accounts (docs/replay.md):

- a retroactive version (acct-1006 at 2025-07-08T10:00 as known at 2025-07-10): the
  answer uses 2025.01, and the notes name today's version 2025.07 with its publication
  instant and today's decision;
- a late event (acct-1009's credit_score_updated of 2026-02-10, recorded 2026-02-14) is
  named with when it was recorded;
- with K before T, each event that happened after K is named;
- nothing is added when K is None, or when K already knew everything that matters;
- every note starts with "as known today: " and the answer itself is the answer at K.
"""

from __future__ import annotations

import pytest

import chronolex
from chronolex import decide, decide_in_hindsight, knowledge_notes, open_source
from tests.conftest import HUABEI
from tests.replay_strategies import local

EXAMPLES = HUABEI / "examples" / "events.jsonl"
PREFIX = "as known today: "


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def examples(huabei: chronolex.Bundle) -> chronolex.MemorySource:
    return open_source([EXAMPLES], huabei.timezone)


def hindsight(bundle: chronolex.Bundle, source: chronolex.MemorySource, account: str, at: str,
              known_at: str | None, action: str = "open") -> chronolex.Decision:
    zone = bundle.timezone
    return decide_in_hindsight(bundle, source.history(account), action, local(at, zone),
                               local(known_at, zone) if known_at else None)


def test_a_retroactive_version_is_named_with_todays_decision(huabei: chronolex.Bundle,
                                                             examples: chronolex.MemorySource) -> None:
    decision = hindsight(huabei, examples, "acct-1006", "2025-07-08T10:00", "2025-07-10")
    assert decision.decision == "allowed"
    assert decision.version is not None and decision.version.id == "2025.01"
    assert decision.notes == (
        PREFIX + "today's answer uses version 2025.07, published 2025-07-15T10:00:00+08:00, after the knowledge instant",
        PREFIX + "with everything known today the decision is blocked (regulation)",
    )


def test_a_late_recorded_event_is_named_with_when_it_was_recorded(huabei: chronolex.Bundle,
                                                                  examples: chronolex.MemorySource) -> None:
    decision = hindsight(huabei, examples, "acct-1009", "2026-02-12T10:00", "2026-02-13")
    assert decision.decision == "allowed"
    assert decision.version is not None and decision.version.id == "2025.07"  # no version note: the same one
    assert decision.notes == (
        PREFIX + "with everything known today the decision is blocked (platform)",
        PREFIX + "credit_score_updated of 2026-02-10T06:00:00+08:00 was recorded only 2026-02-14T09:00:00+08:00, "
                 "so it is not counted",
    )


def test_events_that_happened_after_k_are_each_named(huabei: chronolex.Bundle,
                                                     examples: chronolex.MemorySource) -> None:
    decision = hindsight(huabei, examples, "acct-1001", "2026-03-16T10:00", "2026-03-01")
    assert decision.decision == "allowed"
    assert decision.notes == (
        PREFIX + "with everything known today the decision is blocked (platform)",
        PREFIX + "loan_disbursed of 2026-03-05T20:10:00+08:00 happened after the knowledge instant, so it is not counted",
        PREFIX + "loan_disbursed of 2026-03-12T12:00:00+08:00 happened after the knowledge instant, so it is not counted",
    )


def test_an_event_after_t_is_not_named_even_if_recorded_after_k(huabei: chronolex.Bundle,
                                                                 examples: chronolex.MemorySource) -> None:
    # at 2026-02-09 the late score of 2026-02-10 had not happened yet: it is not what K missed
    decision = hindsight(huabei, examples, "acct-1009", "2026-02-09T10:00", "2026-02-13")
    assert decision.notes == ()


def test_without_a_knowledge_instant_nothing_is_added(huabei: chronolex.Bundle,
                                                      examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    for account, at in (("acct-1006", "2025-07-08T10:00"), ("acct-1009", "2026-02-12T10:00")):
        plain = decide(huabei, examples.history(account), "open", local(at, zone))
        assert hindsight(huabei, examples, account, at, None) == plain
        assert hindsight(huabei, examples, account, at, None).notes == ()


def test_when_k_knew_everything_that_matters_nothing_is_added(huabei: chronolex.Bundle,
                                                              examples: chronolex.MemorySource) -> None:
    decision = hindsight(huabei, examples, "acct-1001", "2026-03-16T10:00", "2026-03-16T10:00")
    assert decision.decision == "blocked" and decision.notes == ()
    later = hindsight(huabei, examples, "acct-1002", "2026-03-16T10:00", "2026-03-17")
    assert later.notes == ()


def test_the_answer_is_the_one_known_at_k_with_only_notes_added(huabei: chronolex.Bundle,
                                                                examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    then = decide(huabei, examples.history("acct-1006"), "open", local("2025-07-08T10:00", zone),
                  local("2025-07-10", zone))
    with_notes = hindsight(huabei, examples, "acct-1006", "2025-07-08T10:00", "2025-07-10")
    assert with_notes.to_json() == {**then.to_json(), "notes": list(with_notes.notes)}
    assert with_notes.to_json()["known_at"] == "2025-07-10T00:00:00+08:00"
    assert all(note.startswith(PREFIX) for note in with_notes.notes)


def test_knowledge_notes_compares_two_decisions_for_one_history(huabei: chronolex.Bundle,
                                                                examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    history = examples.history("acct-1006")
    at = local("2025-07-08T10:00", zone)
    then = decide(huabei, history, "open", at, local("2025-07-10", zone))
    today = decide(huabei, history, "open", at)
    assert knowledge_notes(then, today, history) == (
        "today's answer uses version 2025.07, published 2025-07-15T10:00:00+08:00, after the knowledge instant",
        "with everything known today the decision is blocked (regulation)",
    )
    assert knowledge_notes(today, today, history) == ()  # no knowledge instant: no event was missed


def test_the_same_decision_but_another_category_is_noted(huabei: chronolex.Bundle,
                                                         examples: chronolex.MemorySource) -> None:
    # K before T: the loans after K are not counted, so only the Sunday window blocks then
    decision = hindsight(huabei, examples, "acct-1001", "2026-03-22T03:00", "2026-03-01")
    assert decision.decision == "blocked" and decision.blocked_by == ("maintenance",)
    assert decision.notes[0] == PREFIX + "with everything known today the decision is blocked (platform, maintenance)"
