"""The decision document (``chronolex.evaluation.decision``): ``Decision.to_json``.

What is checked, on the shipped bundle's example accounts and on small bundles:

- the document is deterministic (the same decision gives the same bytes, whatever
  evaluator computed it) and its keys come in a fixed order;
- every document validates against ``schemas/decision.schema.json`` (allowed, blocked,
  undetermined, no_policy, as known at an instant);
- instants carry the bundle's offset (``+08:00`` in Asia/Shanghai, ``-05:00``/``-04:00``
  across DST in America/New_York);
- fact values are JSON values: decimals are JSON numbers (``6300``, ``5000.5``), dates
  ISO strings, unknown is ``null`` with ``unknown: true``;
- ``recorded_at`` of an evidence event appears only when it differs from ``at``;
  ``events_total`` only when the evidence list is capped; ``notes`` only when there are
  some;
- ``decided_by`` appears only when the part of ``when`` that decided is smaller than the
  whole condition.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import chronolex
from chronolex import Duration, decide, open_source
from chronolex.bundle.schemas import validator
from chronolex.evaluation.decision import json_value
from tests.conftest import HUABEI
from tests.helpers.bundles import mini, version
from tests.replay_strategies import ev, history, local

EXAMPLES = HUABEI / "examples" / "events.jsonl"
KEYS = ["account", "action", "at", "known_at", "decision", "policy", "blocked_by", "reasons", "undetermined",
        "next_change"]


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def examples(huabei: chronolex.Bundle) -> chronolex.MemorySource:
    return open_source([EXAMPLES], huabei.timezone)


def document(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, action: str, at: str,
             known_at: str | None = None) -> dict[str, Any]:
    zone = bundle.timezone
    doc = decide(bundle, hist, action, local(at, zone), local(known_at, zone) if known_at else None).to_json()
    validator("decision").validate(doc)
    return doc


def instants_in(doc: dict[str, Any]) -> list[str]:
    """Every instant of the document (not the texts that quote one)."""
    found = [doc["at"]] + ([doc["known_at"]] if doc["known_at"] else [])
    if doc["policy"]:
        found += [doc["policy"]["effective_from"], doc["policy"]["published_at"]]
    for reason in doc["reasons"] + doc["undetermined"]:
        for evidence in reason["evidence"]:
            for event in evidence["from_events"]:
                found += [event["at"]] + ([event["recorded_at"]] if "recorded_at" in event else [])
        if reason.get("lifts") and reason["lifts"]["at"]:
            found.append(reason["lifts"]["at"])
    if doc["next_change"] and doc["next_change"]["at"]:
        found.append(doc["next_change"]["at"])
    return found


CLEAN: tuple[tuple[str, dict[str, Any]], ...] = (("kyc_verified", {}), ("credit_consent_changed", {"granted": True}),
         ("profile_updated", {"birth_date": "1990-01-01", "occupation": "engineer"}))


def clean(zone: ZoneInfo) -> list[chronolex.Event]:
    return [ev(kind, "2026-01-05", zone, **fields) for kind, fields in CLEAN]


# -- determinism and schema -----------------------------------------------------------------------

QUERIES = [
    ("acct-1001", "open", "2026-03-16T10:00", None),      # blocked, platform, with lifts and next change
    ("acct-1002", "open", "2026-03-08T01:30", None),      # blocked by a maintenance window
    ("acct-1008", "open", "2025-03-01T10:00", None),      # undetermined: no birth date
    ("acct-1008", "open", "2025-08-01T10:00", None),      # on_unknown: block settles it
    ("acct-1006", "open", "2025-07-08T10:00", "2025-07-10"),  # as known at an instant
    ("acct-1009", "open", "2026-02-20T10:00", None),      # evidence from a late-recorded event
    ("acct-1002", "open", "2023-06-01T10:00", None),      # no policy in force
    ("acct-1007", "borrow", "2026-04-20T10:00", None),    # allowed
]


@pytest.mark.parametrize(("account", "action", "at", "known_at"), QUERIES)
def test_every_document_validates_and_has_its_keys_in_a_fixed_order(
        huabei: chronolex.Bundle, examples: chronolex.MemorySource, account: str, action: str, at: str,
        known_at: str | None) -> None:
    doc = document(huabei, examples.history(account), action, at, known_at)
    assert list(doc)[:len(KEYS)] == KEYS
    assert set(doc) - set(KEYS) <= {"notes", "lifts"}  # lifts: when the block as a whole ends (blocked only)
    assert ("lifts" in doc) == (doc["decision"] == "blocked")


@pytest.mark.parametrize(("account", "action", "at", "known_at"), QUERIES)
def test_the_same_decision_gives_the_same_bytes(huabei: chronolex.Bundle, examples: chronolex.MemorySource,
                                                account: str, action: str, at: str, known_at: str | None) -> None:
    zone = huabei.timezone
    args = (huabei, examples.history(account), action, local(at, zone), local(known_at, zone) if known_at else None)
    shared = chronolex.Evaluator(huabei)
    first = decide(*args, evaluator=shared)
    second = decide(*args)  # a fresh evaluator, no shared caches
    assert json.dumps(first.to_json()) == json.dumps(second.to_json()) == json.dumps(first.to_json())
    assert first == second


def test_allowed_blocked_undetermined_and_no_policy_documents_all_validate(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    kinds = {q: document(huabei, examples.history(q[0]), q[1], q[2], q[3])["decision"] for q in QUERIES}
    assert set(kinds.values()) == {"allowed", "blocked", "undetermined", "no_policy"}


def test_a_document_with_no_policy_has_a_null_policy_and_no_reasons(
        huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    doc = document(huabei, examples.history("acct-1002"), "open", "2023-06-01T10:00")
    assert doc["decision"] == "no_policy"
    assert doc["policy"] is None and doc["reasons"] == [] and doc["blocked_by"] == []
    assert doc["next_change"]["at"] == "2024-01-01T00:00:00+08:00"


def test_the_policy_says_which_version_and_why(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    doc = document(huabei, examples.history("acct-1006"), "open", "2025-07-08T10:00", "2025-07-10")
    assert doc["known_at"] == "2025-07-10T00:00:00+08:00"
    assert doc["policy"] == {
        "bundle": "huabei", "version": "2025.01",
        "effective_from": "2025-01-01T00:00:00+08:00", "published_at": "2024-12-16T10:00:00+08:00",
        "chosen_because": "the latest version in force at this instant: effective from 2025-01-01T00:00:00+08:00, "
                          "published 2024-12-16T10:00:00+08:00 (known by then)",
    }


# -- instants and values --------------------------------------------------------------------------


@pytest.mark.parametrize(("account", "action", "at", "known_at"), QUERIES)
def test_every_instant_carries_the_bundle_offset(huabei: chronolex.Bundle, examples: chronolex.MemorySource,
                                                 account: str, action: str, at: str, known_at: str | None) -> None:
    found = instants_in(document(huabei, examples.history(account), action, at, known_at))
    assert found
    assert all(s.endswith("+08:00") and datetime.fromisoformat(s).tzinfo is not None for s in found), found


def test_instants_carry_the_offset_of_their_own_date_across_dst(tmp_path: Path) -> None:
    manifest = "bundle: ny\ntimezone: America/New_York\nactions: [open]\nfacts:\n  score: {type: int, derive: {latest: s.score}}\n"
    rules = "  - {id: MW, category: maintenance, actions: [open], window: {start: 2026-03-07T22:00, end: 2026-03-08T05:00}}\n"
    bundle = chronolex.load_bundle(mini(tmp_path, ("v1.yaml", version("v1", pub="2025-12-01T00:00:00-05:00", rules=rules)),
                                        bundle=manifest))
    doc = decide(bundle, history(), "open", local("2026-03-07T23:00", bundle.timezone)).to_json()
    validator("decision").validate(doc)
    assert doc["at"] == "2026-03-07T23:00:00-05:00"
    assert doc["reasons"][0]["lifts"]["at"] == "2026-03-08T05:00:00-04:00"  # after the spring-forward gap
    assert doc["policy"]["effective_from"] == "2026-01-01T00:00:00-05:00"


def test_decimal_fact_values_are_json_numbers(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    whole = document(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00")
    assert whole["reasons"][0]["evidence"][0]["value"] == 6300
    assert '"value": 6300,' in json.dumps(whole)
    zone = huabei.timezone
    loan = ev("loan_disbursed", "2026-03-10T10:00", zone, amount=Decimal("5000.50"))
    doc = document(huabei, history(clean(zone), loan), "open", "2026-03-16T10:00")
    (evidence,) = doc["reasons"][0]["evidence"]
    assert evidence["fact"] == "borrowed_30d" and evidence["value"] == 5000.5
    assert '"value": 5000.5,' in json.dumps(doc)  # a number, not the string "5000.50"


def test_an_unknown_value_is_null_and_marked_unknown(huabei: chronolex.Bundle,
                                                     examples: chronolex.MemorySource) -> None:
    doc = document(huabei, examples.history("acct-1008"), "open", "2025-03-01T10:00")
    assert doc["decision"] == "undetermined"
    (minors,) = doc["undetermined"]
    assert minors["rule"] == "REG-MINORS" and minors["missing_facts"] == ["age", "birth_date"]
    by_fact = {e["fact"]: e for e in minors["evidence"]}
    assert by_fact["age"] == {"fact": "age", "value": None, "unknown": True, "from_events": []}
    assert by_fact["birth_date"] == {"fact": "birth_date", "value": None, "unknown": True, "from_events": []}
    known = document(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00")
    assert all("unknown" not in e for r in known["reasons"] for e in r["evidence"])


def test_json_value_converts_each_kind_of_value() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    assert json_value(chronolex.UNKNOWN, zone) is None
    assert json_value(Decimal("6300.00"), zone) == 6300 and isinstance(json_value(Decimal("6300.00"), zone), int)
    assert json_value(Decimal("0.1"), zone) == 0.1
    assert json_value(date(2008, 2, 29), zone) == "2008-02-29"
    assert json_value(datetime(2026, 2, 28, 16, tzinfo=timezone.utc), zone) == "2026-03-01T00:00:00+08:00"
    assert json_value(Duration(days=30), zone) == "P30D"
    assert json_value(("a", Decimal("2")), zone) == ["a", 2]
    assert json_value(True, zone) is True and json_value(7, zone) == 7


def test_recorded_at_appears_only_for_an_event_recorded_late(huabei: chronolex.Bundle,
                                                             examples: chronolex.MemorySource) -> None:
    doc = document(huabei, examples.history("acct-1009"), "open", "2026-02-20T10:00")
    (floor,) = [r for r in doc["reasons"] if r["rule"] == "PLAT-SCORE-FLOOR"]
    assert floor["evidence"][0]["from_events"] == [
        {"at": "2026-02-10T06:00:00+08:00", "type": "credit_score_updated", "recorded_at": "2026-02-14T09:00:00+08:00"},
    ]
    on_time = document(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00")
    assert all("recorded_at" not in e for r in on_time["reasons"] for x in r["evidence"] for e in x["from_events"])


def test_a_capped_evidence_list_says_how_many_events_there_were(huabei: chronolex.Bundle) -> None:
    zone = huabei.timezone
    fails = [ev("login_failed", f"2026-04-14T{h:02d}:{m:02d}", zone) for h in range(10, 16) for m in range(0, 60, 6)]
    doc = document(huabei, history(clean(zone), fails), "open", "2026-04-14T16:00")
    (reason,) = doc["reasons"]
    (evidence,) = reason["evidence"]
    assert reason["rule"] == "PLAT-LOGIN-FAILURES" and evidence["value"] == 60
    assert len(evidence["from_events"]) < 60 and evidence["events_total"] == 60
    assert evidence["from_events"][-1]["at"] == "2026-04-14T15:54:00+08:00"  # the most recent are kept
    few = document(huabei, history(clean(zone), fails[:5]), "open", "2026-04-14T16:00")
    assert "events_total" not in few["reasons"][0]["evidence"][0]


def test_notes_appear_only_when_there_are_some(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    assert "notes" not in document(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00")
    bad_score = ev("credit_score_updated", "2026-01-06", zone, score="high")
    doc = document(huabei, history(clean(zone), bad_score), "open", "2026-03-16T10:00")
    (note,) = doc["notes"]
    assert note.startswith("credit_score: ignored credit_score_updated at ") and "'high' is not a int" in note


def test_a_note_names_the_ignored_event_at_the_bundle_offset(huabei: chronolex.Bundle) -> None:
    zone = huabei.timezone
    bad_score = ev("credit_score_updated", "2026-01-06T06:00", zone, score="high")
    doc = document(huabei, history(clean(zone), bad_score), "open", "2026-03-16T10:00")
    (note,) = doc["notes"]
    assert "2026-01-06T06:00:00+08:00" in note


# -- decided_by -----------------------------------------------------------------------------------

OR_RULE = """\
  - id: R-OR
    category: platform
    actions: [open]
    when: score < 600 or frozen
