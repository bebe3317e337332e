"""A bundle or an event that holds markup is shown as text, in a real browser: a rule
title, a message and an event field with ``<script>`` neither run nor become elements."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.console import SCRIPT, console_app, hostile_state, serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(console_app(hostile_state(tmp_path_factory.mktemp("hostile")))) as url:
        yield url


def test_script_in_a_rule_title_a_message_and_an_event_is_shown_as_text(browser: Any, base_url: str,
                                                                       screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(base_url + "/?account=acct-evil&at=2026-03-16T10:00&action=open")
        reason = page.locator("li.reason.category-platform")
        assert f"Recent borrowing {SCRIPT}" in reason.locator(".reason-title strong").inner_text()
        assert "<img src=x onerror=alert(1)>" in reason.locator(".message").inner_text()
        assert SCRIPT in page.locator("#reply-text").input_value()
        assert page.evaluate("window.__pwned") is None and page.locator("main script, main img").count() == 0
        page.goto(base_url + "/timeline?account=acct-evil&at=2026-03-16T10:00&action=open")
        tick = page.locator("svg.timeline rect.tick").first
        assert f"product: {SCRIPT}" in (tick.get_attribute("aria-label") or "")
        tick.focus()
        assert SCRIPT in page.locator("section.chart .tooltip").inner_text()
        assert page.evaluate("window.__pwned") is None
        assert dialogs == []
        assert page.locator("main script, main img").count() == 0  # no element was made from the text
        page.screenshot(path=str(screenshots / "5-escaped.png"), full_page=True)
    finally:
        context.close()
