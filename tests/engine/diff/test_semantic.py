"""The semantic diff (engine/diff/semantic.py): hand-written pairs of small bundles for each
kind of change, and properties over random rule sets.

Every witness a finding carries is decided again here with the real evaluator
(``given_facts`` + ``Evaluator.assess``), so a test passes only if the accounts the diff
names really are decided differently by OLD and NEW.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chronolex.time.activity import occurrence_at
from chronolex.evaluation.assess import BLOCKED
from chronolex.bundle.load import load_bundle
from chronolex.model import Schedule
from chronolex.diff.semantic import (
    CATEGORY_CHANGED,
    DECISION_CHANGED,
    NEWLY_BLOCKED,
    UNBLOCKED,
    UNDECIDED,
    Finding,
    SemanticDiff,
    Witness,
    semantic_diff,
)
from chronolex.diff.sides import Side
from tests.examples import examples
from tests.semantic_strategies import (
    FIRST_VERSION,
    changed,
    decide,
    fact_values,
    instants,
    refactored,
    rule,
    rule_sets,
    version_pair,
    version_side,
    write_bundle,
)

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MIRROR = {NEWLY_BLOCKED: UNBLOCKED, UNBLOCKED: NEWLY_BLOCKED}
# each example runs the solver over two generated versions: 12 on every run, 100 at night
FEW = settings(max_examples=examples(12, 100), deadline=None)


# --- helpers --------------------------------------------------------------------------------


def diff(tmp_path: Path, old_rules: Sequence[dict[str, Any]], new_rules: Sequence[dict[str, Any]],
         zone: str = "Asia/Shanghai") -> tuple[Side, Side, SemanticDiff]:
    old = version_side(tmp_path / "old", old_rules, zone=zone)
    new = version_side(tmp_path / "new", new_rules, zone=zone)
    return old, new, semantic_diff(old, new)


def status(result: SemanticDiff, action: str) -> str:
    return next(a.status for a in result.actions if a.action == action)


def findings(result: SemanticDiff, action: str = "open") -> tuple[Finding, ...]:
    return next(a.findings for a in result.actions if a.action == action)


def kinds(result: SemanticDiff, action: str = "open") -> list[tuple[str, tuple[str, ...]]]:
    return sorted((f.kind, f.rules) for f in findings(result, action))


def only(result: SemanticDiff, kind: str, action: str = "open") -> Finding:
    found = [f for f in findings(result, action) if f.kind == kind]
    assert len(found) == 1, kinds(result, action)
    return found[0]


def assert_really_differs(old: Side, new: Side, finding: Finding) -> None:
    """The evaluator decides the finding's witness on both sides as the finding says."""
    assert finding.witness is not None
    before = decide(old, finding.action, finding.witness)
    after = decide(new, finding.action, finding.witness)
    assert finding.old is not None and finding.new is not None
    assert (before[0], before[1]) == (finding.old.decision, finding.old.blocked_by)
    assert (after[0], after[1]) == (finding.new.decision, finding.new.blocked_by)
    if finding.kind == NEWLY_BLOCKED:
        assert before[0] != BLOCKED and after[0] == BLOCKED
        assert set(finding.rules) <= set(after[2])
    elif finding.kind == UNBLOCKED:
        assert before[0] == BLOCKED and after[0] != BLOCKED
        assert set(finding.rules) <= set(before[2])
    elif finding.kind == CATEGORY_CHANGED:
        assert before[0] == after[0] == BLOCKED and before[1][:1] != after[1][:1]
    else:
        assert finding.kind == DECISION_CHANGED
        assert BLOCKED not in (before[0], after[0]) and before[0] != after[0]


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


# --- pure refactors are proved unchanged ------------------------------------------------------

REFACTOR_PAIRS = {
    "negated comparison": ([rule("A", "credit_score < 600")], [rule("A", "not (credit_score >= 600)")]),
    "rule split in two": (
        [rule("A", "credit_score < 600 or flag")],
        [rule("A1", "credit_score < 600"), rule("A2", "flag")],
    ),
    "rules reordered": (
        [rule("A", "credit_score < 600"), rule("B", "flag", category="regulation")],
        [rule("B", "flag", category="regulation"), rule("A", "credit_score < 600")],
    ),
    "rule renamed": ([rule("A", "credit_score < 600")], [rule("SCORE-FLOOR", "credit_score < 600")]),
    "list membership spelt out": (
        [rule("A", 'tier in ["gold", "silver"]')],
        [rule("A", 'tier == "gold" or tier == "silver"')],
    ),
    "exemption folded into the condition": (
        [rule("A", "credit_score < 600", unless='tier == "gold"', on_unknown="block")],
        [rule("A", 'credit_score < 600 and not (tier == "gold")', on_unknown="block")],
    ),
}


