"""Decisions with their explanation, and timelines (docs/reference/time.md, docs/reference/decision.md).

Scenario tests on the shipped bundle's example accounts (``policies/huabei/examples``)
and on the small bundles of ``tests/fixtures/bundles``. Every expected decision, reason,
``lifts`` and ``next_change`` is derived by hand from the rules; every document is
validated against ``schemas/decision.schema.json``.

Causes of ``lifts.at`` covered: the end of a one-off window (acct-1002) and of a
schedule occurrence (DST fixtures), the end of an active interval (acct-1007), an event
leaving its fact window (acct-1001, acct-1004, 29 February, 31 March, PT24H vs P1D), a
``now``-dependent fact (an 18th birthday, ``days_since``) and a version boundary
(version-ties). Fact-bound causes have ``lifts.at`` null and ``lifts.when``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import chronolex
import chronolex.events.encoding
from chronolex import AccountHistory, decide, decide_with_facts, given_facts, open_source, timeline
from chronolex.bundle.schemas import validator
from tests.conftest import HUABEI
from tests.replay_strategies import BUNDLES, ev, history, local

SH = "Asia/Shanghai"
NY = "America/New_York"
BERLIN = "Europe/Berlin"
EXAMPLES = HUABEI / "examples" / "events.jsonl"


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def examples(huabei: chronolex.Bundle) -> chronolex.MemorySource:
    return open_source([EXAMPLES], huabei.timezone)


def why(bundle: chronolex.Bundle, hist: AccountHistory, action: str, at: str, known_at: str | None = None) -> dict[str, Any]:
    """``decide`` as a validated decision document."""
    zone = bundle.timezone
    decision = decide(bundle, hist, action, local(at, zone), local(known_at, zone) if known_at else None)
    document = decision.to_json()
    validator("decision").validate(document)
    return document


def rules(doc: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in doc["reasons"]]


def lifts(doc: dict[str, Any], rule: str) -> tuple[str | None, str | None]:
    (reason,) = [r for r in doc["reasons"] if r["rule"] == rule]
    return reason["lifts"]["at"], reason["lifts"]["when"]


def change(doc: dict[str, Any]) -> tuple[str | None, str | None, list[str] | None]:
    nxt = doc["next_change"]
    return nxt["at"], nxt.get("decision"), nxt.get("blocked_by")


def evidence(doc: dict[str, Any], rule: str) -> dict[str, dict[str, Any]]:
    (reason,) = [r for r in doc["reasons"] + doc.get("undetermined", []) if r["rule"] == rule]
    return {e["fact"]: e for e in reason["evidence"]}


def refs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"at": at, "type": kind} for at, kind in items]


# ================================================================================================
# The shipped bundle and its example accounts (policies/huabei/examples/README.md)
# ================================================================================================


def test_acct_1001_is_blocked_by_recent_borrowing_and_it_lifts_when_a_loan_leaves_the_window(
    huabei: chronolex.Bundle, examples: chronolex.MemorySource
) -> None:
    doc = why(huabei, examples.history("acct-1001"), "open", "2026-03-16T10:00")
    assert doc["account"] == "acct-1001" and doc["action"] == "open"
    assert doc["at"] == "2026-03-16T10:00:00+08:00" and doc["known_at"] is None
    assert doc["decision"] == "blocked"
    assert doc["policy"]["version"] == "2026.03"
    assert doc["policy"]["effective_from"] == "2026-03-01T00:00:00+08:00"
    assert doc["blocked_by"] == ["platform"]
    assert rules(doc) == ["PLAT-RECENT-BORROWING"]
    assert doc["undetermined"] == []
    (reason,) = doc["reasons"]
    assert reason["category"] == "platform"
    assert reason["title"] == "Recent borrowing elsewhere on the platform blocks opening"
    assert reason["source"] is None
    assert reason["condition"] == "borrowed_30d >= 5000" and reason["unless"] is None
    assert reason["message"].startswith("You have borrowed a large amount on the platform in the last 30 days")
    assert reason["remedy"].startswith("The block lifts once less than 5,000 CNY")
    # 3,000 + 2,500 + 800 within (2026-02-14T10:00, 2026-03-16T10:00]
    assert reason["evidence"] == [{
        "fact": "borrowed_30d", "value": 6300,
        "from_events": refs(("2026-02-25T14:30:00+08:00", "loan_disbursed"), ("2026-03-05T20:10:00+08:00", "loan_disbursed"),
                            ("2026-03-12T12:00:00+08:00", "loan_disbursed")),
    }]
    # the 3,000 loan leaves the 30-day window at 2026-03-27T14:30: 3,300 < 5,000
    assert lifts(doc, "PLAT-RECENT-BORROWING") == ("2026-03-27T14:30:00+08:00", "borrowed_30d < 5000")
    assert isinstance(reason["lifts"]["because"], str) and reason["lifts"]["because"]
    # but first the Sunday window joins, 2026-03-22 02:00-04:00
    assert change(doc) == ("2026-03-22T02:00:00+08:00", "blocked", ["platform", "maintenance"])


def test_acct_1001_before_the_2026_03_version_is_allowed_until_the_first_sunday_window(
    huabei: chronolex.Bundle, examples: chronolex.MemorySource
) -> None:
    doc = why(huabei, examples.history("acct-1001"), "open", "2026-02-27T10:00")
    assert doc["decision"] == "allowed" and doc["policy"]["version"] == "2025.07"
    assert doc["blocked_by"] == [] and doc["reasons"] == [] and doc["undetermined"] == []
    # 2026.03 takes effect at 03-01 00:00 but decides alike (3,000 < 5,000): no change then;
    # 2026-03-01 is a Sunday, and MW-WEEKLY starts at 02:00
    assert change(doc) == ("2026-03-01T02:00:00+08:00", "blocked", ["maintenance"])


def test_acct_1001_may_raise_its_limit(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    doc = why(huabei, examples.history("acct-1001"), "raise_limit", "2026-03-16T10:00")
    # two loans of 1,000 or more in 30 days (3,000 and 2,500): fewer than 3
    assert doc["decision"] == "allowed" and doc["reasons"] == [] and doc["undetermined"] == []
    assert change(doc) == ("2026-03-22T02:00:00+08:00", "blocked", ["maintenance"])


def test_acct_1001_timeline(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    intervals = timeline(huabei, examples.history("acct-1001"), "open", local("2026-02-20", zone),
                         local("2026-04-01", zone))
    found = [(i.to_json(huabei)["from"], i.to_json(huabei)["to"], i.to_json(huabei)["decision"],
              i.to_json(huabei)["rules"]) for i in intervals]
    borrowing, core, weekly = "PLAT-RECENT-BORROWING", "MW-CORE-UPGRADE", "MW-WEEKLY"
    assert found == [
        ("2026-02-20T00:00:00+08:00", "2026-03-01T02:00:00+08:00", "allowed", []),
        ("2026-03-01T02:00:00+08:00", "2026-03-01T04:00:00+08:00", "blocked", [weekly]),
        ("2026-03-01T04:00:00+08:00", "2026-03-05T20:10:00+08:00", "allowed", []),
        ("2026-03-05T20:10:00+08:00", "2026-03-08T01:00:00+08:00", "blocked", [borrowing]),  # 5,500 CNY
        ("2026-03-08T01:00:00+08:00", "2026-03-08T02:00:00+08:00", "blocked", [borrowing, core]),
        ("2026-03-08T02:00:00+08:00", "2026-03-08T04:00:00+08:00", "blocked", [borrowing, core, weekly]),
        ("2026-03-08T04:00:00+08:00", "2026-03-08T05:00:00+08:00", "blocked", [borrowing, core]),
        ("2026-03-08T05:00:00+08:00", "2026-03-15T02:00:00+08:00", "blocked", [borrowing]),
        ("2026-03-15T02:00:00+08:00", "2026-03-15T04:00:00+08:00", "blocked", [borrowing, weekly]),
        ("2026-03-15T04:00:00+08:00", "2026-03-22T02:00:00+08:00", "blocked", [borrowing]),
        ("2026-03-22T02:00:00+08:00", "2026-03-22T04:00:00+08:00", "blocked", [borrowing, weekly]),
        ("2026-03-22T04:00:00+08:00", "2026-03-27T14:30:00+08:00", "blocked", [borrowing]),
        ("2026-03-27T14:30:00+08:00", "2026-03-29T02:00:00+08:00", "allowed", []),
        ("2026-03-29T02:00:00+08:00", "2026-03-29T04:00:00+08:00", "blocked", [weekly]),
        ("2026-03-29T04:00:00+08:00", "2026-04-01T00:00:00+08:00", "allowed", []),
    ]
    assert [i.to_json(huabei)["blocked_by"] for i in intervals][4:6] == [["platform", "maintenance"]] * 2


def test_acct_1002_is_blocked_only_by_the_core_upgrade_window(huabei: chronolex.Bundle,
                                                              examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1002")
    doc = why(huabei, hist, "open", "2026-03-08T01:30")
    assert doc["decision"] == "blocked" and doc["blocked_by"] == ["maintenance"]
    assert rules(doc) == ["MW-CORE-UPGRADE"]
    (reason,) = doc["reasons"]
    assert reason["condition"] is None and reason["evidence"] == []
    assert lifts(doc, "MW-CORE-UPGRADE") == ("2026-03-08T05:00:00+08:00", None)
    # 2026-03-08 is a Sunday: MW-WEEKLY joins at 02:00, still maintenance only
    assert change(doc) == ("2026-03-08T02:00:00+08:00", "blocked", ["maintenance"])

    doc = why(huabei, hist, "open", "2026-03-08T02:30")
    assert rules(doc) == ["MW-CORE-UPGRADE", "MW-WEEKLY"]
    assert lifts(doc, "MW-WEEKLY") == ("2026-03-08T04:00:00+08:00", None)
    assert lifts(doc, "MW-CORE-UPGRADE") == ("2026-03-08T05:00:00+08:00", None)
    assert change(doc) == ("2026-03-08T04:00:00+08:00", "blocked", ["maintenance"])

    doc = why(huabei, hist, "open", "2026-03-08T05:00")
    assert doc["decision"] == "allowed"
    assert change(doc) == ("2026-03-15T02:00:00+08:00", "blocked", ["maintenance"])
    doc = why(huabei, hist, "open", "2026-03-08T00:30")
    assert doc["decision"] == "allowed"
    assert change(doc) == ("2026-03-08T01:00:00+08:00", "blocked", ["maintenance"])


def test_acct_1003_student_is_blocked_by_regulation_with_its_source(huabei: chronolex.Bundle,
                                                                    examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1003")
    doc = why(huabei, hist, "open", "2026-04-01T09:00")
    assert doc["decision"] == "blocked" and doc["blocked_by"] == ["regulation"]
    assert rules(doc) == ["REG-STUDENT-LENDING"]
    (reason,) = doc["reasons"]
    assert reason["source"] == {"authority": "Consumer Credit Authority", "document": "CCA Notice 2021-28",
                                "clause": "Art. 2"}
    assert reason["evidence"] == [{"fact": "occupation", "value": "student",
                                   "from_events": refs(("2025-09-01T11:04:00+08:00", "profile_updated"))}]
    assert lifts(doc, "REG-STUDENT-LENDING") == (None, 'occupation != "student"')  # fact-bound: no date
    assert change(doc) == ("2026-04-05T02:00:00+08:00", "blocked", ["regulation", "maintenance"])
    doc = why(huabei, hist, "borrow", "2026-04-01T09:00")
    assert (doc["decision"], doc["blocked_by"], rules(doc)) == ("blocked", ["regulation"], ["REG-STUDENT-LENDING"])


def test_acct_1004_login_failures_lift_when_the_first_leaves_the_24_hours(huabei: chronolex.Bundle,
                                                                          examples: chronolex.MemorySource) -> None:
    doc = why(huabei, examples.history("acct-1004"), "open", "2026-04-15T08:00")
    assert doc["decision"] == "blocked" and doc["blocked_by"] == ["platform"]
    assert rules(doc) == ["PLAT-LOGIN-FAILURES"]
    facts = evidence(doc, "PLAT-LOGIN-FAILURES")
    assert facts["login_failures_24h"]["value"] == 5
    assert [e["at"] for e in facts["login_failures_24h"]["from_events"]] == [
        "2026-04-14T22:05:00+08:00", "2026-04-14T22:07:00+08:00", "2026-04-14T22:10:00+08:00",
        "2026-04-15T07:40:00+08:00", "2026-04-15T07:42:00+08:00"]
    assert lifts(doc, "PLAT-LOGIN-FAILURES") == ("2026-04-15T22:05:00+08:00", "login_failures_24h < 5")
    assert change(doc) == ("2026-04-15T22:05:00+08:00", "allowed", [])


def test_acct_1005_frozen_lifts_only_when_unfrozen(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    doc = why(huabei, examples.history("acct-1005"), "open", "2026-05-06T11:00")
    assert doc["decision"] == "blocked" and doc["blocked_by"] == ["platform"]
    assert rules(doc) == ["PLAT-ACCOUNT-FROZEN"]
    assert evidence(doc, "PLAT-ACCOUNT-FROZEN")["account_status"] == {
        "fact": "account_status", "value": "frozen",
        "from_events": refs(("2026-05-02T16:45:00+08:00", "status_changed"))}
    assert lifts(doc, "PLAT-ACCOUNT-FROZEN") == (None, 'account_status not in ["frozen", "closed"]')
    assert change(doc) == ("2026-05-10T02:00:00+08:00", "blocked", ["platform", "maintenance"])


def test_acct_1006_retroactive_version_as_known_today(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    doc = why(huabei, examples.history("acct-1006"), "open", "2025-07-08T10:00")
    assert doc["decision"] == "blocked" and doc["policy"]["version"] == "2025.07"
    assert doc["policy"]["published_at"] == "2025-07-15T10:00:00+08:00"
    assert doc["blocked_by"] == ["regulation"] and rules(doc) == ["REG-CREDIT-CONSENT"]
    (reason,) = doc["reasons"]
    assert reason["source"] == {
        "authority": "Consumer Credit Authority",
        "document": "CCA Order No. 7 (2025) on Credit Information in Consumer Lending", "clause": "Art. 9(2)"}
    # no consent event yet: the default, false, from no event
    assert reason["evidence"] == [{"fact": "credit_report_consent", "value": False, "from_events": []}]
    assert lifts(doc, "REG-CREDIT-CONSENT") == (None, "credit_report_consent")
    # 2026.03 keeps the rule; the first change is the first Sunday window of 2026.03
    assert change(doc) == ("2026-03-01T02:00:00+08:00", "blocked", ["regulation", "maintenance"])


def test_acct_1006_retroactive_version_as_known_before_its_publication(huabei: chronolex.Bundle,
                                                                       examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1006")
    doc = why(huabei, hist, "open", "2025-07-08T10:00", known_at="2025-07-10T00:00")
    assert doc["known_at"] == "2025-07-10T00:00:00+08:00"
    assert doc["decision"] == "allowed" and doc["policy"]["version"] == "2025.01"
    assert doc["reasons"] == [] and doc["undetermined"] == []
    # as known then, nothing later was published and no event arrives: no change
    assert doc["next_change"] == {"at": None}
    assert why(huabei, hist, "open", "2025-07-08T10:00", known_at="2025-07-15T09:59:59")["decision"] == "allowed"
    known = why(huabei, hist, "open", "2025-07-08T10:00", known_at="2025-07-15T10:00")
    assert (known["decision"], rules(known), known["policy"]["version"]) == ("blocked", ["REG-CREDIT-CONSENT"], "2025.07")
    for known_at in (None, "2025-07-21T10:00"):
        assert why(huabei, hist, "open", "2025-07-21T10:00", known_at=known_at)["decision"] == "allowed"


def test_acct_1007_clean_customer_and_the_double_11_freeze(huabei: chronolex.Bundle,
                                                          examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1007")
    for action in ("open", "borrow", "raise_limit"):
        doc = why(huabei, hist, action, "2026-04-20T15:00")
        assert (doc["decision"], doc["reasons"], doc["undetermined"]) == ("allowed", [], []), action
        assert change(doc) == ("2026-04-26T02:00:00+08:00", "blocked", ["maintenance"]), action
    doc = why(huabei, hist, "raise_limit", "2026-11-11T12:00")
    assert doc["decision"] == "blocked" and doc["policy"]["version"] == "2026.06"
    assert doc["blocked_by"] == ["platform"] and rules(doc) == ["PLAT-DOUBLE11-FREEZE"]
    assert doc["reasons"][0]["evidence"] == [] and doc["reasons"][0]["condition"] is None
    assert lifts(doc, "PLAT-DOUBLE11-FREEZE") == ("2026-11-13T00:00:00+08:00", None)  # end of the active interval
    assert change(doc) == ("2026-11-13T00:00:00+08:00", "allowed", [])


def test_acct_1008_unknown_birth_date_is_undetermined_under_2025_01(huabei: chronolex.Bundle,
                                                                    examples: chronolex.MemorySource) -> None:
    doc = why(huabei, examples.history("acct-1008"), "open", "2025-03-12T10:00")
    assert doc["decision"] == "undetermined" and doc["policy"]["version"] == "2025.01"
    assert doc["blocked_by"] == [] and doc["reasons"] == []
    assert [(u["rule"], u["missing_facts"]) for u in doc["undetermined"]] == [("REG-MINORS", ["age", "birth_date"])]
    facts = evidence(doc, "REG-MINORS")
    assert facts["age"] == {"fact": "age", "value": None, "unknown": True, "from_events": []}
    assert facts["birth_date"] == {"fact": "birth_date", "value": None, "unknown": True, "from_events": []}
    # 2025.07 (as known today) makes the rule fail closed
    assert change(doc) == ("2025-07-01T00:00:00+08:00", "blocked", ["regulation"])


def test_acct_1008_unknown_birth_date_blocks_under_on_unknown_block(huabei: chronolex.Bundle,
                                                                    examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1008")
    doc = why(huabei, hist, "open", "2026-04-08T10:00")
    assert doc["decision"] == "blocked" and doc["policy"]["version"] == "2026.03"
    assert doc["blocked_by"] == ["regulation"] and rules(doc) == ["REG-MINORS"]
    (reason,) = doc["reasons"]
    assert reason["settled_by"] == "on_unknown: block"
    facts = evidence(doc, "REG-MINORS")
    assert facts["birth_date"]["unknown"] is True and facts["birth_date"]["value"] is None
    assert facts["age"]["unknown"] is True
    assert lifts(doc, "REG-MINORS") == (None, "age >= 18")
    assert doc["undetermined"] == []
    assert change(doc) == ("2026-04-12T02:00:00+08:00", "blocked", ["regulation", "maintenance"])
    for action in ("borrow", "raise_limit"):
        other = why(huabei, hist, action, "2026-04-08T10:00")
        assert (other["decision"], other["blocked_by"], rules(other)) == ("blocked", ["regulation"], ["REG-MINORS"])


def test_acct_1009_late_credit_bureau_report(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1009")
    doc = why(huabei, hist, "open", "2026-02-12T10:00")
    assert doc["decision"] == "blocked" and doc["policy"]["version"] == "2025.07"
    assert doc["blocked_by"] == ["platform"] and rules(doc) == ["PLAT-SCORE-FLOOR"]
    assert evidence(doc, "PLAT-SCORE-FLOOR")["credit_score"] == {
        "fact": "credit_score", "value": 530,
        "from_events": [{"at": "2026-02-10T06:00:00+08:00", "type": "credit_score_updated",
                         "recorded_at": "2026-02-14T09:00:00+08:00"}]}
    assert lifts(doc, "PLAT-SCORE-FLOOR") == (None, "credit_score >= 550")
    # 2026.03 keeps PLAT-SCORE-FLOOR (now < 600); the first change is its first Sunday window
    assert change(doc) == ("2026-03-01T02:00:00+08:00", "blocked", ["platform", "maintenance"])

    known = why(huabei, hist, "open", "2026-02-12T10:00", known_at="2026-02-12T10:00")
    assert known["decision"] == "allowed" and known["policy"]["version"] == "2025.07"
    assert known["next_change"] == {"at": None}  # 2026.03 was published only on 2026-02-20
    assert why(huabei, hist, "open", "2026-02-12T10:00", known_at="2026-02-14T08:59:59")["decision"] == "allowed"
    assert why(huabei, hist, "open", "2026-02-12T10:00", known_at="2026-02-14T09:00")["decision"] == "blocked"


def test_acct_1010_pilot_tier_is_exempt(huabei: chronolex.Bundle, examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1010")
    doc = why(huabei, hist, "open", "2026-04-20T15:00")
    assert doc["decision"] == "allowed" and doc["reasons"] == [] and doc["undetermined"] == []
    assert change(doc) == ("2026-04-26T02:00:00+08:00", "blocked", ["maintenance"])
    standard = AccountHistory("acct-1010", [e for e in hist.events if e.type != "tier_changed"])
    doc = why(huabei, standard, "open", "2026-04-20T15:00")
    assert doc["decision"] == "blocked" and rules(doc) == ["PLAT-SCORE-FLOOR"]
    (reason,) = doc["reasons"]
    assert reason["condition"] == "credit_score < 600" and reason["unless"] == 'account_tier == "pilot"'
    assert reason["evidence"] == [
        {"fact": "account_tier", "value": "standard", "from_events": []},
        {"fact": "credit_score", "value": 585, "from_events": refs(("2026-03-20T06:00:00+08:00", "credit_score_updated"))},
    ]
    assert lifts(doc, "PLAT-SCORE-FLOOR") == (None, 'credit_score >= 600 or account_tier == "pilot"')


def test_a_decision_from_given_facts(huabei: chronolex.Bundle) -> None:
    at = local("2026-04-20T15:00", huabei.timezone)
    facts = given_facts(huabei, {"kyc_verified": True, "credit_report_consent": True, "birth_date": "1990-01-01",
                                 "occupation": "engineer", "credit_score": 580}, at)
    doc = decide_with_facts(huabei, facts, "open", at).to_json()
    validator("decision").validate(doc)
    assert doc["account"] is None
    assert (doc["decision"], doc["blocked_by"], rules(doc)) == ("blocked", ["platform"], ["PLAT-SCORE-FLOOR"])
    assert lifts(doc, "PLAT-SCORE-FLOOR") == (None, 'credit_score >= 600 or account_tier == "pilot"')


# ================================================================================================
# Fixture bundles: DST, calendar windows, versions, now-dependent facts
# ================================================================================================


@pytest.fixture(scope="module")
def new_york() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "dst-new-york")


@pytest.fixture(scope="module")
def berlin() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "dst-berlin")


@pytest.mark.parametrize(("at", "decision", "lift", "next_change"), [
    # spring forward: the 02:30 occurrence of 2026-03-08 runs 03:30-04:30 EDT
    ("2026-03-07T12:00", "allowed", None, ("2026-03-08T03:30:00-04:00", "blocked", ["maintenance"])),
    ("2026-03-08T03:15", "allowed", None, ("2026-03-08T03:30:00-04:00", "blocked", ["maintenance"])),
    ("2026-03-08T03:45", "blocked", "2026-03-08T04:30:00-04:00", ("2026-03-08T04:30:00-04:00", "allowed", [])),
    ("2026-03-09T02:45", "blocked", "2026-03-09T03:30:00-04:00", ("2026-03-09T03:30:00-04:00", "allowed", [])),
    # fall back: 02:30 on 2026-11-01 happens once, in EST
    ("2026-10-31T12:00", "allowed", None, ("2026-11-01T02:30:00-05:00", "blocked", ["maintenance"])),
    ("2026-11-01T02:45", "blocked", "2026-11-01T03:30:00-05:00", ("2026-11-01T03:30:00-05:00", "allowed", [])),
])
def test_a_daily_0230_window_in_new_york_across_dst(new_york: chronolex.Bundle, at: str, decision: str,
                                                    lift: str | None, next_change: tuple[str, str, list[str]]) -> None:
    doc = why(new_york, history(), "open", at)
    assert doc["decision"] == decision
    if lift is None:
        assert doc["reasons"] == []
    else:
        assert doc["blocked_by"] == ["maintenance"] and rules(doc) == ["MW-NIGHTLY-0230"]
        assert lifts(doc, "MW-NIGHTLY-0230") == (lift, None)
    assert change(doc) == next_change


@pytest.mark.parametrize(("at", "decision", "lift", "next_change"), [
    # 01:30 is ambiguous on 2026-11-01: the first one (EDT), lasting one elapsed hour, to 01:30 EST
    ("2026-11-01T01:40-04:00", "blocked", "2026-11-01T01:30:00-05:00", ("2026-11-01T01:30:00-05:00", "allowed", [])),
    ("2026-11-01T01:15-05:00", "blocked", "2026-11-01T01:30:00-05:00", ("2026-11-01T01:30:00-05:00", "allowed", [])),
    ("2026-11-01T01:45-05:00", "allowed", None, ("2026-11-02T01:30:00-05:00", "blocked", ["maintenance"])),
])
def test_a_daily_0130_window_in_the_new_york_fold(new_york: chronolex.Bundle, at: str, decision: str,
                                                  lift: str | None, next_change: tuple[str, str, list[str]]) -> None:
    doc = why(new_york, history(), "borrow", at)
    assert doc["decision"] == decision
    if lift is not None:
        assert rules(doc) == ["MW-NIGHTLY-0130"] and lifts(doc, "MW-NIGHTLY-0130") == (lift, None)
    assert change(doc) == next_change


def test_a_new_york_timeline_across_the_spring_forward_night(new_york: chronolex.Bundle) -> None:
    zone = new_york.timezone
    occurrences = [("2026-03-07T02:30:00-05:00", "2026-03-07T03:30:00-05:00"),
                   ("2026-03-08T03:30:00-04:00", "2026-03-08T04:30:00-04:00"),  # 02:30 falls in the gap
                   ("2026-03-09T02:30:00-04:00", "2026-03-09T03:30:00-04:00")]
    # from before the first night, and from 03:15 EDT on the gap night (before the moved start)
    for start, expected in (("2026-03-07T00:00", occurrences), ("2026-03-08T03:15", occurrences[1:])):
        found = [(i.to_json(new_york)["from"], i.to_json(new_york)["to"], i.to_json(new_york)["rules"])
                 for i in timeline(new_york, history(), "open", local(start, zone), local("2026-03-09T12:00", zone))]
        assert [(a, b) for a, b, r in found if r == ["MW-NIGHTLY-0230"]] == expected, start


@pytest.mark.parametrize(("at", "decision", "lift", "next_change"), [
    # spring forward on 2026-03-29: 02:30 becomes 03:30 CEST, to 04:30 CEST
    ("2026-03-29T03:15+02:00", "allowed", None, ("2026-03-29T03:30:00+02:00", "blocked", ["maintenance"])),
    ("2026-03-29T03:45+02:00", "blocked", "2026-03-29T04:30:00+02:00", ("2026-03-29T04:30:00+02:00", "allowed", [])),
    # fall back on 2026-10-25: the first 02:30 (CEST), one elapsed hour, to 02:30 CET
    ("2026-10-25T02:45+02:00", "blocked", "2026-10-25T02:30:00+01:00", ("2026-10-25T02:30:00+01:00", "allowed", [])),
    ("2026-10-25T02:15+01:00", "blocked", "2026-10-25T02:30:00+01:00", ("2026-10-25T02:30:00+01:00", "allowed", [])),
    ("2026-10-25T02:45+01:00", "allowed", None, ("2026-10-26T02:30:00+01:00", "blocked", ["maintenance"])),
])
def test_a_daily_0230_window_in_berlin_across_dst(berlin: chronolex.Bundle, at: str, decision: str,
                                                  lift: str | None, next_change: tuple[str, str, list[str]]) -> None:
    doc = why(berlin, history(), "open", at)
    assert doc["decision"] == decision
    if lift is not None:
        assert rules(doc) == ["MW-NIGHTLY"] and lifts(doc, "MW-NIGHTLY") == (lift, None)
    assert change(doc) == next_change


def test_a_daily_0230_window_in_shanghai_has_no_dst(tmp_path: Path) -> None:
    root = tmp_path / "shanghai"
    shutil.copytree(BUNDLES / "dst-berlin", root)
    manifest = root / "bundle.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(BERLIN, SH), encoding="utf-8")
    bundle = chronolex.load_bundle(root)
    for day in ("2026-03-29", "2026-10-25"):
        doc = why(bundle, history(), "open", f"{day}T03:00")
        assert rules(doc) == ["MW-NIGHTLY"] and lifts(doc, "MW-NIGHTLY") == (f"{day}T03:30:00+08:00", None)
        assert change(doc) == (f"{day}T03:30:00+08:00", "allowed", [])


@pytest.mark.parametrize(("name", "zone", "event_at", "at", "elapsed_lift", "wall_lift"), [
    ("dst-new-york", NY, "2026-03-07T12:00", "2026-03-08T10:00", "2026-03-08T13:00:00-04:00", "2026-03-08T12:00:00-04:00"),
    ("dst-new-york", NY, "2026-10-31T12:00", "2026-11-01T09:00", "2026-11-01T11:00:00-05:00", "2026-11-01T12:00:00-05:00"),
    ("dst-berlin", BERLIN, "2026-03-28T12:00", "2026-03-29T10:00", "2026-03-29T13:00:00+02:00", "2026-03-29T12:00:00+02:00"),
    ("dst-berlin", BERLIN, "2026-10-24T12:00", "2026-10-25T09:00", "2026-10-25T11:00:00+01:00", "2026-10-25T12:00:00+01:00"),
])
def test_pt24h_and_p1d_lift_at_different_instants_across_dst(name: str, zone: str, event_at: str, at: str,
                                                             elapsed_lift: str, wall_lift: str) -> None:
    bundle = chronolex.load_bundle(BUNDLES / name)
    hist = history(ev("login_failed", event_at, zone))
    doc = why(bundle, hist, "login", at)
    assert rules(doc) == ["PLAT-FAILS-24H"]
    assert lifts(doc, "PLAT-FAILS-24H") == (elapsed_lift, "fails_24h < 1")
    assert change(doc) == (elapsed_lift, "allowed", [])
    doc = why(bundle, hist, "pay", at)
    assert rules(doc) == ["PLAT-FAILS-1D"]
    assert lifts(doc, "PLAT-FAILS-1D") == (wall_lift, "fails_1d < 1")
    assert change(doc) == (wall_lift, "allowed", [])


@pytest.fixture(scope="module")
def calendar() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "calendar-windows")


def test_an_event_on_29_february_lifts_a_p12m_rule_on_1_march(calendar: chronolex.Bundle) -> None:
    overdue = ev("repayment_overdue", "2024-02-29T10:00", SH)
    hist = history(overdue)
    doc = why(calendar, hist, "open", "2025-02-28T23:59")
    assert doc["decision"] == "blocked" and rules(doc) == ["PLAT-OVERDUE-12M"]
    assert evidence(doc, "PLAT-OVERDUE-12M")["overdue_12m"] == {
        "fact": "overdue_12m", "value": 1, "from_events": refs(("2024-02-29T10:00:00+08:00", "repayment_overdue"))}
    # not 2025-02-28 (29 February + 12 months, clamped): the event leaves when T - 12 months >= it
    assert lifts(doc, "PLAT-OVERDUE-12M") == ("2025-03-01T00:00:00+08:00", "overdue_12m < 1")
    assert change(doc) == ("2025-03-01T00:00:00+08:00", "allowed", [])
    doc = why(calendar, hist, "open", "2025-03-01T00:00")
    assert doc["decision"] == "allowed" and doc["next_change"] == {"at": None}
    doc = why(calendar, history(ev("repayment_overdue", "2024-02-29", SH)), "open", "2024-06-01")
    assert lifts(doc, "PLAT-OVERDUE-12M") == ("2025-03-01T00:00:00+08:00", "overdue_12m < 1")


def test_a_p1m_window_from_31_march_lifts_on_1_may(calendar: chronolex.Bundle) -> None:
    doc = why(calendar, history(ev("loan_disbursed", "2026-03-31T10:00", SH)), "borrow", "2026-04-30T12:00")
    assert doc["decision"] == "blocked" and rules(doc) == ["PLAT-LOANS-1M"]
    assert lifts(doc, "PLAT-LOANS-1M") == ("2026-05-01T00:00:00+08:00", "loans_1m < 1")
    doc = why(calendar, history(ev("loan_disbursed", "2026-03-30T10:00", SH)), "borrow", "2026-04-10T12:00")
    assert lifts(doc, "PLAT-LOANS-1M") == ("2026-04-30T10:00:00+08:00", "loans_1m < 1")


@pytest.fixture(scope="module")
def ties() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "version-ties")


def test_a_version_boundary_lifts_a_reason_and_changes_the_reasons(ties: chronolex.Bundle) -> None:
    doc = why(ties, history(), "open", "2025-05-31T23:00")
    assert doc["policy"]["version"] == "A" and rules(doc) == ["RULE-A"]
    assert lifts(doc, "RULE-A") == ("2025-06-01T00:00:00+02:00", None)
    # still blocked by platform, but by another rule: the set of reasons changes
    assert change(doc) == ("2025-06-01T00:00:00+02:00", "blocked", ["platform"])


def test_a_tie_on_effective_from_goes_to_the_later_publication(ties: chronolex.Bundle) -> None:
    doc = why(ties, history(), "open", "2025-07-01T12:00")
    assert doc["policy"]["version"] == "B2" and rules(doc) == ["RULE-B2"]
    # the retroactive C takes effect on 2025-09-01 (as known today)
    assert lifts(doc, "RULE-B2") == ("2025-09-01T00:00:00+02:00", None)
    assert change(doc) == ("2025-09-01T00:00:00+02:00", "blocked", ["platform"])
    doc = why(ties, history(), "open", "2025-07-01T12:00", known_at="2025-05-10T00:00")
    assert doc["policy"]["version"] == "B" and rules(doc) == ["RULE-B"]
    assert lifts(doc, "RULE-B") == (None, None)
    assert doc["next_change"] == {"at": None}


def test_no_policy_before_the_first_version_and_before_any_publication(ties: chronolex.Bundle) -> None:
    doc = why(ties, history(), "open", "2024-12-31T12:00")
    assert (doc["decision"], doc["policy"], doc["blocked_by"], doc["reasons"]) == ("no_policy", None, [], [])
    assert change(doc) == ("2025-01-01T00:00:00+01:00", "blocked", ["platform"])
    doc = why(ties, history(), "borrow", "2024-12-31T12:00")
    assert change(doc) == ("2025-01-01T00:00:00+01:00", "allowed", [])
    doc = why(ties, history(), "open", "2025-03-01T12:00", known_at="2024-11-01T00:00")
    assert (doc["decision"], doc["policy"]) == ("no_policy", None)
    assert doc["next_change"] == {"at": None}  # nothing is known to take effect, as known then


def test_versions_that_decide_alike_are_no_change(ties: chronolex.Bundle) -> None:
    # no version restricts borrow: A, B2 and C follow each other, and the decision never changes
    doc = why(ties, history(), "borrow", "2025-03-01T12:00")
    assert doc["decision"] == "allowed"
    assert doc["next_change"] == {"at": None}


@pytest.fixture(scope="module")
def ages() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "age")


def test_a_minor_is_blocked_until_the_18th_birthday_at_local_midnight(ages: chronolex.Bundle) -> None:
    hist = history(ev("profile_updated", "2025-02-01T10:00", BERLIN, birth_date="2008-06-15"))
    doc = why(ages, hist, "open", "2026-01-10T12:00")
    assert (doc["decision"], doc["blocked_by"], rules(doc)) == ("blocked", ["regulation"], ["REG-MINORS"])
    profile = refs(("2025-02-01T10:00:00+01:00", "profile_updated"))
    assert evidence(doc, "REG-MINORS") == {
        "age": {"fact": "age", "value": 17, "from_events": profile},
        "birth_date": {"fact": "birth_date", "value": "2008-06-15", "from_events": profile},
    }
    assert lifts(doc, "REG-MINORS") == ("2026-06-15T00:00:00+02:00", "age >= 18")
    assert change(doc) == ("2026-06-15T00:00:00+02:00", "allowed", [])
    assert why(ages, hist, "open", "2026-06-14T23:59:59")["decision"] == "blocked"
    assert why(ages, hist, "open", "2026-06-15T00:00")["decision"] == "allowed"


def test_a_minor_born_on_29_february_comes_of_age_on_1_march(ages: chronolex.Bundle) -> None:
    hist = history(ev("profile_updated", "2025-02-01T10:00", BERLIN, birth_date="2008-02-29"))
    doc = why(ages, hist, "open", "2026-01-10T12:00")
    assert lifts(doc, "REG-MINORS") == ("2026-03-01T00:00:00+01:00", "age >= 18")
    assert change(doc) == ("2026-03-01T00:00:00+01:00", "allowed", [])


def test_an_unknown_age_is_undetermined_and_nothing_changes_it(ages: chronolex.Bundle) -> None:
    doc = why(ages, history(ev("profile_updated", "2025-02-01", BERLIN)), "open", "2026-01-10T12:00")
    assert doc["decision"] == "undetermined"
    assert [(u["rule"], u["missing_facts"]) for u in doc["undetermined"]] == [("REG-MINORS", ["age", "birth_date"])]
    assert doc["next_change"] == {"at": None}


def test_days_since_lifts_after_whole_elapsed_days_across_dst(ages: chronolex.Bundle) -> None:
    reset = ev("password_reset", "2026-03-28T10:00", BERLIN)
    doc = why(ages, history(reset), "raise_limit", "2026-03-29T12:00")
    assert (doc["decision"], doc["blocked_by"], rules(doc)) == ("blocked", ["platform"], ["PLAT-RESET-COOLDOWN"])
    assert evidence(doc, "PLAT-RESET-COOLDOWN")["days_since_reset"] == {
        "fact": "days_since_reset", "value": 1, "from_events": refs(("2026-03-28T10:00:00+01:00", "password_reset"))}
    # 48 elapsed hours after 09:00 UTC on 03-28: 11:00 summer time on 03-30, not 10:00
    assert lifts(doc, "PLAT-RESET-COOLDOWN") == ("2026-03-30T11:00:00+02:00", "days_since_reset >= 2")
    assert change(doc) == ("2026-03-30T11:00:00+02:00", "allowed", [])
    doc = why(ages, history(), "raise_limit", "2026-03-29T12:00")  # never reset: on_unknown: allow
    assert doc["decision"] == "allowed" and doc["undetermined"] == []
    assert doc["next_change"] == {"at": None}


def test_a_condition_on_now_lifts_at_the_instant_it_names(ages: chronolex.Bundle) -> None:
    doc = why(ages, history(), "borrow", "2026-06-01T12:00")
    assert (doc["decision"], rules(doc)) == ("blocked", ["PLAT-EMBARGO"])
    assert doc["reasons"][0]["evidence"] == []
    assert lifts(doc, "PLAT-EMBARGO") == ("2026-07-01T00:00:00+02:00", 'now >= date("2026-07-01")')
    assert change(doc) == ("2026-07-01T00:00:00+02:00", "allowed", [])


def test_evidence_lists_the_most_recent_events_and_counts_them_all(huabei: chronolex.Bundle) -> None:
    failures = [ev("login_failed", f"2026-04-15T{i // 60:02d}:{i % 60:02d}", SH) for i in range(60)]
    doc = why(huabei, history(failures), "borrow", "2026-04-15T02:00")
    fact = evidence(doc, "PLAT-LOGIN-FAILURES")["login_failures_24h"]
    assert fact["value"] == 60 and fact["events_total"] == 60
    assert len(fact["from_events"]) == 50
    assert fact["from_events"][0]["at"] == "2026-04-15T00:10:00+08:00"
    assert fact["from_events"][-1]["at"] == "2026-04-15T00:59:00+08:00"


def test_event_ids_and_ignored_fields_show_in_the_document(huabei: chronolex.Bundle) -> None:
    score = chronolex.Event("acct-x", local("2026-01-05T06:00", SH), "credit_score_updated", local("2026-01-05T06:00", SH),
                         chronolex.events.encoding.freeze_fields({"score": 580}), id="evt-0001")
    bad = ev("credit_score_updated", "2026-02-05T06:00", SH, score="high")
    doc = why(huabei, history(score, bad), "open", "2026-03-02T10:00")
    assert evidence(doc, "PLAT-SCORE-FLOOR")["credit_score"]["from_events"] == [
        {"at": "2026-01-05T06:00:00+08:00", "type": "credit_score_updated", "id": "evt-0001"}]
    assert len(doc["notes"]) == 1 and "credit_score" in doc["notes"][0]


# ================================================================================================
# Determinism and bounded look-ahead
# ================================================================================================


def as_bytes(decision: chronolex.Decision) -> str:
    return json.dumps(decision.to_json(), sort_keys=False)


@pytest.mark.parametrize("account", [f"acct-{n}" for n in range(1001, 1011)])
def test_same_input_same_bytes(huabei: chronolex.Bundle, examples: chronolex.MemorySource, account: str) -> None:
    hist = examples.history(account)
    reordered = AccountHistory(account, list(reversed(hist.events)))
    reloaded = chronolex.load_bundle(HUABEI)
    zone = huabei.timezone
    for at, known_at in (("2025-07-08T10:00", None), ("2026-03-08T02:30", None), ("2026-02-12T10:00", "2026-02-12T10:00"),
                         ("2026-11-11T12:00", None)):
        for action in huabei.actions:
            instant, known = local(at, zone), (local(known_at, zone) if known_at else None)
            first = as_bytes(decide(huabei, hist, action, instant, known))
            assert as_bytes(decide(huabei, hist, action, instant, known)) == first
            assert as_bytes(decide(huabei, reordered, action, instant, known)) == first
            assert as_bytes(decide(reloaded, reordered, action, instant, known)) == first


def test_events_at_the_same_instant_give_the_same_bytes_in_any_input_order(huabei: chronolex.Bundle) -> None:
    base = [
        ev("kyc_verified", "2025-01-01", SH), ev("credit_consent_changed", "2025-01-01", SH, granted=True),
        ev("profile_updated", "2025-01-01", SH, birth_date="1990-01-01", occupation="engineer"),
    ]
    low = ev("credit_score_updated", "2026-01-05T06:00", SH, score=580)
    high = ev("credit_score_updated", "2026-01-05T06:00", SH, score=650)
    at = local("2026-04-01T10:00", huabei.timezone)
    one = as_bytes(decide(huabei, history(*base, low, high), "open", at))
    other = as_bytes(decide(huabei, history(*base, high, low), "open", at))
    assert one == other


def test_the_same_event_twice_in_a_history_built_in_python_is_one_event(huabei: chronolex.Bundle,
                                                                           tmp_path: Path) -> None:
    # as the store and every reader keep it: a count must not depend on the path the events took
    loan = ev("loan_disbursed", "2026-03-01T14:30", SH, amount="6000.00", currency="CNY")
    base = [ev("kyc_verified", "2025-01-01", SH), ev("credit_consent_changed", "2025-01-01", SH, granted=True)]
    twice = history(*base, loan, loan)
    assert len(twice) == 3 and twice.of_type("loan_disbursed") == (loan,)
    other = ev("loan_disbursed", "2026-03-01T14:30", SH, amount="7000.00", currency="CNY")
    assert len(history(*base, loan, other, loan)) == 4  # same instant, other content: two events
    with chronolex.EventStore(tmp_path / "s.db", create=True) as store:
        store.ingest(twice.events + (loan,))
        stored = store.history(twice.account)
    at = local("2026-03-16T10:00", huabei.timezone)
    assert decide(huabei, twice, "borrow", at).to_json() == decide(huabei, stored, "borrow", at).to_json()


@contextmanager
def counting_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """Records every instant the engine evaluates, to show that a look-ahead prunes."""
    seen: list[datetime] = []
    original = chronolex.Evaluator.point

    def point(self: chronolex.Evaluator, history: AccountHistory, action: str, at: datetime, *args: object,
              **kwargs: object) -> object:
        seen.append(at)
        return original(self, history, action, at, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chronolex.Evaluator, "point", point)
    yield seen


def test_a_look_ahead_with_days_since_and_nothing_to_change_stops_early(huabei: chronolex.Bundle,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # as known at 2025-08-01 no version after 2025.07 exists, and days_since_password_reset grows forever
    hist = history(
        ev("kyc_verified", "2025-01-01", SH), ev("credit_consent_changed", "2025-01-01", SH, granted=True),
        ev("profile_updated", "2025-01-01", SH, birth_date="1990-01-01", occupation="engineer"),
        ev("credit_score_updated", "2025-01-01", SH, score=700), ev("password_reset", "2025-06-01T10:00", SH),
    )
    zone = huabei.timezone
    with counting_points(monkeypatch) as seen:
        doc = decide(huabei, hist, "raise_limit", local("2025-08-01", zone), local("2025-08-01", zone)).to_json()
    assert doc["decision"] == "allowed" and doc["next_change"] == {"at": None}
    # the day count is compared with numbers, so only crossing them matters: what is left is
    # one point a year, where the age (read by the minors rule) changes, not one a day
    assert len(seen) < 200


def test_a_look_ahead_past_a_schedule_whose_rule_cannot_apply_skips_its_occurrences(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "bundle.yaml").write_text(
        "bundle: nightly\ntimezone: Europe/Berlin\nactions: [open]\n"
        "facts:\n  verified: {type: bool, derive: {exists: verified}}\n", encoding="utf-8")
    (tmp_path / "versions" / "v1.yaml").write_text(
        'version: "v1"\neffective_from: 2026-01-01\npublished_at: 2025-12-01T09:00:00+01:00\nrules:\n'
        "  - id: MW-NIGHTLY-VERIFIED\n    category: maintenance\n    actions: [open]\n    when: verified\n"
        '    schedule: {rrule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0", duration: PT1H}\n', encoding="utf-8")
    bundle = chronolex.load_bundle(tmp_path)
    with counting_points(monkeypatch) as seen:
        doc = why(bundle, history(), "open", "2026-02-01T12:00")
    assert doc["decision"] == "allowed" and doc["next_change"] == {"at": None}
    assert len(seen) < 10  # not one point per night for a century
    # once verified, the nightly window applies
    doc = why(bundle, history(ev("verified", "2026-01-15", BERLIN)), "open", "2026-02-01T12:00")
    assert change(doc) == ("2026-02-02T02:00:00+01:00", "blocked", ["maintenance"])


def test_timeline_intervals_are_consecutive_and_cover_the_range(huabei: chronolex.Bundle,
                                                                examples: chronolex.MemorySource) -> None:
    zone = huabei.timezone
    start, end = local("2025-06-01", zone), local("2026-12-01", zone)
    for account in examples.accounts():
        intervals = timeline(huabei, examples.history(account), "open", start, end)
        assert intervals[0].start == start and intervals[-1].end == end
        for before, after in zip(intervals, intervals[1:]):
            assert before.end == after.start
            # exact intervals: two neighbours never say the same thing
            assert before.to_json(huabei)["decision"] != after.to_json(huabei)["decision"] or (
                before.to_json(huabei)["rules"] != after.to_json(huabei)["rules"]
                or before.to_json(huabei)["undetermined"] != after.to_json(huabei)["undetermined"]
            ), (account, before.to_json(huabei), after.to_json(huabei))
    assert timeline(huabei, examples.history("acct-1001"), "open", end, start) == ()


def test_a_replayed_timeline_sees_a_late_event_only_once_it_is_known(huabei: chronolex.Bundle,
                                                                    examples: chronolex.MemorySource) -> None:
    hist = examples.history("acct-1009")
    zone = huabei.timezone
    start, end = local("2026-02-09", zone), local("2026-02-16", zone)
    found = [(i.to_json(huabei)["from"], i.to_json(huabei)["decision"]) for i in timeline(huabei, hist, "open", start, end)]
    assert found == [("2026-02-09T00:00:00+08:00", "allowed"), ("2026-02-10T06:00:00+08:00", "blocked")]
    known = timeline(huabei, hist, "open", start, end, known_at=local("2026-02-12T10:00", zone))
    assert [(i.to_json(huabei)["from"], i.to_json(huabei)["decision"]) for i in known] == [
        ("2026-02-09T00:00:00+08:00", "allowed")]


def test_the_decision_document_has_the_fields_of_design_section_6(huabei: chronolex.Bundle,
                                                                  examples: chronolex.MemorySource) -> None:
    doc = why(huabei, examples.history("acct-1002"), "open", "2026-03-08T02:30")
    assert list(doc)[:10] == ["account", "action", "at", "known_at", "decision", "policy", "blocked_by", "reasons",
                              "undetermined", "next_change"]
    assert set(doc["policy"]) >= {"bundle", "version", "effective_from"}
    for reason in doc["reasons"]:
        assert set(reason) >= {"rule", "category", "title", "source", "condition", "evidence", "lifts"}
    assert datetime.fromisoformat(doc["at"]) == local("2026-03-08T02:30", huabei.timezone)
    assert timedelta(0) == datetime.fromisoformat(doc["next_change"]["at"]) - local("2026-03-08T04:00", huabei.timezone)
