"""``chronolex diff`` as one call (``chronolex.diff.policy_diff``): ``diff_sides``,
``diff_pairs``, ``load_side`` and the JSON document.

On the shipped bundle, ``policies/huabei@2025.07`` against ``policies/huabei@2026.03``
(docs/diff.md, "Worked example"). What is checked:

- operands: a pinned version or a whole bundle, labelled as written; the pairs one or
  two operands compare; bad operands are ``bad-operand`` / ``unknown-version``;
- the text changes, one sentence each, in the documented order and words;
- the meaning per action: each kind of finding the worked example shows (newly blocked
  by PLAT-SCORE-FLOOR where ``credit_score in [550, 600)`` for standard accounts, no
  longer blocked for pilot accounts below 550, a weekly window ``while its schedule
  runs``, a one-off window with its span, blocked for another reason, undetermined to
  allowed), and each witness decided again by the real evaluator gives the new outcome;
- ``semantic=False`` and identical sides; ``--action`` limiting the actions;
- the JSON document (``diff_document``) validates against ``schemas/diff.schema.json``,
  is deterministic, and carries the bundle offset on every instant.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import chronolex
from chronolex import ChronolexError, diff_document, diff_pairs, diff_sides, load_side
from tests.conftest import ROOT

OLD, NEW = "policies/huabei@2025.07", "policies/huabei@2026.03"
SCHEMA = json.loads((ROOT / "schemas" / "diff.schema.json").read_text(encoding="utf-8"))


def side(text: str) -> chronolex.Side:
    return load_side(text, cwd=ROOT)


@pytest.fixture(scope="module")
def result() -> chronolex.PolicyDiff:
    return diff_sides(side(OLD), side(NEW))


@pytest.fixture(scope="module")
def document(result: chronolex.PolicyDiff) -> dict[str, Any]:
    return diff_document([result])


def findings(result: chronolex.PolicyDiff, action: str) -> list[Any]:
    assert result.semantic is not None
    (per_action,) = [a for a in result.semantic.actions if a.action == action]
    return list(per_action.findings)


def finding(result: chronolex.PolicyDiff, action: str, kind: str, rules: tuple[str, ...]) -> Any:
    (found,) = [f for f in findings(result, action) if f.kind == kind and f.rules == rules]
    return found


# -- operands ---------------------------------------------------------------------------------------


def test_a_side_is_a_pinned_version_or_a_whole_bundle_labelled_as_written() -> None:
    pinned = side(NEW)
    assert (pinned.label, pinned.bundle.name, pinned.is_version) == (NEW, "huabei", True)
    assert pinned.version is not None and pinned.version.id == "2026.03"
    assert pinned.version_at(chronolex.parse_instant("2025-01-01", pinned.bundle.timezone)) is pinned.version
    whole = side("policies/huabei")
    assert (whole.label, whole.version, whole.is_version) == ("policies/huabei", None, False)
    picked = whole.version_at(chronolex.parse_instant("2026-04-01", whole.bundle.timezone))
    assert picked is not None and picked.id == "2026.03"


def test_bad_operands_are_reported_with_a_hint() -> None:
    with pytest.raises(ChronolexError) as unknown:
        side("policies/huabei@2099.01")
    problem = unknown.value.diagnostics[0]
    assert (problem.code, problem.message) == ("unknown-version", "policies/huabei has no version '2099.01'")
    assert problem.help is not None and problem.help.startswith("did you mean `policies/huabei@2025.01`?")
    with pytest.raises(ChronolexError) as missing:
        side("policies/nope")
    assert missing.value.diagnostics[0].code == "io-error"


def test_diff_pairs_compares_consecutive_versions_or_the_version_before() -> None:
    labels = [(old.label, new.label) for old, new in diff_pairs(["policies/huabei"], cwd=ROOT)]
    assert labels == [("policies/huabei@2024.01", "policies/huabei@2025.01"),
                      ("policies/huabei@2025.01", "policies/huabei@2025.07"),
                      ("policies/huabei@2025.07", "policies/huabei@2026.03"),
                      ("policies/huabei@2026.03", "policies/huabei@2026.06")]
    assert [(o.label, n.label) for o, n in diff_pairs([NEW], cwd=ROOT)] == [(OLD, NEW)]
    assert [(o.label, n.label) for o, n in diff_pairs([OLD, NEW], cwd=ROOT)] == [(OLD, NEW)]


@pytest.mark.parametrize(("operands", "message"), [
    (["policies/huabei@2024.01"], "2024.01 is the first version of policies/huabei: no version comes before it"),
    (["policies/huabei@2024.01", "policies/huabei"],
     "cannot compare one version with a whole bundle: 'policies/huabei@2024.01' names a version, "
     "'policies/huabei' a whole bundle"),
    ([], "diff takes one or two operands, not 0"),
    ([OLD, NEW, NEW], "diff takes one or two operands, not 3"),
])
def test_pairs_that_cannot_be_compared_are_bad_operands(operands: list[str], message: str) -> None:
    with pytest.raises(ChronolexError) as caught:
        diff_pairs(operands, cwd=ROOT)
    assert (caught.value.diagnostics[0].code, caught.value.diagnostics[0].message) == ("bad-operand", message)


# -- text -----------------------------------------------------------------------------------------


def test_the_text_changes_are_one_sentence_each_in_order(result: chronolex.PolicyDiff) -> None:
    assert [c.text for c in result.structural.changes] == [
        "Rule MW-CORE-UPGRADE was added (maintenance; restricts borrow, open, raise_limit; "
        "window from 2026-03-08 01:00 until 2026-03-08 05:00).",
        "Rule MW-WEEKLY was added (maintenance; restricts borrow, open, raise_limit; weekly on Sunday 02:00–04:00).",
        "Rule PLAT-RECENT-BORROWING now applies when `borrowed_30d >= 5000` instead of `borrowed_30d >= 10000`.",
        'Rule PLAT-RECENT-BORROWING has a new remedy: "The block lifts once less than 5,000 CNY has been disbursed '
        'to you in the last 30 days." (was "The block lifts once less than 10,000 CNY has been disbursed to you in '
        'the last 30 days.").',
        "Rule PLAT-SCORE-FLOOR now applies when `credit_score < 600` instead of `credit_score < 550`.",
        'Rule PLAT-SCORE-FLOOR now exempts accounts where `account_tier == "pilot"` (it had no exemption).',
        'Rule PLAT-SCORE-FLOOR has a new remedy: "The block lifts once the credit score reaches 600." '
        '(was "The block lifts once the credit score reaches 550.").',
    ]
    assert [(c.kind, c.subject, c.field) for c in result.structural.changes] == [
        ("rule-added", "MW-CORE-UPGRADE", None), ("rule-added", "MW-WEEKLY", None),
        ("rule-changed", "PLAT-RECENT-BORROWING", "when"), ("rule-changed", "PLAT-RECENT-BORROWING", "remedy"),
        ("rule-changed", "PLAT-SCORE-FLOOR", "when"), ("rule-changed", "PLAT-SCORE-FLOOR", "unless"),
        ("rule-changed", "PLAT-SCORE-FLOOR", "remedy"),
    ]


# -- meaning --------------------------------------------------------------------------------------


def test_the_meaning_changed_for_every_action(result: chronolex.PolicyDiff) -> None:
    assert result.meaning_changed
    assert result.semantic is not None and result.semantic.changed and not result.semantic.undecided
    assert [(a.action, a.status) for a in result.semantic.actions] == [
        ("borrow", "changed"), ("open", "changed"), ("raise_limit", "changed")]
    assert [(f.kind, f.rules) for f in findings(result, "open")] == [
        ("newly-blocked", ("MW-CORE-UPGRADE",)),
        ("newly-blocked", ("MW-WEEKLY",)),
        ("newly-blocked", ("PLAT-RECENT-BORROWING",)),
        ("newly-blocked", ("PLAT-SCORE-FLOOR",)),
        ("unblocked", ("PLAT-SCORE-FLOOR",)),
        ("category-changed", ("MW-CORE-UPGRADE", "PLAT-SCORE-FLOOR")),
        ("category-changed", ("MW-WEEKLY", "PLAT-SCORE-FLOOR")),
        ("decision-changed", ("PLAT-SCORE-FLOOR",)),
    ]


def test_the_raised_score_floor_newly_blocks_standard_accounts_between_550_and_600(
        result: chronolex.PolicyDiff) -> None:
    floor = finding(result, "open", "newly-blocked", ("PLAT-SCORE-FLOOR",))
    assert floor.region == ('account_tier == "standard"', "credit_score in [550, 600)")
    assert floor.always and not floor.scheduled
    assert floor.witness is not None and floor.witness.facts["credit_score"] == 550
    assert (floor.old.decision, floor.new.decision) == ("allowed", "blocked")
    assert floor.new.blocked_by == ("platform",)


def test_the_pilot_exemption_unblocks_accounts_below_550_outside_maintenance(result: chronolex.PolicyDiff) -> None:
    exempt = finding(result, "open", "unblocked", ("PLAT-SCORE-FLOOR",))
    assert exempt.region == ("credit_score in (-inf, 550)",)
    assert 'account_tier == "pilot"' in exempt.context
    zone = result.new.bundle.timezone
    assert [(chronolex.format_instant(s, zone), e and chronolex.format_instant(e, zone)) for s, e in exempt.spans] == [
        ("2026-03-01T00:00:00+08:00", "2026-03-08T01:00:00+08:00"), ("2026-03-08T05:00:00+08:00", None)]
    undetermined = finding(result, "open", "decision-changed", ("PLAT-SCORE-FLOOR",))
    assert (undetermined.old.decision, undetermined.new.decision) == ("undetermined", "allowed")
    assert undetermined.witness is not None and undetermined.witness.facts["credit_score"] is None  # unknown


def test_maintenance_windows_are_newly_blocked_with_their_time(result: chronolex.PolicyDiff) -> None:
    zone = result.new.bundle.timezone
    weekly = finding(result, "borrow", "newly-blocked", ("MW-WEEKLY",))
    assert weekly.scheduled and weekly.witness is not None
    assert chronolex.format_instant(weekly.witness.at, zone) == "2026-03-01T02:00:00+08:00"  # inside an occurrence
    upgrade = finding(result, "borrow", "newly-blocked", ("MW-CORE-UPGRADE",))
    assert not upgrade.scheduled and not upgrade.always
    assert [(chronolex.format_instant(s, zone), chronolex.format_instant(e, zone)) for s, e in upgrade.spans] == [
        ("2026-03-08T01:00:00+08:00", "2026-03-08T05:00:00+08:00")]
    other = finding(result, "open", "category-changed", ("MW-CORE-UPGRADE", "PLAT-SCORE-FLOOR"))
    assert (other.old.blocked_by, other.new.blocked_by) == (("platform",), ("maintenance",))


def test_every_witness_decided_again_gives_the_new_outcome(result: chronolex.PolicyDiff) -> None:
    bundle = result.new.bundle
    for action in bundle.actions:
        for found in findings(result, action):
            assert found.witness is not None, found
            raw = {name: value for name, value in found.witness.facts.items()}
            facts = chronolex.given_facts(bundle, raw, found.witness.at)
            decision = chronolex.decide_with_facts(bundle, facts, action, found.witness.at)
            assert (decision.decision, decision.blocked_by) == (found.new.decision, found.new.blocked_by), found


def test_actions_limit_the_meaning_but_not_the_text(result: chronolex.PolicyDiff) -> None:
    only_open = diff_sides(side(OLD), side(NEW), actions=["open"])
    assert only_open.semantic is not None
    assert [a.action for a in only_open.semantic.actions] == ["open"]
    assert only_open.structural == result.structural


def test_without_the_semantic_part_the_meaning_is_not_compared(result: chronolex.PolicyDiff) -> None:
    text_only = diff_sides(side(OLD), side(NEW), semantic=False)
    assert text_only.semantic is None and not text_only.meaning_changed
    assert text_only.structural == result.structural
    assert text_only.to_json()["semantic"] is None
    jsonschema.validate(diff_document([text_only]), SCHEMA)


def test_a_version_against_itself_changes_nothing() -> None:
    same = diff_sides(side(NEW), side(NEW))
    assert same.structural.changes == () and not same.meaning_changed
    assert same.semantic is not None
    assert [(a.action, a.status, a.findings) for a in same.semantic.actions] == [
        ("borrow", "unchanged", ()), ("open", "unchanged", ()), ("raise_limit", "unchanged", ())]


def test_removing_a_past_window_changes_no_decision() -> None:
    ((old, new),) = diff_pairs(["policies/huabei@2026.06"], cwd=ROOT)
    later = diff_sides(old, new)
    assert [c.kind for c in later.structural.changes] == ["rule-added", "rule-removed"]
    assert later.semantic is not None
    assert [(a.action, a.status) for a in later.semantic.actions] == [
        ("borrow", "unchanged"), ("open", "unchanged"), ("raise_limit", "changed")]
    assert [(f.kind, f.rules) for f in findings(later, "raise_limit")] == [("newly-blocked", ("PLAT-DOUBLE11-FREEZE",))]


# -- the JSON document ------------------------------------------------------------------------------


def test_the_document_validates_against_the_diff_schema(document: dict[str, Any]) -> None:
    jsonschema.validate(document, SCHEMA)
    assert document["diff_format"] == 1 and len(document["diffs"]) == 1
    (entry,) = document["diffs"]
    assert list(entry) == ["old", "new", "meaning_changed", "structural", "semantic"]
    assert entry["old"] == {"label": OLD, "bundle": "huabei", "version": "2025.07"}
    assert entry["new"] == {"label": NEW, "bundle": "huabei", "version": "2026.03"}
    assert entry["meaning_changed"] is True and entry["semantic"]["changed"] is True


def test_the_document_is_deterministic(result: chronolex.PolicyDiff, document: dict[str, Any]) -> None:
    again = diff_sides(side(OLD), side(NEW))
    assert json.dumps(diff_document([again])) == json.dumps(document) == json.dumps(diff_document([result]))


def test_findings_in_the_document_carry_offsets_and_json_values(document: dict[str, Any]) -> None:
    (entry,) = document["diffs"]
    (open_action,) = [a for a in entry["semantic"]["actions"] if a["action"] == "open"]
    instants = [f["witness"]["at"] for f in open_action["findings"]]
    instants += [s[k] for f in open_action["findings"] for s in f["spans"] for k in ("start", "end") if s[k]]
    assert instants and all(i.endswith("+08:00") for i in instants)
    (floor,) = [f for f in open_action["findings"] if f["kind"] == "newly-blocked" and f["rules"] == ["PLAT-SCORE-FLOOR"]]
    assert floor["region"] == ['account_tier == "standard"', "credit_score in [550, 600)"]
    assert floor["witness"]["facts"]["credit_score"] == 550
    assert floor["witness"]["facts"]["borrowed_30d"] == 0  # a decimal, as a JSON number
    assert floor["old"] == {"decision": "allowed", "version": "2025.07", "blocked_by": [], "rules": [],
                            "undetermined": []}
    assert floor["new"]["decision"] == "blocked" and floor["new"]["version"] == "2026.03"
    (unknown,) = [f for f in open_action["findings"] if f["kind"] == "decision-changed"]
    assert unknown["witness"]["facts"]["credit_score"] is None


def test_structural_changes_in_the_document_keep_old_and_new_values(document: dict[str, Any]) -> None:
    (entry,) = document["diffs"]
    when = [c for c in entry["structural"] if c["subject"] == "PLAT-SCORE-FLOOR" and c["field"] == "when"]
    assert when == [{"kind": "rule-changed", "subject": "PLAT-SCORE-FLOOR", "version": None, "field": "when",
                     "old": "credit_score < 550", "new": "credit_score < 600",
                     "text": "Rule PLAT-SCORE-FLOOR now applies when `credit_score < 600` instead of "
                             "`credit_score < 550`."}]
    (added,) = [c for c in entry["structural"] if c["subject"] == "MW-CORE-UPGRADE"]
    assert added["old"] is None
    assert added["new"]["window"] == {"start": "2026-03-08T01:00:00+08:00", "end": "2026-03-08T05:00:00+08:00"}