@pytest.mark.parametrize("name", sorted(REFACTOR_PAIRS))
def test_a_pure_refactor_is_proved_unchanged(tmp_path: Path, name: str) -> None:
    old_rules, new_rules = REFACTOR_PAIRS[name]
    _, _, result = diff(tmp_path, old_rules, new_rules)
    assert [(a.action, a.status) for a in result.actions] == [("borrow", "unchanged"), ("open", "unchanged")]
    assert not result.changed and not result.undecided


NEAR_MISSES = {
    # each looks like a refactor above, but one account is decided differently
    "boundary moved": ([rule("A", "credit_score < 600")], [rule("A", "not (credit_score > 600)")], NEWLY_BLOCKED),
    "split into another category": (
        [rule("A", "credit_score < 600 or flag")],
        [rule("A1", "credit_score < 600"), rule("A2", "flag", category="regulation")],
        CATEGORY_CHANGED,
    ),
    "list membership misspelt": (
        [rule("A", 'tier in ["gold", "silver"]')],
        [rule("A", 'tier == "gold" or tier == "bronze"')],
        NEWLY_BLOCKED,
    ),
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_a_near_refactor_is_caught_with_a_witness(tmp_path: Path, name: str) -> None:
    old_rules, new_rules, kind = NEAR_MISSES[name]
    old, new, result = diff(tmp_path, old_rules, new_rules)
    assert status(result, "open") == "changed"
    assert status(result, "borrow") == "unchanged"
    assert_really_differs(old, new, only(result, kind))


# --- one kind of change at a time -------------------------------------------------------------


def test_a_raised_threshold_newly_blocks_the_accounts_in_between(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 550")], [rule("A", "credit_score < 600")])
    assert kinds(result) == [(NEWLY_BLOCKED, ("A",))]
    finding = only(result, NEWLY_BLOCKED)
    assert finding.witness is not None
    score = finding.witness.facts["credit_score"]
    assert isinstance(score, int) and 550 <= score < 600
    assert "credit_score in [550, 600)" in finding.region
    # at every instant from the versions' effective_from on
    assert finding.spans == ((datetime(2026, 1, 1, tzinfo=SHANGHAI), None),) and finding.always
    assert_really_differs(old, new, finding)


def test_a_lowered_threshold_mirrors_the_raised_one(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 600")], [rule("A", "credit_score < 550")])
    assert kinds(result) == [(UNBLOCKED, ("A",))]
    finding = only(result, UNBLOCKED)
    assert "credit_score in [550, 600)" in finding.region
    assert_really_differs(old, new, finding)


def test_the_same_block_under_another_category_is_reported_on_its_own(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 600")],
                            [rule("A", "credit_score < 600", category="regulation")])
    assert kinds(result) == [(CATEGORY_CHANGED, ("A",))]
    finding = only(result, CATEGORY_CHANGED)
    assert finding.old is not None and finding.new is not None
    assert (finding.old.blocked_by, finding.new.blocked_by) == (("platform",), ("regulation",))
    assert_really_differs(old, new, finding)


def test_an_added_exemption_unblocks(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 600")],
                            [rule("A", "credit_score < 600", unless="flag")])
    assert status(result, "open") == "changed"
    finding = only(result, UNBLOCKED)
    assert finding.rules == ("A",)
    assert finding.witness is not None and finding.witness.facts["flag"] is not False
    assert_really_differs(old, new, finding)
    # with the score unknown, an exemption that holds now settles what was undetermined
    settled = only(result, DECISION_CHANGED)
    assert settled.old is not None and settled.new is not None
    assert (settled.old.decision, settled.new.decision) == ("undetermined", "allowed")
    assert_really_differs(old, new, settled)
    assert {f.kind for f in findings(result)} == {UNBLOCKED, DECISION_CHANGED}


def test_on_unknown_block_newly_blocks_accounts_with_the_fact_unknown(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 600")],
                            [rule("A", "credit_score < 600", on_unknown="block")])
    assert kinds(result) == [(NEWLY_BLOCKED, ("A",))]
    finding = only(result, NEWLY_BLOCKED)
    assert finding.witness is not None and finding.witness.facts["credit_score"] is None
    assert "credit_score unknown" in finding.region
    assert finding.old is not None and finding.old.decision == "undetermined"
    assert_really_differs(old, new, finding)


def test_a_change_for_one_action_leaves_the_others_unchanged(tmp_path: Path) -> None:
    _, _, result = diff(tmp_path, [rule("A", "credit_score < 550", actions=("open", "borrow"))],
                        [rule("A", "credit_score < 600", actions=("open",)),
                         rule("B", "credit_score < 550", actions=("borrow",))])
    assert status(result, "open") == "changed"
    assert status(result, "borrow") == "unchanged"


def test_actions_limits_the_diff_to_the_actions_asked_for(tmp_path: Path) -> None:
    old = version_side(tmp_path / "old", [rule("A", "credit_score < 550", actions=("open", "borrow"))])
    new = version_side(tmp_path / "new", [rule("A", "credit_score < 600", actions=("open", "borrow"))])
    result = semantic_diff(old, new, actions=["borrow"])
    assert [(a.action, a.status) for a in result.actions] == [("borrow", "changed")]


# --- time ---------------------------------------------------------------------------------------


def test_a_window_moved_two_days_later_across_a_dst_change(tmp_path: Path) -> None:
    # New York springs forward at 02:00 on 2026-03-08: the moved window lasts 3 real hours
    old_window = {"start": "2026-03-06T01:00:00", "end": "2026-03-06T05:00:00"}
    new_window = {"start": "2026-03-08T01:00:00", "end": "2026-03-08T05:00:00"}
    old, new, result = diff(tmp_path, [rule("MW", category="maintenance", window=old_window)],
                            [rule("MW", category="maintenance", window=new_window)], zone="America/New_York")
    assert kinds(result) == [(NEWLY_BLOCKED, ("MW",)), (UNBLOCKED, ("MW",))]
    old_start, old_end = datetime(2026, 3, 6, 6, tzinfo=UTC), datetime(2026, 3, 6, 10, tzinfo=UTC)  # EST, -05:00
    new_start, new_end = datetime(2026, 3, 8, 6, tzinfo=UTC), datetime(2026, 3, 8, 9, tzinfo=UTC)  # 05:00 is EDT
    newly, lifted = only(result, NEWLY_BLOCKED), only(result, UNBLOCKED)
    assert newly.spans == ((new_start, new_end),)
    assert lifted.spans == ((old_start, old_end),)
    assert newly.witness is not None and new_start <= newly.witness.at < new_end
    assert lifted.witness is not None and old_start <= lifted.witness.at < old_end
    assert not newly.always and not lifted.always
    assert_really_differs(old, new, newly)
    assert_really_differs(old, new, lifted)


def test_an_active_interval_that_starts_later_unblocks_the_days_in_between(tmp_path: Path) -> None:
    old, new, result = diff(
        tmp_path,
        [rule("FREEZE", "credit_score < 600", active={"from": "2026-04-01"})],
        [rule("FREEZE", "credit_score < 600", active={"from": "2026-05-01"})],
    )
    # a known low score is no longer blocked in April; an unknown one no longer undetermined
    assert kinds(result) == [(DECISION_CHANGED, ("FREEZE",)), (UNBLOCKED, ("FREEZE",))]
    april, may = datetime(2026, 4, 1, tzinfo=SHANGHAI), datetime(2026, 5, 1, tzinfo=SHANGHAI)
    for finding in findings(result):
        assert finding.spans == ((april, may),)
        assert finding.witness is not None and april <= finding.witness.at < may
        assert_really_differs(old, new, finding)


def test_a_weekly_window_moved_from_sunday_to_saturday_in_a_dst_zone(tmp_path: Path) -> None:
    # effective 2026-03-28 in Berlin: the first Sunday 02:00 falls in the spring-forward gap
    version = {"version": "1", "effective_from": "2026-03-28", "published_at": "2026-03-01T00:00:00+01:00"}
    sides = []
    for name, schedule in (("old", _weekly("SU", 2)), ("new", _weekly("SA", 1))):
        rules = [rule("MW", category="maintenance", actions=("open", "borrow"), schedule=schedule)]
        bundle = load_bundle(write_bundle(tmp_path / name, [{**version, "rules": rules}], zone="Europe/Berlin"))
        sides.append(Side(name, bundle, bundle.version("1")))
    old, new = sides
    result = semantic_diff(old, new)
    for action in ("borrow", "open"):
        assert kinds(result, action) == [(NEWLY_BLOCKED, ("MW",)), (UNBLOCKED, ("MW",))]
    old_schedule, new_schedule = (_schedule(side) for side in sides)
    newly, lifted = only(result, NEWLY_BLOCKED), only(result, UNBLOCKED)
    assert newly.witness is not None and lifted.witness is not None
    assert occurrence_at(new_schedule, newly.witness.at, BERLIN) is not None
    assert occurrence_at(old_schedule, newly.witness.at, BERLIN) is None
    assert occurrence_at(old_schedule, lifted.witness.at, BERLIN) is not None
    assert occurrence_at(new_schedule, lifted.witness.at, BERLIN) is None
    assert local(newly.witness.at, BERLIN).strftime("%a") == "Sat"
    assert local(lifted.witness.at, BERLIN).strftime("%a") == "Sun"
    assert_really_differs(old, new, newly)
    assert_really_differs(old, new, lifted)


def test_a_rule_moved_from_an_interval_to_a_weekly_schedule(tmp_path: Path) -> None:
    # findings of one kind and rule, one span closed and one open-ended, are ordered
    # closed first (an open end is later than every instant)
    old, new, result = diff(
        tmp_path,
        [rule("R0", "credit_score < 500", unless="flag", active={"from": "2026-01-01", "until": "2026-02-15"})],
        [rule("R0", "credit_score < 500", schedule=_weekly("SU", 2))],
    )
    assert kinds(result) == [(DECISION_CHANGED, ("R0",)), (DECISION_CHANGED, ("R0",)),
                             (NEWLY_BLOCKED, ("R0",)), (UNBLOCKED, ("R0",))]
    settled = [f for f in findings(result) if f.kind == DECISION_CHANGED]
    assert [f.spans[0][1] for f in settled] == [datetime(2026, 2, 15, tzinfo=SHANGHAI), None]
    newly = only(result, NEWLY_BLOCKED)
    assert newly.witness is not None and local(newly.witness.at, SHANGHAI).strftime("%a %H") == "Sun 02"
    for finding in findings(result):
        assert_really_differs(old, new, finding)


def _weekly(day: str, hour: int) -> dict[str, str]:
    return {"rrule": f"FREQ=WEEKLY;BYDAY={day};BYHOUR={hour};BYMINUTE=0;BYSECOND=0", "duration": "PT2H"}


def _schedule(side: Side) -> Schedule:
    assert side.version is not None
    schedule = side.version.rules[0].schedule
    assert schedule is not None
    return schedule


def test_the_same_schedule_in_both_versions_is_unchanged(tmp_path: Path) -> None:
    schedule = {"rrule": "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0", "duration": "PT2H"}
    _, _, result = diff(tmp_path, [rule("MW", category="maintenance", schedule=schedule)],
                        [rule("MW-WEEKLY", category="maintenance", schedule=schedule)], zone="Europe/Berlin")
    assert status(result, "open") == "unchanged"


# --- what the solver cannot model -------------------------------------------------------------


def test_a_changed_opaque_condition_is_never_reported_as_no_change(tmp_path: Path) -> None:
    _, _, result = diff(tmp_path, [rule("MINORS", "years_between(birth_date, now) < 18")],
                        [rule("MINORS", "years_between(birth_date, now) < 21")])
    assert status(result, "open") in ("undecided", "changed")
    assert result.changed or result.undecided
    for finding in findings(result):
        if finding.kind == UNDECIDED:
            assert finding.witness is None and finding.reason
            assert "years_between(birth_date, now) < 21" in finding.reason
            # undecided at every instant, said once (not one span per query that gave up)
            assert finding.spans == ((datetime(2026, 1, 1, tzinfo=SHANGHAI), None),) and finding.always


def test_the_same_opaque_condition_on_both_sides_is_unchanged(tmp_path: Path) -> None:
    _, _, result = diff(tmp_path, [rule("MINORS", "years_between(birth_date, now) < 18")],
                        [rule("UNDER-18", "years_between(birth_date, now) < 18")])
    assert status(result, "open") == "unchanged"
    assert not result.changed and not result.undecided


def test_an_opaque_part_does_not_hide_a_change_elsewhere(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 550 and years_between(birth_date, now) >= 18")],
                            [rule("A", "credit_score < 600 and years_between(birth_date, now) >= 18")])
    assert status(result, "open") != "unchanged"
    for finding in findings(result):
        if finding.witness is not None:
            assert_really_differs(old, new, finding)


# --- whole bundles --------------------------------------------------------------------------------


def test_a_bundle_that_adds_a_version_differs_only_from_its_effective_from(tmp_path: Path) -> None:
    first = {**FIRST_VERSION, "rules": [rule("A", "credit_score < 550")]}
    second = {"version": "2", "effective_from": "2026-06-01", "published_at": "2026-05-01T00:00:00+08:00",
              "rules": [rule("A", "credit_score < 600")]}
    old = Side("old", load_bundle(write_bundle(tmp_path / "old", [first])))
    new = Side("new", load_bundle(write_bundle(tmp_path / "new", [first, second])))
    result = semantic_diff(old, new)
    assert kinds(result) == [(NEWLY_BLOCKED, ("A",))]
    assert status(result, "borrow") == "unchanged"
    finding = only(result, NEWLY_BLOCKED)
    june = datetime(2026, 6, 1, tzinfo=SHANGHAI)
    assert finding.spans == ((june, None),)
    assert finding.witness is not None and finding.witness.at >= june
    assert finding.new is not None and finding.new.version == "2"
    assert finding.old is not None and finding.old.version == "1"
    assert_really_differs(old, new, finding)


def test_a_bundle_before_its_first_version_has_no_policy(tmp_path: Path) -> None:
    later = {"version": "1", "effective_from": "2026-06-01", "published_at": "2026-05-01T00:00:00+08:00",
             "rules": [rule("A", "credit_score < 550")]}
    old = Side("old", load_bundle(write_bundle(tmp_path / "old", [later])))
    new = Side("new", load_bundle(write_bundle(tmp_path / "new", [{**FIRST_VERSION, "rules": later["rules"]}])))
    result = semantic_diff(old, new)
    assert status(result, "open") == "changed"
    for finding in findings(result):
        assert finding.witness is not None
        assert finding.witness.at < datetime(2026, 6, 1, tzinfo=SHANGHAI)
        assert finding.old is not None and finding.old.decision == "no_policy"
        assert_really_differs(old, new, finding)


# --- properties -------------------------------------------------------------------------------------


@FEW
@given(rule_sets())
def test_a_version_compared_with_a_copy_of_itself_has_no_findings(rules: list[dict[str, Any]]) -> None:
    with version_pair(rules, rules) as (old, new):
        result = semantic_diff(old, new)
    assert all(a.status == "unchanged" and not a.findings for a in result.actions)


@FEW
@given(rule_sets().flatmap(lambda rules: st.tuples(st.just(rules), refactored(rules))))
def test_refactors_are_proved_unchanged(pair: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    old_rules, new_rules = pair
    with version_pair(old_rules, new_rules) as (old, new):
        result = semantic_diff(old, new)
    assert [f for a in result.actions for f in a.findings] == []


def _pairs() -> st.SearchStrategy[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(OLD, NEW) rule sets: NEW a refactor of OLD, OLD with one change, or unrelated."""
    return rule_sets().flatmap(lambda rules: st.tuples(
        st.just(rules), st.one_of(refactored(rules), changed(rules), rule_sets())))


def _summary(result: SemanticDiff) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(a.action, f.kind, f.rules) for a in result.actions for f in a.findings if f.kind != UNDECIDED}


@FEW
@given(_pairs())
def test_the_diff_from_new_to_old_mirrors_the_diff_from_old_to_new(
    pair: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    with version_pair(*pair) as (old, new):
        forward, backward = semantic_diff(old, new), semantic_diff(new, old)
    assert [(a.action, a.status) for a in forward.actions] == [(a.action, a.status) for a in backward.actions]
    assert {(action, MIRROR.get(kind, kind), rules) for action, kind, rules in _summary(forward)} == _summary(backward)


@FEW
@given(_pairs())
def test_every_witness_is_decided_differently_by_the_evaluator(
    pair: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    with version_pair(*pair) as (old, new):
        result = semantic_diff(old, new)
        for action in result.actions:
            for finding in action.findings:
                if finding.kind != UNDECIDED:
                    assert_really_differs(old, new, finding)


@FEW
@given(_pairs(), st.lists(st.tuples(fact_values(), instants()), min_size=30, max_size=30))
def test_when_nothing_changed_every_account_is_decided_alike(
    pair: tuple[list[dict[str, Any]], list[dict[str, Any]]], accounts: list[tuple[dict[str, object], datetime]]
) -> None:
    with version_pair(*pair) as (old, new):
        result = semantic_diff(old, new)
        for action in result.actions:
            if action.status != "unchanged":
                continue
            for facts, at in accounts:
                # "unchanged" speaks of the decision and the leading category (decision 16):
                # a rule behind the leading one may change category without a finding
                witness = Witness(at, facts)
                (before, by_before, _), (after, by_after, _) = (
                    decide(old, action.action, witness), decide(new, action.action, witness))
                assert (before, by_before[:1]) == (after, by_after[:1])


# --- a witness a reviewer can read ------------------------------------------------------------------


def standing(side: Side, action: str, witness: Witness, rules: Sequence[str]) -> dict[str, str]:
    """How each of ``rules`` stands on ``side`` for ``witness``: restricts, undetermined or neither."""
    from tests.semantic_strategies import assess
    assessment = assess(side, action, witness.at, witness.facts)
    restricting = {o.rule.id for o in assessment.restricting}
    undetermined = {o.rule.id for o in assessment.undetermined}
    return {r: "restricts" if r in restricting else "undetermined" if r in undetermined else "-" for r in rules}


@FEW
@given(_pairs(), st.data())
def test_the_facts_a_witness_leaves_out_do_not_change_the_finding(
    pair: tuple[list[dict[str, Any]], list[dict[str, Any]]], data: st.DataObject
) -> None:
    # a witness names only the facts that matter: any values of the others (drawn afresh,
    # all at once, known or not) leave every rule of the finding as it stood, on both sides
    with version_pair(*pair) as (old, new):
        result = semantic_diff(old, new)
        for action in result.actions:
            for finding in action.findings:
                witness = finding.witness
                if finding.kind == UNDECIDED or witness is None:
                    continue
                assert witness.matters is not None and set(witness.matters) <= set(witness.facts)
                others = data.draw(fact_values(), label="other facts")
                changed_witness = Witness(witness.at, {**witness.facts, **{
                    k: v for k, v in others.items() if k in witness.facts and k not in witness.matters}})
                for side in (old, new):
                    assert standing(side, action.action, changed_witness, finding.rules) == \
                        standing(side, action.action, witness, finding.rules)


def test_a_witness_names_only_the_facts_its_rule_reads(tmp_path: Path) -> None:
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 550"), rule("B", "flag")],
                            [rule("A", "credit_score < 600"), rule("B", "flag")])
    finding = only(result, NEWLY_BLOCKED)
    assert finding.witness is not None and finding.witness.matters == ("credit_score",)
    assert set(finding.witness.facts) >= {"credit_score", "flag"}


def test_the_example_of_a_newly_blocking_rule_is_one_where_it_alone_blocks(tmp_path: Path) -> None:
    # B, a window, and A, a raised floor, both newly block; the example for B has a score
    # that A does not block, so B alone makes the difference there
    window = {"start": "2026-02-15T01:00:00", "end": "2026-02-15T05:00:00"}
    old, new, result = diff(tmp_path, [rule("A", "credit_score < 550")],
                            [rule("A", "credit_score < 600"), rule("B", category="maintenance", window=window)])
    by_b = next(f for f in findings(result) if f.kind == NEWLY_BLOCKED and f.rules == ("B",))
    assert by_b.new is not None and by_b.new.restricting == ("B",)
    assert by_b.witness is not None and by_b.witness.matters == ()
    assert_really_differs(old, new, by_b)


def test_a_rule_that_never_blocks_alone_still_gets_an_example(tmp_path: Path) -> None:
    # B only ever restricts together with A (its condition implies A's)
    old, new, result = diff(tmp_path, [], [rule("A", "credit_score < 600"), rule("B", "credit_score < 500")])
    by_b = next(f for f in findings(result) if f.kind == NEWLY_BLOCKED and f.rules == ("B",))
    assert by_b.new is not None and set(by_b.new.restricting) == {"A", "B"}
    assert_really_differs(old, new, by_b)
