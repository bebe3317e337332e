"""The support agent's story in a real browser, on the example accounts.

A customer calls: they cannot open Huabei. The agent searches acct-1001 at 16 March
2026, 10:00, reads the verdict, the rule, the message and when it lifts, switches to
Chinese for the customer, opens the timeline around that day, and the policy page with
the diff of the version that caused it. Each step keeps a screenshot in build/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import chronolex
from tests.helpers.console import EVENTS, STORY_AT, console_app, huabei_state, serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = huabei_state(tmp_path_factory.mktemp("console"))
    with serving(console_app(state)) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def loaded(page: Any, selector: str) -> None:
    """Wait for the page a click or a key opened: ``selector`` is on it, and it has loaded.
    An element is there as soon as the parser reaches it, but the console's script (which
    shows the copy button and the chart's tooltips) runs only once the page is parsed and
    the script fetched: a check made in between sees the page without it."""
    page.wait_for_selector(selector)
    page.wait_for_load_state("load")


def test_1_the_agent_finds_the_block_its_rule_message_and_lift_time(page: Any, base_url: str,
                                                                      screenshots: Path) -> None:
    page.goto(base_url + "/")
    assert page.locator("h1").inner_text() == "Why is this account blocked?"
    page.get_by_label("Account", exact=True).fill("acct-1001")
    page.get_by_label("Date and time", exact=True).fill(STORY_AT)
    page.get_by_label("Action", exact=True).select_option("open")
    assert "Beijing time (Asia/Shanghai)" in page.locator("#at-zone").inner_text()  # the bundle's zone, beside the field
    page.get_by_label("Account", exact=True).press("Enter")  # the keyboard submits the form
    loaded(page, "article.answer")
    answer = page.locator("article.answer")
    assert answer.locator(".headline").inner_text() == "Blocked — Platform strategy"
    assert answer.locator(".badge-platform.state-blocks").count() >= 1
    assert answer.locator(".summary").inner_text() == (
        "Opening Huabei is blocked by the platform's risk strategy until 27 March 2026, 14:30 Beijing time, "
        "because 5,000 CNY or more was borrowed in the last 30 days.")
    reason = answer.locator("li.reason")
    assert "Recent borrowing elsewhere on the platform blocks opening" in reason.inner_text()
    assert reason.locator(".message").inner_text() == (
        "You have borrowed a large amount on the platform in the last 30 days, so a new credit line cannot be "
        "opened yet.")
    assert "27 March 2026, 14:30 Beijing time" in reason.locator(".lifts").inner_text()
    assert "PLAT-RECENT-BORROWING" in reason.locator(".policy").inner_text()
    assert "huabei@2026.03" in reason.locator(".policy").inner_text()
    assert "Loan disbursed to the customer · 12 March 2026, 12:00" in reason.locator(".evidence").inner_text()
    reply = page.locator("#reply-text").input_value()
    assert reply.startswith("Opening Huabei is blocked") and "(This part ends 27 March 2026, 14:30 Beijing time.)" in reply
    copy = page.get_by_role("button", name="Copy reply")
    assert copy.is_visible()  # shown by the script; the text area works without it
    # what the platform decided that morning, beside the replay
    comparisons = page.locator("section.logged article.comparison")
    assert comparisons.count() == 2
    assert "Same answer" in comparisons.nth(0).inner_text()  # 09:58, the nearest first
    differs = comparisons.nth(1).inner_text()
    assert "Different answer" in differs and "the caller gave borrowed_30d = 0; the events give 6300" in differs
    page.screenshot(path=str(screenshots / "1-answer.png"), full_page=True)


def test_2_the_same_answer_in_chinese(page: Any, screenshots: Path) -> None:
    page.get_by_role("link", name="简体中文").first.click()
    loaded(page, "html[lang='zh-CN']")
    answer = page.locator("article.answer")
    assert answer.locator(".headline").inner_text() == "受限 — 平台策略"
    assert answer.locator(".summary").inner_text() == (
        "开通花呗目前受平台风控策略限制，将于北京时间2026年3月27日 14:30解除，原因是近30天内借款达到5,000元及以上。")
    assert answer.locator(".message").inner_text() == "您近30天内在平台的借款金额较大，暂时无法开通新的信贷额度。"
    assert page.locator("select#lang").input_value() == "zh-CN"
    assert page.locator("#reply-text").input_value().startswith("开通花呗目前受平台风控策略限制")
    page.screenshot(path=str(screenshots / "2-chinese.png"), full_page=True)


def expected_bands() -> int:
    """Bands as the engine's own intervals give them: per category, a run of consecutive
    intervals in which the same rules of that category restrict."""
    bundle = chronolex.load_bundle(EVENTS.parent.parent)
    source = chronolex.open_source([str(EVENTS)], bundle.timezone)
    start, end = (chronolex.parse_instant(t, bundle.timezone) for t in ("2026-03-01", "2026-03-31"))
    intervals = chronolex.timeline(bundle, source.history("acct-1001"), "open", start, end)
    count = 0
    for category in bundle.categories:
        previous: tuple[str, ...] = ()
        for interval in intervals:
            rules = tuple(o.rule.id for o in interval.point.assessment.restricting if o.rule.category == category)
            count += bool(rules) and rules != previous
            previous = rules
    return count


def test_3_the_timeline_around_that_day(page: Any, screenshots: Path) -> None:
    page.get_by_role("link", name="查看此时间前后的时间线").click()
    loaded(page, "svg.timeline")
    assert page.get_by_label("开始").input_value() == "2026-03-01"  # 30 days around the instant
    assert page.get_by_label("结束（不含）").input_value() == "2026-03-31"
    bands = page.locator("svg.timeline rect.band")
    assert bands.count() == expected_bands() == 8  # the borrowing block; 7 maintenance windows (3 on 8 March)
    assert page.locator("svg.timeline rect.band-platform").count() == 1
    assert page.locator("svg.timeline rect.tick").count() == 2  # the loans of 5 and 12 March
    assert page.locator("svg.timeline g.boundary").count() == 0  # 2026.03 starts on the range's first instant
    platform = page.locator("svg.timeline rect.band-platform")
    assert "PLAT-RECENT-BORROWING" in platform.locator("title").text_content()
    platform.focus()  # a band is reachable by keyboard and says what it is
    assert "PLAT-RECENT-BORROWING" in page.locator("section.chart .tooltip").inner_text()
    page.screenshot(path=str(screenshots / "3-timeline.png"), full_page=True)


def test_4_the_diff_of_the_version_that_blocks(page: Any, base_url: str, screenshots: Path) -> None:
    page.get_by_role("link", name="English").first.click()
    page.get_by_role("link", name="Policy versions").click()
    loaded(page, "table.version-table")
    assert page.locator("svg.versions-chart rect.band").count() == 5
    page.get_by_role("row", name="2026.03").get_by_role("link", name="Diff").click()
    loaded(page, "article.diff")
    assert page.get_by_label("Old version").input_value() == "2025.07"
    assert page.get_by_label("New version").input_value() == "2026.03"
    diff = page.locator("article.diff")
    assert diff.locator("h2").first.inner_text() == "chronolex diff"
    assert "Rule PLAT-RECENT-BORROWING now applies when borrowed_30d >= 5000 instead of borrowed_30d >= 10000." \
        in diff.inner_text()
    assert diff.locator("table").count() >= 1
    affected = page.locator("p.affected")
    assert int(affected.get_attribute("data-accounts") or 0) == 10
    assert int(affected.get_attribute("data-affected") or 0) >= 1
    page.screenshot(path=str(screenshots / "4-diff.png"), full_page=True)