"""


@pytest.fixture(scope="module")
def or_bundle(tmp_path_factory: pytest.TempPathFactory) -> chronolex.Bundle:
    return chronolex.load_bundle(mini(tmp_path_factory.mktemp("or"), ("v1.yaml", version("v1", rules=OR_RULE))))


def test_decided_by_names_the_or_branch_that_held(or_bundle: chronolex.Bundle) -> None:
    zone = or_bundle.timezone
    doc = document(or_bundle, history(ev("score_updated", "2026-02-01", zone, score=550)), "open", "2026-03-01")
    (reason,) = doc["reasons"]
    assert reason["condition"] == "score < 600 or frozen"
    assert reason["decided_by"] == "score < 600"
    assert [e["fact"] for e in reason["evidence"]] == ["score"]  # frozen was false: not evidence


def test_decided_by_names_the_first_branch_that_held_when_both_hold(or_bundle: chronolex.Bundle) -> None:
    zone = or_bundle.timezone
    both = history(ev("score_updated", "2026-02-01", zone, score=550), ev("frozen", "2026-02-01", zone))
    (reason,) = document(or_bundle, both, "open", "2026-03-01")["reasons"]
    # the or stops at its first true operand: frozen was never looked at
    assert reason["decided_by"] == "score < 600"
    assert [e["fact"] for e in reason["evidence"]] == ["score"]
    (only_frozen,) = document(or_bundle, history(ev("frozen", "2026-02-01", zone)), "open", "2026-03-01")["reasons"]
    assert only_frozen["decided_by"] == "frozen"


def test_decided_by_is_absent_for_a_single_comparison(huabei: chronolex.Bundle,
                                                      examples: chronolex.MemorySource) -> None:
    doc = document(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00")
    assert all("decided_by" not in r for r in doc["reasons"] + doc["undetermined"])


def test_decided_by_names_the_unknown_part_of_an_undetermined_rule(or_bundle: chronolex.Bundle) -> None:
    doc = document(or_bundle, history(), "open", "2026-03-01")  # score unknown, frozen false
    assert doc["decision"] == "undetermined"
    (reason,) = doc["undetermined"]
    assert reason["decided_by"] == "score < 600" and reason["missing_facts"] == ["score"]


def test_decided_by_is_absent_when_every_operand_of_an_and_decided(tmp_path: Path) -> None:
    rules = "  - {id: R-AND, category: platform, actions: [open], when: score < 600 and frozen}\n"
    bundle = chronolex.load_bundle(mini(tmp_path, ("v1.yaml", version("v1", rules=rules))))
    zone = bundle.timezone
    both = history(ev("score_updated", "2026-02-01", zone, score=550), ev("frozen", "2026-02-01", zone))
    doc = document(bundle, both, "open", "2026-03-01")
    (reason,) = doc["reasons"]
    assert "decided_by" not in reason
    assert [e["fact"] for e in reason["evidence"]] == ["frozen", "score"]
