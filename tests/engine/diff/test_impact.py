"""Impact of a policy change on accounts, and decision logs replayed under a new policy.

Scenario tests on the shipped bundle and its example accounts
(``policies/huabei/examples``): every expected flip is reasoned from the version files
and the account histories (see the comments), never copied from a run. Properties
over random bundles and histories check the impact against an independent oracle
(each version decided on its own through :meth:`Evaluator.point`), its symmetry
when OLD and NEW are swapped, and that a decision log recorded under a version
replays under that version without a difference.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex import Bundle, Evaluator, MemorySource, Version
from chronolex.diff.decision_log import LoggedDecision, read_decision_log, replay_log
from chronolex.diff.impact import FLIP_KINDS, Impact, impact
from chronolex.diff.sides import Side
from tests.conftest import FIXTURES, HUABEI
from tests.replay_strategies import (
    bundle_specs,
    event_lists,
    instants,
    known_ats,
    load_spec,
)

EXAMPLES = HUABEI / "examples" / "events.jsonl"
LOGS = FIXTURES / "decision-logs"
ACCOUNTS = [f"acct-10{n:02d}" for n in range(1, 11)]


@pytest.fixture(scope="module")
def huabei() -> Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def examples(huabei: Bundle) -> MemorySource:
    return chronolex.open_source([EXAMPLES], huabei.timezone)


def pinned(bundle: Bundle, version_id: str) -> Side:
    version = bundle.version(version_id)
    assert version is not None
    return Side(f"{bundle.name}@{version_id}", bundle, version)


def at(text: str, bundle: Bundle) -> datetime:
    return chronolex.parse_instant(text, bundle.timezone)


def flips(result: Impact, action: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    """The non-empty flips of ``action``: kind -> (count, examples)."""
    [found] = [a for a in result.actions if a.action == action]
    return {k: (t.count, t.examples) for k, t in found.flips.items() if t.count}


def rule_shifts(result: Impact, action: str) -> dict[str, tuple[int, int]]:
    """rule -> (newly restricts, no longer restricts) for ``action``."""
    [found] = [a for a in result.actions if a.action == action]
    return {r.rule: (r.newly_restricts.count, r.no_longer_restricts.count) for r in found.rules}


# -- the shipped bundle ----------------------------------------------------------------------


def test_raising_the_thresholds_flips_the_borrower_and_settles_the_pilot_account(
        huabei: Bundle, examples: MemorySource) -> None:
    # Monday 2026-03-16 10:00, no maintenance window. acct-1001 borrowed 3,000 + 2,500 + 800
    # = 6,300 CNY in 30 days: under the 10,000 threshold of 2025.07, over the 5,000 of 2026.03.
    # acct-1010 (pilot tier) has no credit score yet (first report 2026-03-20): 2025.07's floor
    # `credit_score < 550` is unknown, so undetermined; 2026.03's `unless: account_tier ==
    # "pilot"` holds, so the unknown `when` cannot restrict: allowed. The score floor covers
    # open and raise_limit, not borrow. Every other account decides alike under both.
    result = impact(pinned(huabei, "2025.07"), pinned(huabei, "2026.03"), examples, at("2026-03-16T10:00", huabei))
    assert result.accounts == 10
    assert flips(result, "open") == {"newly-blocked": (1, ("acct-1001",)), "other": (1, ("acct-1010",))}
    assert flips(result, "raise_limit") == {"other": (1, ("acct-1010",))}
    assert flips(result, "borrow") == {}
    assert rule_shifts(result, "open") == {"PLAT-RECENT-BORROWING": (1, 0)}
    assert rule_shifts(result, "raise_limit") == {}
    assert result.affected == ("acct-1001", "acct-1010")
    [open_impact] = [a for a in result.actions if a.action == "open"]
    assert {(t.old_decision, t.new_decision, t.new_blocked_by): n for t, n in open_impact.transitions} == {
        ("allowed", "blocked", ("platform",)): 1, ("undetermined", "allowed", ()): 1}


def test_a_new_maintenance_window_blocks_everyone_and_adds_a_category_to_existing_blocks(
        huabei: Bundle, examples: MemorySource) -> None:
    # Sunday 2026-03-22 03:00 is inside 2026.03's MW-WEEKLY (02:00-04:00), which 2025.07 lacks.
    # Already blocked under 2025.07 for open: acct-1003 (student), acct-1008 (no birth date,
    # REG-MINORS blocks on unknown) and acct-1009 (score 530 < 550): the block stays and gains
    # the maintenance category. The seven others are newly blocked.
    result = impact(pinned(huabei, "2025.07"), pinned(huabei, "2026.03"), examples, at("2026-03-22T03:00", huabei),
                    examples=2)
    assert flips(result, "open") == {"newly-blocked": (7, ("acct-1001", "acct-1002")),
                                     "categories-changed": (3, ("acct-1003", "acct-1008"))}
    shifts = rule_shifts(result, "open")
    assert shifts["MW-WEEKLY"] == (10, 0)
    assert shifts["PLAT-RECENT-BORROWING"] == (1, 0)  # acct-1001 as well, at 6,300 CNY
    assert result.affected == tuple(ACCOUNTS)


def test_the_same_version_on_both_sides_changes_nothing(huabei: Bundle, examples: MemorySource) -> None:
    instant = at("2026-03-22T03:00", huabei)
    for old, new in [
        (pinned(huabei, "2026.03"), pinned(huabei, "2026.03")),
        (Side("huabei", huabei), Side("huabei", huabei)),
        (Side("huabei", huabei), pinned(huabei, "2026.03")),  # 2026.03 is the one in force then
    ]:
        result = impact(old, new, examples, instant)
        assert result.affected == ()
        assert all(a.flipped == 0 and a.rules == () and a.transitions == () for a in result.actions)


def test_swapping_old_and_new_swaps_newly_blocked_and_unblocked(huabei: Bundle, examples: MemorySource) -> None:
    instant = at("2026-03-22T03:00", huabei)
    forward = impact(pinned(huabei, "2025.07"), pinned(huabei, "2026.03"), examples, instant)
    backward = impact(pinned(huabei, "2026.03"), pinned(huabei, "2025.07"), examples, instant)
    assert_mirrored(forward, backward)
    assert flips(backward, "borrow")["unblocked"][0] == flips(forward, "borrow")["newly-blocked"][0] > 0


def test_a_changed_bundle_on_disk_is_compared_by_its_own_selection(huabei: Bundle, examples: MemorySource,
                                                                  huabei_copy: Path) -> None:
    # Raise 2026.03's score floor from 600 to 650 in a copy. On 2026-04-20 (2026.03 in force in
    # both) the only standard-tier account scoring 600-649 is acct-1003 (640), already blocked
    # as a student: the block now has a platform reason too.
    version_file = huabei_copy / "versions" / "2026.03.yaml"
    text = version_file.read_text(encoding="utf-8")
    assert "when: credit_score < 600" in text
    version_file.write_text(text.replace("when: credit_score < 600", "when: credit_score < 650"), encoding="utf-8")
    changed = chronolex.load_bundle(huabei_copy)
    result = impact(Side("main", huabei), Side("branch", changed), examples, at("2026-04-20T15:00", huabei))
    assert result.old_version is not None and result.old_version.id == "2026.03"
    assert flips(result, "open") == {"categories-changed": (1, ("acct-1003",))}
    assert flips(result, "raise_limit") == {"categories-changed": (1, ("acct-1003",))}
    assert rule_shifts(result, "open") == {"PLAT-SCORE-FLOOR": (1, 0)}
    assert result.affected == ("acct-1003",)


def test_an_action_one_bundle_does_not_declare_is_allowed_there(huabei: Bundle, examples: MemorySource) -> None:
    # OLD does not declare raise_limit. Under 2026.03 on 2026-03-16 it is blocked for the
    # student acct-1003, for acct-1008 (unknown age) and for acct-1009 (score 530 < 600).
    without = replace(huabei, actions=("open", "borrow"))
    old = Side("old", without, without.version("2026.03"))
    result = impact(old, pinned(huabei, "2026.03"), examples, at("2026-03-16T10:00", huabei))
    [raise_limit] = [a for a in result.actions if a.action == "raise_limit"]
    assert (raise_limit.in_old, raise_limit.in_new) == (False, True)
    assert flips(result, "raise_limit") == {"newly-blocked": (3, ("acct-1003", "acct-1008", "acct-1009"))}
    assert flips(result, "open") == {}


def test_only_the_actions_asked_for_and_unknown_ones_are_refused(huabei: Bundle, examples: MemorySource) -> None:
    old, new, instant = pinned(huabei, "2025.07"), pinned(huabei, "2026.03"), at("2026-03-16T10:00", huabei)
    result = impact(old, new, examples, instant, actions=["raise_limit"])
    assert [a.action for a in result.actions] == ["raise_limit"]
    assert result.affected == ("acct-1010",)
    with pytest.raises(chronolex.ChronolexError) as caught:
        impact(old, new, examples, instant, actions=["withdraw"])
    [problem] = caught.value.diagnostics
    assert problem.code == "unknown-action" and "withdraw" in problem.message and "open" in (problem.help or "")


def test_the_json_document_is_plain_sorted_and_in_the_bundle_timezone(huabei: Bundle, examples: MemorySource) -> None:
    args = (pinned(huabei, "2025.07"), pinned(huabei, "2026.03"), examples, at("2026-03-22T03:00", huabei))
    document = impact(*args).to_json()
    text = json.dumps(document, sort_keys=True)
    assert text == json.dumps(impact(*args).to_json(), sort_keys=True)
    assert document["at"] == "2026-03-22T03:00:00+08:00"
    assert (document["old"]["version"], document["new"]["version"]) == ("2025.07", "2026.03")
    assert document["affected"] == sorted(document["affected"]) and document["affected_count"] == 10
    for action in document["actions"]:
        assert list(action["flips"]) == list(FLIP_KINDS)
        assert [r["rule"] for r in action["rules"]] == sorted(r["rule"] for r in action["rules"])
        for tally in action["flips"].values():
            assert len(tally["examples"]) <= 3 and tally["examples"] == sorted(tally["examples"])


# -- decision logs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(huabei: Bundle) -> list[LoggedDecision]:
    return read_decision_log(LOGS / "recorded-2025.07.jsonl", huabei.timezone)


def test_a_decision_log_is_read_with_lines_offsets_and_optional_fields(huabei: Bundle,
                                                                      recorded: list[LoggedDecision]) -> None:
    assert len(recorded) == 15  # the blank line is skipped
    by_line = {r.origin.line: r for r in recorded if r.origin}
    assert sorted(by_line) == [*range(1, 9), *range(10, 17)]
    assert by_line[13].at == at("2026-04-20T15:00:00+08:00", huabei)  # written without an offset
    assert by_line[16].known_at == at("2026-02-12T10:00:00+08:00", huabei)
    assert by_line[4].blocked_by == ("regulation",) and by_line[1].blocked_by is None
    assert by_line[1].at.tzinfo == UTC


def test_the_log_is_what_2025_07_decides(huabei: Bundle, examples: MemorySource,
                                         recorded: list[LoggedDecision]) -> None:
    replay = replay_log(pinned(huabei, "2025.07"), examples, recorded)
    assert (replay.records, replay.differing) == (15, ())


def test_a_log_recorded_under_2025_07_replayed_under_2026_03_reports_exactly_the_changed_records(
        huabei: Bundle, examples: MemorySource, recorded: list[LoggedDecision]) -> None:
    # Line 1: acct-1001's 6,300 CNY now crosses the borrowing threshold (10,000 -> 5,000).
    # Line 7: acct-1010 (pilot, no score yet) is exempt from 2026.03's floor: allowed.
    # Line 10: Sunday 03:00 is in the new weekly window: acct-1007 is now blocked.
    # Line 11: acct-1003 stays blocked, but the record's blocked_by (regulation) gains maintenance.
    # Line 12: the same for open, but the record has no blocked_by: the decision alone matches.
    # Line 16: known at 2026-02-12, acct-1009's score was 690 (the 530 was recorded on 02-14).
    replay = replay_log(pinned(huabei, "2026.03"), examples, recorded)
    assert replay.records == 15
    found = {d.record.origin.line: d for d in replay.differing if d.record.origin}
    assert sorted(found) == [1, 7, 10, 11]
    assert [(found[n].decision, found[n].blocked_by) for n in (1, 7, 10, 11)] == [
        ("blocked", ("platform",)), ("allowed", ()), ("blocked", ("maintenance",)),
        ("blocked", ("regulation", "maintenance"))]
    assert found[1].because == (("now blocked by PLAT-RECENT-BORROWING (platform): "
                                 "PLAT-RECENT-BORROWING changed from 2025.07 to 2026.03"),)
    assert [r.rule for r in found[1].reasons] == ["PLAT-RECENT-BORROWING"]
    assert any(s.startswith("no longer undetermined: PLAT-SCORE-FLOOR") for s in found[7].because)
    for line in (10, 11):
        assert "now blocked by MW-WEEKLY (maintenance): MW-WEEKLY is new in 2026.03 (not in 2025.07)" \
            in found[line].because
    document = replay.to_json()
    assert document["differing_count"] == 4
    assert [d["line"] for d in document["differing"]] == [1, 7, 10, 11]
    assert document["differing"][0]["recorded"] == {"decision": "allowed", "version": "2025.07", "blocked_by": None}
    json.dumps(document)


def test_known_at_of_a_record_is_honoured(huabei: Bundle, examples: MemorySource) -> None:
    # acct-1009's drop to 530 (dated 2026-02-10) was recorded only on 2026-02-14.
    record = LoggedDecision("acct-1009", "open", at("2026-02-12T10:00", huabei), "allowed", "2025.07",
                            known_at=at("2026-02-12T10:00", huabei))
    assert replay_log(pinned(huabei, "2025.07"), examples, [record]).differing == ()
    [late] = replay_log(pinned(huabei, "2025.07"), examples, [replace(record, known_at=None)]).differing
    assert (late.decision, late.blocked_by) == ("blocked", ("platform",))
    assert any("2025.07 itself now decides blocked (platform), not allowed" in s for s in late.because)


def test_a_whole_bundle_selects_the_version_per_record_as_known_then(huabei: Bundle, examples: MemorySource) -> None:
    # 2026.03 was published 2026-02-20: known on 2026-02-19, 2025.07 was still in force on 03-16.
    record = LoggedDecision("acct-1001", "open", at("2026-03-16T10:00", huabei), "allowed", "2025.07",
                            known_at=at("2026-02-19T00:00", huabei))
    assert replay_log(Side("huabei", huabei), examples, [record]).differing == ()
    [today] = replay_log(Side("huabei", huabei), examples, [replace(record, known_at=None)]).differing
    assert (today.decision, today.version) == ("blocked", "2026.03")


def test_why_names_a_missing_version_no_policy_and_an_undeclared_action(huabei: Bundle, examples: MemorySource) -> None:
    unknown = LoggedDecision("acct-1001", "open", at("2026-03-16T10:00", huabei), "allowed", "1999.01")
    [difference] = replay_log(pinned(huabei, "2026.03"), examples, [unknown]).differing
    assert difference.because[0] == ("the recorded version 1999.01 is not in huabei@2026.03, "
                                     "so its rules cannot be compared")
    assert "now blocked by PLAT-RECENT-BORROWING (platform)" in difference.because
    early = LoggedDecision("acct-1007", "open", at("2023-06-01T10:00", huabei), "allowed", "2024.01")
    [none] = replay_log(Side("huabei", huabei), examples, [early]).differing
    assert (none.decision, none.version) == ("no_policy", None)
    assert none.because == ("no version of huabei is in force at 2023-06-01T10:00:00+08:00",)
    withdrawn = LoggedDecision("acct-1001", "withdraw", at("2026-03-16T10:00", huabei), "blocked", "2025.07")
    [undeclared] = replay_log(pinned(huabei, "2026.03"), examples, [withdrawn]).differing
    assert undeclared.decision == "allowed"
    assert undeclared.because == ("huabei@2026.03 declares no action 'withdraw', so nothing restricts it",)


def test_bad_decision_logs_point_at_the_line(huabei: Bundle) -> None:
    with pytest.raises(chronolex.ChronolexError) as caught:
        read_decision_log(LOGS / "bad.jsonl", huabei.timezone)
    problems = caught.value.diagnostics
    assert all(p.code == "bad-decision-log" and p.span is not None and p.help for p in problems)
    assert all(p.span is not None and p.span.file == str(LOGS / "bad.jsonl") and p.span.column == 1
               for p in problems)
    by_line = {p.span.line: p.message for p in problems if p.span}
    assert sorted(by_line) == [2, 3, 4, 6, 7, 8]
    assert by_line[2].startswith("not JSON")
    assert by_line[3] == "missing field 'at'"
    assert "'at'" in by_line[4] and "2026-13-40" in by_line[4]
    assert by_line[6] == 'unknown decision "deny"'
    assert "blocked_by" in by_line[7]
    assert "JSON object" in by_line[8]


@pytest.mark.parametrize(("line", "expected"), [
    (b'{"account": "a", "action": "open", "at": "2026-03-16", "decision": "allowed", "version": 7}', "'version'"),
    (b'{"account": "", "action": "open", "at": "2026-03-16", "decision": "allowed", "version": null}', "'account'"),
    (b'{"account": "a", "action": "open", "at": 20260316, "decision": "allowed", "version": null}', "'at'"),
    ((b'{"account": "a", "action": "open", "at": "2026-03-16", "known_at": "soon", "decision": "allowed", '
      b'"version": null}'), "'known_at'"),
    ((b'{"account": "a", "account": "b", "action": "open", "at": "2026-03-16", "decision": "allowed", '
      b'"version": null}'), "twice"),
    ((b'{"account": "a", "action": "open", "at": "2026-03-16", "decision": "blocked", "version": null, '
      b'"blocked_by": "platform"}'), "'blocked_by'"),
    (b'{"account": "\xff", "action": "open"}', "UTF-8"),
])
def test_each_kind_of_bad_record_is_named(tmp_path: Path, huabei: Bundle, line: bytes, expected: str) -> None:
    path = tmp_path / "log.jsonl"
    good = b'{"account": "a", "action": "open", "at": "2026-03-16", "decision": "allowed", "version": "2026.03"}'
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\r\n" + line + b"\n")
    with pytest.raises(chronolex.ChronolexError) as caught:
        read_decision_log(path, huabei.timezone)
    [problem] = caught.value.diagnostics
    assert problem.span is not None and problem.span.line == 2
    assert expected in problem.message


def test_many_bad_lines_are_capped_with_a_count(tmp_path: Path, huabei: Bundle) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text("{}\n" * 60, encoding="utf-8")
    with pytest.raises(chronolex.ChronolexError) as caught:
        read_decision_log(path, huabei.timezone)
    problems = caught.value.diagnostics
    assert len(problems) == 51 and problems[-1].code == "too-many-errors" and "10 more" in problems[-1].message


def test_a_missing_log_is_an_error_not_a_traceback(tmp_path: Path, huabei: Bundle) -> None:
    with pytest.raises(chronolex.ChronolexError) as caught:
        read_decision_log(tmp_path / "nothing.jsonl", huabei.timezone)
    assert caught.value.diagnostics[0].code == "io-error"


# -- properties over random bundles and histories ------------------------------------------------------

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def alone(bundle: Bundle, version: Version) -> Bundle:
    """``bundle`` with only ``version``, in force (and known) since long before any event:
    the oracle decides it through the ordinary version selection."""
    return replace(bundle, versions=(replace(version, effective_from=EARLIEST, published_at=EARLIEST),))


def oracle(bundle: Bundle, side: Side, history: chronolex.AccountHistory, action: str, instant: datetime,
           known_at: datetime | None = None) -> tuple[str, frozenset[str]]:
    """(decision, categories) of ``side``, through :meth:`Evaluator.point` on a bundle of its own."""
    decider = bundle if side.version is None else alone(bundle, side.version)
    point = Evaluator(decider).point(history, action, instant, known_at, cutoff=instant)
    return point.assessment.decision, frozenset(point.assessment.blocked_by(decider))


def expected_kind(before: tuple[str, frozenset[str]], after: tuple[str, frozenset[str]]) -> str | None:
    if before == after:
        return None
    if after[0] == "blocked" and before[0] != "blocked":
        return "newly-blocked"
    if before[0] == "blocked" and after[0] != "blocked":
        return "unblocked"
    return "categories-changed" if before[0] == "blocked" else "other"


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Bundle, Side, Side, MemorySource, datetime]:
    bundle = load_spec(draw(bundle_specs()))
    choices = [Side("bundle", bundle)] + [Side(v.id, bundle, v) for v in bundle.versions]
    old, new = draw(st.sampled_from(choices)), draw(st.sampled_from(choices))
    histories = draw(st.lists(event_lists(max_size=6), min_size=1, max_size=4))
    events = [replace(e, account=f"acct-{n}") for n, events in enumerate(histories) for e in events]
    return bundle, old, new, MemorySource(events), draw(instants())


def assert_mirrored(forward: Impact, backward: Impact) -> None:
    assert forward.affected == backward.affected
    for there, back in zip(forward.actions, backward.actions, strict=True):
        assert there.flips["newly-blocked"] == back.flips["unblocked"]
        assert there.flips["unblocked"] == back.flips["newly-blocked"]
        assert there.flips["categories-changed"] == back.flips["categories-changed"]
        assert there.flips["other"] == back.flips["other"]
        assert [(r.rule, r.newly_restricts, r.no_longer_restricts) for r in there.rules] == \
            [(r.rule, r.no_longer_restricts, r.newly_restricts) for r in back.rules]


@settings(max_examples=40)
@given(scenarios())
def test_impact_agrees_with_each_side_decided_on_its_own(scenario: tuple[Bundle, Side, Side, MemorySource,
                                                                          datetime]) -> None:
    bundle, old, new, source, instant = scenario
    result = impact(old, new, source, instant, examples=2)
    affected = []
    for account in source.accounts():
        history = source.history(account)
        kinds = {action: expected_kind(oracle(bundle, old, history, action, instant),
                                       oracle(bundle, new, history, action, instant)) for action in bundle.actions}
        if any(kinds.values()):
            affected.append(account)
    assert list(result.affected) == affected
    for action_impact in result.actions:
        counted = {kind: 0 for kind in FLIP_KINDS}
        for account in source.accounts():
            history = source.history(account)
            kind = expected_kind(oracle(bundle, old, history, action_impact.action, instant),
                                 oracle(bundle, new, history, action_impact.action, instant))
            if kind is not None:
                counted[kind] += 1
        assert {k: t.count for k, t in action_impact.flips.items()} == counted
    assert_mirrored(result, impact(new, old, source, instant, examples=2))
    assert impact(new, new, source, instant).affected == ()


@settings(max_examples=30)
@given(scenarios(), st.data())
def test_a_log_replays_without_difference_under_its_own_version(
        scenario: tuple[Bundle, Side, Side, MemorySource, datetime], data: st.DataObject) -> None:
    bundle, old, new, source, _ = scenario
    records = []
    for account in source.accounts():
        for _ in range(data.draw(st.integers(1, 3))):
            instant = data.draw(instants())
            known_at = data.draw(known_ats(instant))
            action = data.draw(st.sampled_from(bundle.actions))
            decision, categories = oracle(bundle, old, source.history(account), action, instant, known_at)
            records.append(LoggedDecision(account, action, instant, decision, old.version.id if old.version else None,
                                          tuple(sorted(categories)), known_at))
    assert replay_log(old, source, records).differing == ()
    expected = [r for r in records if oracle(bundle, new, source.history(r.account), r.action, r.at, r.known_at)
                != (r.decision, frozenset(r.blocked_by or ()))]
    assert [d.record for d in replay_log(new, source, records).differing] == expected
