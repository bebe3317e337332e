"""The plain-language answer: one sentence for the customer, saying when the block as a
whole lifts, in the customer's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex import decide, parse_instant
from tests.conftest import HUABEI
from tests.helpers.bundles import mini, version

BUNDLE = chronolex.load_bundle(HUABEI)
SOURCE = chronolex.open_source([str(HUABEI / "examples" / "events.jsonl")], BUNDLE.timezone)
EN = chronolex.choose_locale(BUNDLE, "en")
ZH = chronolex.choose_locale(BUNDLE, "zh-CN")


def decision(account: str, at: str, action: str = "open") -> chronolex.Decision:
    return decide(BUNDLE, SOURCE.history(account), action, parse_instant(at, BUNDLE.timezone))


def test_the_sentence_names_the_action_the_category_the_end_and_the_cause() -> None:
    d = decision("acct-1001", "2026-03-16T10:00")
    assert chronolex.summary_sentence(d, EN) == (
        "Opening Huabei is blocked by the platform's risk strategy until 27 March 2026, 14:30 Beijing time, "
        "because 5,000 CNY or more was borrowed in the last 30 days.")
    assert chronolex.summary_sentence(d, ZH) == (
        "开通花呗目前受平台风控策略限制，将于北京时间2026年3月27日 14:30解除，原因是近30天内借款达到5,000元及以上。")


def test_overlapping_reasons_give_the_end_of_the_whole_block_not_of_the_first_reason() -> None:
    # 02:30 on 8 March: the weekly window ends 04:00, the upgrade 05:00, the borrowing block 27 March
    d = decision("acct-1001", "2026-03-08T02:30")
    ends = sorted(r.lifts.at for r in d.reasons if r.lifts is not None and r.lifts.at is not None)
    assert len(ends) == 3
    assert d.lifts is not None and d.lifts.at == ends[-1]
    assert "until 27 March 2026, 14:30 Beijing time" in chronolex.summary_sentence(d, EN)


def test_a_window_inside_a_longer_one_does_not_end_the_block_early() -> None:
    # 01:30 on 8 March: the upgrade (until 05:00) contains the weekly window (02:00-04:00)
    d = decision("acct-1002", "2026-03-08T01:30")
    assert d.lifts is not None and d.lifts.at == parse_instant("2026-03-08T05:00", BUNDLE.timezone)


def test_a_block_that_time_does_not_lift_says_so_honestly() -> None:
    d = decision("acct-1003", "2026-04-01T09:00")
    assert d.lifts is not None and d.lifts.at is None and d.lifts.when == 'occupation != "student"'
    sentence = chronolex.summary_sentence(d, EN)
    assert sentence.startswith("Opening Huabei is blocked by regulation, because the profile shows a full-time student.")
    assert "no set end" in sentence and "until" not in sentence
    assert "没有固定的解除时间" in chronolex.summary_sentence(d, ZH)


def test_allowed_and_reasons_in_the_customers_language() -> None:
    allowed = decision("acct-1007", "2026-04-20T15:00")
    assert chronolex.summary_sentence(allowed, EN) == "Opening Huabei is not blocked."
    assert allowed.lifts is None
    answer = chronolex.plain_answer(decision("acct-1002", "2026-03-08T01:30"), ZH)
    [reason] = answer.reasons
    assert reason.title == "2026年3月8日核心系统升级"
    assert reason.remedy == "请于北京时间2026年3月8日05:00后再试。"
    assert reason.ends == "此项将于北京时间2026年3月8日 05:00解除"


def test_a_bundle_without_locales_or_action_titles_still_reads(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", rules="  - {id: R1, category: platform, actions: [open], when: score < 600,"
                                                        " message: Score too low}\n")))
    bundle = chronolex.load_bundle(root)
    when = parse_instant("2026-02-01", bundle.timezone)
    history = chronolex.AccountHistory("a", (chronolex.Event("a", when, "score_updated", when, {"score": 500}),))
    d = decide(bundle, history, "open", parse_instant("2026-03-01", bundle.timezone))
    sentence = chronolex.summary_sentence(d, chronolex.choose_locale(bundle))
    assert sentence == ("The action “open” is blocked by the platform's risk strategy. The block has no set end: "
                        "it lifts only when the situation below changes.")


def test_the_document_adds_the_summary_and_texts_in_the_locale_and_stays_valid() -> None:
    from chronolex.bundle.schemas import validator
    d = decision("acct-1001", "2026-03-08T02:30")
    document = chronolex.localized_document(d, ZH)
    validator("decision").validate(document)
    assert document["locale"] == "zh-CN" and list(document["summary"]) == ["zh-CN"]
    assert document["lifts"]["at"] == "2026-03-27T14:30:00+08:00"
    assert document["reasons"][0]["texts"]["zh-CN"]["title"] == "近期在平台借款较多，暂不可开通"
    assert document["reasons"][0]["message"].startswith("You have borrowed")  # the default locale, as before


ACCOUNTS = ["acct-1001", "acct-1002", "acct-1003", "acct-1004", "acct-1005", "acct-1006", "acct-1007"]


@settings(max_examples=40)
@given(st.sampled_from(ACCOUNTS), st.integers(0, 60 * 24 * 45), st.sampled_from(["open", "borrow", "raise_limit"]))
def test_the_block_lasts_exactly_until_the_instant_the_sentence_gives(account: str, minutes: int, action: str) -> None:
    at = parse_instant("2026-03-01", BUNDLE.timezone) + timedelta(minutes=minutes)
    history = SOURCE.history(account)
    d = decide(BUNDLE, history, action, at)
    if d.decision != "blocked":
        assert d.lifts is None
        return
    assert d.lifts is not None
    if d.lifts.at is None:
        return
    # with no new event, the decision stays blocked up to the end and is no longer blocked there
    frozen = chronolex.AccountHistory(history.account, tuple(e for e in history.events if e.at <= at))
    just_before = decide(BUNDLE, frozen, action, d.lifts.at - timedelta(seconds=1))
    at_end = decide(BUNDLE, frozen, action, d.lifts.at)
    assert just_before.decision == "blocked" and at_end.decision != "blocked"


def test_an_action_title_in_another_language_keeps_its_capitals_inside_the_english_sentence(tmp_path: Path) -> None:
    # German writes nouns with a capital: "Kredit eröffnen" must not become "kredit eröffnen"
    # when the English template (there is none for de) puts it mid-sentence.
    manifest = ("bundle: kredit\ntimezone: Europe/Berlin\ndefault_locale: de\nactions: [open, borrow]\n"
                "action_titles:\n  open: Kredit eröffnen\n"
                "facts:\n  score: {type: int, derive: {latest: score_updated.score}}\n")
    bundle = chronolex.load_bundle(mini(tmp_path, ("a.yaml", version("A", eff="2026-01-01")), bundle=manifest))
    choice = chronolex.choose_locale(bundle)
    early = parse_instant("2025-06-01T10:00", bundle.timezone)
    empty = chronolex.AccountHistory("a-1", ())
    assert chronolex.summary_sentence(decide(bundle, empty, "open", early), choice) == (
        "No policy is in force at this time, so whether Kredit eröffnen is possible cannot be decided.")
    # the template's own phrase is English and reads in lower case mid-sentence
    assert chronolex.summary_sentence(decide(bundle, empty, "borrow", early), choice) == (
        "No policy is in force at this time, so whether the action “borrow” is possible cannot be decided.")
    later = chronolex.summary_sentence(decide(bundle, empty, "open", parse_instant("2026-02-01", bundle.timezone)),
                                       choice)
    assert later.startswith("Whether Kredit eröffnen is possible cannot be decided yet")  # score unknown
    english = decision("acct-1001", "2020-01-01T10:00")
    assert "whether opening Huabei is possible" in chronolex.summary_sentence(english, EN)
