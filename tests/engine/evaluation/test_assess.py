"""Evaluation at one instant: the version in force, every applicable restriction,
exemptions, Kleene logic, ``on_unknown`` and the order of reasons (docs/policy-format.md, docs/reference/time.md, docs/reference/decision.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import chronolex
from chronolex import Evaluator
from chronolex.bundle.schemas import validator
from tests.conftest import HUABEI
from tests.replay_strategies import BUNDLES, ev, history, local

SH = "Asia/Shanghai"
BERLIN = "Europe/Berlin"


@pytest.fixture(scope="module")
def logic() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "logic")


@pytest.fixture(scope="module")
def ties() -> chronolex.Bundle:
    return chronolex.load_bundle(BUNDLES / "version-ties")


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


def point(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, action: str, at: str,
          known_at: str | None = None) -> chronolex.evaluation.assess.Point:
    zone = bundle.timezone
    return Evaluator(bundle).point(hist, action, local(at, zone), local(known_at, zone) if known_at else None)


def outcome(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, action: str, at: str,
            known_at: str | None = None) -> tuple[str, list[str], list[str]]:
    """(decision, restricting rule ids, undetermined rule ids) at (at, known_at)."""
    assessment = point(bundle, hist, action, at, known_at).assessment
    return (assessment.decision, [o.rule.id for o in assessment.restricting],
            [o.rule.id for o in assessment.undetermined])


def document(bundle: chronolex.Bundle, hist: chronolex.AccountHistory, action: str, at: str,
             known_at: str | None = None) -> dict[str, Any]:
    zone = bundle.timezone
    decision = chronolex.decide(bundle, hist, action, local(at, zone), local(known_at, zone) if known_at else None)
    doc = decision.to_json()
    validator("decision").validate(doc)
    return doc


# -- the version in force ---------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "known_at", "expected"), [
    ("2024-12-31T23:59:59.999999", None, None),          # before the first version: no policy
    ("2025-01-01T00:00", None, "A"),                        # effective_from is the start of that day, Berlin time
    ("2025-05-31T23:59:59", None, "A"),
    ("2025-06-01T00:00", None, "B2"),                       # B and B2 tie on effective_from: later publication
    ("2025-06-01T00:00", "2025-05-15T09:00", "B2"),
    ("2025-06-01T00:00", "2025-05-15T08:59:59", "B"),     # B2 not yet published
    ("2025-06-01T00:00", "2025-04-30T23:00", "A"),          # neither B nor B2 published yet
    ("2025-03-01T00:00", "2024-11-30T23:59", None),         # nothing published yet: no policy as known then
    ("2025-09-15T12:00", None, "C"),                        # retroactive C, as known today
    ("2025-09-15T12:00", "2025-09-20T00:00", "B2"),         # ... but not as known before its publication
    ("2025-09-15T12:00", "2025-10-01T09:00", "C"),
])
def test_the_version_in_force(ties: chronolex.Bundle, at: str, known_at: str | None, expected: str | None) -> None:
    found = point(ties, history(), "open", at, known_at)
    assert (found.version.id if found.version else None) == expected
    decision, restricting, _ = outcome(ties, history(), "open", at, known_at)
    if expected is None:
        assert (decision, restricting) == ("no_policy", [])
    else:
        assert (decision, restricting) == ("blocked", [f"RULE-{expected}"])


def test_no_policy_is_an_explicit_state_never_an_allow(ties: chronolex.Bundle) -> None:
    for at, known_at in (("2024-12-31T12:00", None), ("2025-03-01T12:00", "2024-11-01T00:00")):
        doc = document(ties, history(), "borrow", at, known_at)
        assert doc["decision"] == "no_policy"
        assert doc["policy"] is None
        assert doc["blocked_by"] == [] and doc["reasons"] == []


def test_the_policy_reference_names_the_chosen_version(ties: chronolex.Bundle) -> None:
    doc = document(ties, history(), "open", "2025-07-01T12:00")
    policy = doc["policy"]
    assert isinstance(policy, dict)
    assert policy["bundle"] == "version-ties"
    assert policy["version"] == "B2"
    assert policy["effective_from"] == "2025-06-01T00:00:00+02:00"
    assert policy["published_at"] == "2025-05-15T09:00:00+02:00"
    doc = document(ties, history(), "open", "2025-07-01T12:00", known_at="2025-05-10T00:00")
    assert doc["policy"]["version"] == "B"
    assert doc["known_at"] == "2025-05-10T00:00:00+02:00"


# -- Kleene logic and unknown facts ----------------------------------------------------------------------

VERIFIED = ev("verified", "2025-01-05", SH)
SCORE_550 = ev("score_updated", "2025-01-05", SH, score=550)
SCORE_700 = ev("score_updated", "2025-01-05", SH, score=700)
AT = "2025-03-01T12:00"


def test_false_and_unknown_is_false(logic: chronolex.Bundle) -> None:
    # K-AND: verified and score < 600; not verified, score unknown
    assert outcome(logic, history(), "k_and", AT) == ("allowed", [], [])
    assert outcome(logic, history(VERIFIED), "k_and", AT) == ("undetermined", [], ["K-AND"])
    assert outcome(logic, history(VERIFIED, SCORE_550), "k_and", AT) == ("blocked", ["K-AND"], [])


def test_true_or_unknown_is_true(logic: chronolex.Bundle) -> None:
    # K-OR: not verified or score < 600
    assert outcome(logic, history(), "k_or", AT) == ("blocked", ["K-OR"], [])
    assert outcome(logic, history(VERIFIED), "k_or", AT) == ("undetermined", [], ["K-OR"])
    assert outcome(logic, history(VERIFIED, SCORE_700), "k_or", AT) == ("allowed", [], [])


def test_not_unknown_is_unknown(logic: chronolex.Bundle) -> None:
    # K-NOT: not (score >= 600)
    assert outcome(logic, history(), "k_not", AT) == ("undetermined", [], ["K-NOT"])
    assert outcome(logic, history(SCORE_550), "k_not", AT) == ("blocked", ["K-NOT"], [])
    assert outcome(logic, history(SCORE_700), "k_not", AT) == ("allowed", [], [])


def test_an_unknown_exemption_leaves_the_rule_undetermined(logic: chronolex.Bundle) -> None:
    # K-UNLESS: when verified, unless tier == "pilot"; tier has no default
    pilot = ev("tier_changed", "2025-01-06", SH, tier="pilot")
    standard = ev("tier_changed", "2025-01-06", SH, tier="standard")
    assert outcome(logic, history(VERIFIED), "k_unless", AT) == ("undetermined", [], ["K-UNLESS"])
    assert outcome(logic, history(), "k_unless", AT) == ("allowed", [], [])  # when is false: unless is moot
    assert outcome(logic, history(VERIFIED, pilot), "k_unless", AT) == ("allowed", [], [])
    assert outcome(logic, history(VERIFIED, standard), "k_unless", AT) == ("blocked", ["K-UNLESS"], [])


def test_undetermined_rules_list_exactly_the_unknown_facts(logic: chronolex.Bundle) -> None:
    doc = document(logic, history(VERIFIED), "k_unless", AT)
    assert doc["decision"] == "undetermined"
    assert doc["blocked_by"] == [] and doc["reasons"] == []
    assert [(u["rule"], u["missing_facts"]) for u in doc["undetermined"]] == [("K-UNLESS", ["tier"])]
    doc = document(logic, history(VERIFIED), "k_and", AT)
    assert [(u["rule"], u["missing_facts"]) for u in doc["undetermined"]] == [("K-AND", ["score"])]
    evidence = {e["fact"]: e for e in doc["undetermined"][0]["evidence"]}
    assert evidence["score"]["value"] is None and evidence["score"]["unknown"] is True
    # `verified` is true and does not decide the unknown outcome: it is not evidence
    assert "verified" not in evidence
    assert doc["undetermined"][0]["decided_by"] == "score < 600"


def test_on_unknown_block_and_allow_settle_an_unknown_outcome(logic: chronolex.Bundle) -> None:
    assert outcome(logic, history(), "on_block", AT) == ("blocked", ["ON-BLOCK"], [])
    assert outcome(logic, history(), "on_allow", AT) == ("allowed", [], [])
    # with the fact known, on_unknown plays no part
    assert outcome(logic, history(SCORE_550), "on_block", AT) == ("blocked", ["ON-BLOCK"], [])
    assert outcome(logic, history(SCORE_550), "on_allow", AT) == ("blocked", ["ON-ALLOW"], [])
    assert outcome(logic, history(SCORE_700), "on_block", AT) == ("allowed", [], [])
    assert outcome(logic, history(SCORE_700), "on_allow", AT) == ("allowed", [], [])
    doc = document(logic, history(), "on_block", AT)
    (reason,) = doc["reasons"]
    assert reason["settled_by"] == "on_unknown: block"
    assert reason["evidence"] == [{"fact": "score", "value": None, "unknown": True, "from_events": []}]
    assert "settled_by" not in document(logic, history(SCORE_550), "on_block", AT)["reasons"][0]


def test_a_certain_block_wins_over_undetermined_rules_which_are_still_listed(logic: chronolex.Bundle) -> None:
    # M-VERIFY (not verified) blocks for certain; K-NOT lacks the score
    assert outcome(logic, history(), "mixed", AT) == ("blocked", ["M-VERIFY"], ["K-NOT"])
    doc = document(logic, history(), "mixed", AT)
    assert doc["blocked_by"] == ["regulation"]
    assert [u["rule"] for u in doc["undetermined"]] == ["K-NOT"]
    assert doc["undetermined"][0]["missing_facts"] == ["score"]


def test_a_fault_in_a_condition_leaves_the_rule_undetermined_with_the_error(logic: chronolex.Bundle) -> None:
    zero = ev("score_updated", "2025-01-05", SH, score=0)
    assert outcome(logic, history(zero), "faulty", AT) == ("undetermined", [], ["F-DIV"])
    assert outcome(logic, history(ev("score_updated", "2025-01-05", SH, score=50)), "faulty", AT) == (
        "blocked", ["F-DIV"], [])  # 100 / 50 > 1
    assert outcome(logic, history(SCORE_700), "faulty", AT) == ("allowed", [], [])
    # the document names the fault, and is a valid decision document
    doc = document(logic, history(zero), "faulty", AT)
    (entry,) = doc["undetermined"]
    assert entry["rule"] == "F-DIV" and "zero" in entry["error"]
    assert entry["evidence"][0]["value"] == 0


# -- every restriction, in order -------------------------------------------------------------------------


def test_reasons_are_ordered_by_category_precedence_then_rule_id(logic: chronolex.Bundle) -> None:
    # regulation 1, platform 2, maintenance 3, audit 4 (a category of the bundle's own)
    assert outcome(logic, history(), "ordered", AT) == (
        "blocked", ["Z-REG", "A-PLAT", "B-PLAT", "A-MAINT", "A-AUDIT"], [])
    doc = document(logic, history(), "ordered", AT)
    assert doc["blocked_by"] == ["regulation", "platform", "maintenance", "audit"]
    assert [r["rule"] for r in doc["reasons"]] == ["Z-REG", "A-PLAT", "B-PLAT", "A-MAINT", "A-AUDIT"]


def test_rules_of_categories_with_equal_precedence_are_ordered_by_rule_id(logic: chronolex.Bundle) -> None:
    # security and platform both have precedence 2: "then rule id" decides, not the category's name
    assert outcome(logic, history(), "tied", AT) == ("blocked", ["A-SEC", "B-PLAT"], [])


def test_every_applicable_restriction_is_listed(huabei: chronolex.Bundle) -> None:
    hist = history(
        ev("profile_updated", "2025-09-01", SH, birth_date="1990-01-01", occupation="student"),
        ev("credit_score_updated", "2026-01-05", SH, score=580),
        ev("status_changed", "2026-02-01", SH, status="frozen"),
        *(ev("login_failed", f"2026-04-15T0{i}:00", SH) for i in range(1, 6)),
    )
    # 2026-04-19 is a Sunday: the weekly window too; no KYC and no consent
    decision, restricting, undetermined = outcome(huabei, hist, "open", "2026-04-19T03:00")
    assert decision == "blocked" and undetermined == []
    assert restricting == [
        "REG-CREDIT-CONSENT", "REG-REAL-NAME", "REG-STUDENT-LENDING",
        "PLAT-ACCOUNT-FROZEN", "PLAT-SCORE-FLOOR",
        "MW-WEEKLY",
    ]
    # at 05:00 on 2026-04-15 all five failures fall within 24 hours
    assert outcome(huabei, hist, "borrow", "2026-04-15T05:00")[1] == [
        "REG-REAL-NAME", "REG-STUDENT-LENDING",  # REG-CREDIT-CONSENT restricts open and raise_limit only
        "PLAT-ACCOUNT-FROZEN", "PLAT-LOGIN-FAILURES",
    ]


def test_a_rule_restricts_only_its_actions(huabei: chronolex.Bundle) -> None:
    hist = history(
        ev("kyc_verified", "2025-01-01", SH), ev("credit_consent_changed", "2025-01-01", SH, granted=True),
        ev("profile_updated", "2025-01-01", SH, birth_date="1990-01-01", occupation="engineer"),
        ev("credit_score_updated", "2026-01-05", SH, score=580),
    )
    assert outcome(huabei, hist, "open", "2026-04-20T15:00") == ("blocked", ["PLAT-SCORE-FLOOR"], [])
    assert outcome(huabei, hist, "borrow", "2026-04-20T15:00") == ("allowed", [], [])


def test_an_exemption_applies_and_lifts_nothing_else(huabei: chronolex.Bundle) -> None:
    base = [
        ev("kyc_verified", "2025-11-03T20:10", SH), ev("credit_consent_changed", "2025-11-03T20:15", SH, granted=True),
        ev("profile_updated", "2025-11-03T20:14", SH, birth_date="1998-06-21", occupation="courier"),
        ev("credit_score_updated", "2026-03-20T06:00", SH, score=585),
    ]
    pilot = ev("tier_changed", "2026-03-02T09:00", SH, tier="pilot")
    assert outcome(huabei, history(base, pilot), "open", "2026-04-20T15:00") == ("allowed", [], [])
    assert outcome(huabei, history(base), "open", "2026-04-20T15:00") == ("blocked", ["PLAT-SCORE-FLOOR"], [])
    frozen = ev("status_changed", "2026-04-01", SH, status="frozen")
    assert outcome(huabei, history(base, pilot, frozen), "open", "2026-04-20T15:00") == (
        "blocked", ["PLAT-ACCOUNT-FROZEN"], [])


def test_time_bounds_gate_a_rule_before_its_conditions(huabei: chronolex.Bundle) -> None:
    clean = history(
        ev("kyc_verified", "2024-01-15", SH), ev("credit_consent_changed", "2024-01-15", SH, granted=True),
        ev("profile_updated", "2024-01-15", SH, birth_date="1979-02-11", occupation="doctor"),
        ev("credit_score_updated", "2026-01-20", SH, score=760),
    )
    assert outcome(huabei, clean, "raise_limit", "2026-11-09T23:59:59") == ("allowed", [], [])
    assert outcome(huabei, clean, "raise_limit", "2026-11-10T00:00") == ("blocked", ["PLAT-DOUBLE11-FREEZE"], [])
    assert outcome(huabei, clean, "open", "2026-11-11T12:00") == ("allowed", [], [])  # only raise_limit
    assert outcome(huabei, clean, "raise_limit", "2026-11-13T00:00") == ("allowed", [], [])


def test_instants_are_compared_as_instants_whatever_their_offset(huabei: chronolex.Bundle) -> None:
    clean = history(
        ev("kyc_verified", "2024-01-15", SH), ev("credit_consent_changed", "2024-01-15", SH, granted=True),
        ev("profile_updated", "2024-01-15", SH, birth_date="1979-02-11", occupation="doctor"),
        ev("credit_score_updated", "2026-01-20", SH, score=760),
    )
    evaluator = Evaluator(huabei)
    same = [datetime.fromisoformat(t) for t in ("2026-11-09T16:00:00+00:00", "2026-11-10T00:00:00+08:00",
                                                "2026-11-09T11:00:00-05:00")]
    for instant in same:
        assert evaluator.point(clean, "raise_limit", instant).assessment.decision == "blocked", instant
