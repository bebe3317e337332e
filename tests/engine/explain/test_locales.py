"""Choosing the language of an answer, and the words the sentence needs in it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import chronolex
from chronolex.explain.locales import WORDS
from tests.conftest import HUABEI
from tests.helpers.bundles import mini, version

T = datetime(2026, 3, 27, 6, 30, tzinfo=timezone.utc)


def test_dates_read_as_a_customer_says_them_with_the_zone_by_name() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert WORDS["en"].when(T, shanghai) == "27 March 2026, 14:30 Beijing time"
    assert WORDS["zh-CN"].when(T, shanghai) == "北京时间2026年3月27日 14:30"


def test_a_zone_without_a_name_is_shown_by_its_iana_name() -> None:
    new_york = ZoneInfo("America/New_York")
    assert WORDS["en"].when(T, new_york) == "27 March 2026, 02:30 (America/New_York)"
    assert WORDS["zh-CN"].when(T, new_york) == "2026年3月27日 02:30（America/New_York）"


def test_the_default_is_the_bundles_default_locale_and_a_request_matches_any_case() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    assert bundle.locales == ("en", "zh-CN")
    assert chronolex.choose_locale(bundle).locale == "en"
    assert chronolex.choose_locale(bundle, "zh-cn").locale == "zh-CN"
    assert chronolex.choose_locale(bundle, "zh_CN").words.locale == "zh-CN"


def test_a_locale_the_bundle_has_no_texts_in_is_an_error_naming_those_it_has() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    with pytest.raises(chronolex.ChronolexError) as caught:
        chronolex.choose_locale(bundle, "fr")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "unknown-locale" and diagnostic.help == "its locales are: en, zh-CN"


@pytest.mark.parametrize(("asked", "locale"), [
    ("en-US", "en"), ("en_GB", "en"), ("zh-CN-u-nu-hanidec", "zh-CN"), ("ZH-cn-x-support", "zh-CN"),
])
def test_a_regional_or_extended_tag_falls_back_to_the_bundles_more_general_one_with_a_note(asked: str,
                                                                                            locale: str) -> None:
    # BCP 47 lookup (RFC 4647): subtags are dropped from the end, never added
    choice = chronolex.choose_locale(chronolex.load_bundle(HUABEI), asked)
    assert (choice.locale, choice.words.locale) == (locale, locale)
    assert choice.note == (f"there are no texts in {asked}: they are shown in en" if locale == "en" else
                           f"没有{asked}的文本，以zh-CN显示")  # said in the language of the answer
    assert chronolex.choose_locale(chronolex.load_bundle(HUABEI), locale).note is None


@pytest.mark.parametrize("asked", ["zh", "zh-TW", "fr-CA", "x-en"])
def test_a_tag_is_never_made_more_specific_or_moved_to_another_region(asked: str) -> None:
    with pytest.raises(chronolex.ChronolexError, match="has no texts in"):
        chronolex.choose_locale(chronolex.load_bundle(HUABEI), asked)


def test_a_locale_without_a_template_keeps_the_bundles_texts_and_says_the_sentence_is_english(tmp_path: Path) -> None:
    rules = "  - {id: R1, category: platform, actions: [open], when: score < 600, message: {en: Low, fr: Bas}}\n"
    bundle = chronolex.load_bundle(mini(tmp_path, ("a.yaml", version("A", rules=rules))))
    choice = chronolex.choose_locale(bundle, "fr")
    assert choice.locale == "fr" and choice.words.locale == "en"
    assert choice.note is not None and "no sentence template for fr" in choice.note


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2080, 12, 31), timezones=st.just(timezone.utc)),
       st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]))
def test_both_languages_name_the_same_local_day_and_minute(instant: datetime, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    local = instant.astimezone(zone)
    english, chinese = WORDS["en"].when(instant, zone), WORDS["zh-CN"].when(instant, zone)
    assert f"{local.day} {WORDS['en'].months[local.month - 1]} {local.year}, {local:%H:%M}" in english
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in chinese
    named = WORDS["en"].zones.get(zone_name)
    assert english.endswith(named if named else f"({zone_name})")


def test_a_wall_time_the_clocks_show_twice_carries_its_offset_in_both_languages() -> None:
    new_york, london = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
    first, second = datetime(2026, 11, 1, 5, 45, tzinfo=timezone.utc), datetime(2026, 11, 1, 6, 45, tzinfo=timezone.utc)
    assert WORDS["en"].when(first, new_york) == "1 November 2026, 01:45 UTC-04:00 (America/New_York)"
    assert WORDS["en"].when(second, new_york) == "1 November 2026, 01:45 UTC-05:00 (America/New_York)"
    assert WORDS["zh-CN"].when(second, new_york, zone_shown=False) == "2026年11月1日 01:45 UTC-05:00"
    assert WORDS["en"].when(datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc), london) == \
        "25 October 2026, 01:30 UTC+00:00 UK time"
    # an hour the clocks show once keeps the plain form, on that night too
    assert WORDS["en"].when(datetime(2026, 11, 1, 7, 45, tzinfo=timezone.utc), new_york) == \
        "1 November 2026, 02:45 (America/New_York)"


def _clock_changes(zone: ZoneInfo, year: int) -> list[datetime]:
    """The instants of ``year`` at which ``zone``'s offset changes (to the minute)."""
    changes = []
    day = datetime(year, 1, 1, tzinfo=timezone.utc)
    while day.year == year:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            low, high = day, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            changes.append(high)
        day = following
    return changes


@given(st.integers(1990, 2080),
       st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/St_Johns"]),
       st.integers(0, 1), st.integers(-150, 150), st.sampled_from([30, 60]), st.sampled_from(["en", "zh-CN"]))
def test_two_different_minutes_near_a_clock_change_never_read_alike(year: int, zone_name: str, which: int,
                                                                     minutes: int, apart: int, locale: str) -> None:
    zone = ZoneInfo(zone_name)
    changes = _clock_changes(zone, year)
    instant = changes[which % len(changes)] + timedelta(minutes=minutes)
    words = WORDS[locale]
    assert words.when(instant, zone) != words.when(instant + timedelta(minutes=apart), zone)
