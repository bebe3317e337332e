"""The console's pages over HTTP (Starlette's test client): what they answer, how they
refuse bad input, and that nothing from a request, a bundle or an event becomes markup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from markupsafe import escape
from starlette.testclient import TestClient

import chronolex
from chronolex.cli.app import cli
from chronolex.service.console import STATIC_PATH
from chronolex.service.console.policy import markdown_html
from chronolex.service.state import ServiceState
from tests.conftest import HUABEI
from tests.helpers.console import EVENTS, SCRIPT, FixedClock, console_app, hostile_state, huabei_state

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
STORY = "/?account=acct-1001&at=2026-03-16T10:00&action=open"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> ServiceState:
    return huabei_state(tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def client(state: ServiceState) -> Iterator[TestClient]:
    with TestClient(console_app(state)) as test_client:
        yield test_client


def text_of(html: str) -> str:
    """The page's text, roughly as a reader sees it (tags out, entities in)."""
    import html as html_module
    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_page_says_what_chronolex_why_says(client: TestClient) -> None:
    page = client.get(STORY)
    assert page.status_code == 200
    why = CliRunner().invoke(cli, ["why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00",
                                   "--events", str(EVENTS), "--bundle", str(HUABEI)])
    assert why.exit_code == 0, why.output
    sentence = why.output.splitlines()[1]
    assert sentence.startswith("Opening Huabei is blocked by the platform's risk strategy until 27 March 2026")
    shown = text_of(page.text)
    assert sentence in shown
    for line in why.output.splitlines()[2:4]:  # the reason's title and its message
        assert line.lstrip("• ").split(" (this part")[0] in shown
    zh = client.get(STORY + "&lang=zh-CN")
    why_zh = CliRunner().invoke(cli, ["why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00",
                                      "--events", str(EVENTS), "--bundle", str(HUABEI), "--lang", "zh-CN"])
    assert why_zh.output.splitlines()[1] in text_of(zh.text)
    assert '<html lang="zh-CN">' in zh.text


def test_every_action_is_answered_when_none_is_picked(client: TestClient) -> None:
    page = client.get("/?account=acct-1001&at=2026-03-16T10:00")
    assert page.text.count('<article class="answer') == 3
    assert 'data-decision="blocked"' in page.text and 'data-decision="allowed"' in page.text


def test_without_an_instant_the_service_clock_is_the_default_and_the_form_shows_it(client: TestClient) -> None:
    page = client.get("/?account=acct-1001&action=open")
    assert 'value="2026-03-16T10:00"' in page.text  # FixedClock, in the bundle's zone
    assert "Blocked — Platform strategy" in page.text


def test_a_partial_id_lists_the_matching_accounts_and_gives_no_answer(client: TestClient) -> None:
    page = client.get("/?account=acct-100&at=2026-03-16T10:00")
    assert page.status_code == 200
    assert "<article class=\"answer" not in page.text
    assert page.text.count('class="matches"') == 1
    assert "account=acct-1001" in page.text and "account=acct-1009" in page.text
    typo = client.get("/?account=acct-1O01")
    assert "has no events in the store" in typo.text and "account=acct-1001" in typo.text  # closest ids


@pytest.mark.parametrize(("url", "status", "says"), [
    ("/?account=acct-1001&at=16/03/2026", 400, "cannot read the date and time"),
    ("/?account=acct-1001&action=fly", 400, "unknown action &#39;fly&#39;"),
    ("/?lang=fr", 400, "has no texts in &#39;fr&#39;"),
    ("/?bundle=nope", 404, "no bundle &#39;nope&#39;"),
    ("/timeline?account=acct-1001&from=2026-03-10&to=2026-03-01", 400, "must be after its start"),
    ("/timeline?account=acct-1001&from=2020-01-01&to=2026-01-01", 400, "longer than"),
    ("/timeline?account=acct-1001&from=yesterday", 400, "cannot read the from date"),
    ("/policy?old=1999.01&new=2026.03", 404, "has no version &#39;1999.01&#39;"),
])
def test_bad_input_is_a_clear_error_beside_the_form(client: TestClient, url: str, status: int, says: str) -> None:
    page = client.get(url)
    assert page.status_code == status
    assert says in page.text
    assert 'role="alert"' in page.text and "Traceback" not in page.text


def test_a_wall_time_in_a_dst_gap_is_noted_not_silently_moved(tmp_path: Path) -> None:
    bundle = chronolex.load_bundle(HUABEI)
    import dataclasses
    from zoneinfo import ZoneInfo
    york = dataclasses.replace(bundle, timezone=ZoneInfo("America/New_York"))
    state = ServiceState(FixedClock(), {"huabei": york}, {"huabei": HUABEI})
    page = TestClient(console_app(state)).get("/?at=2026-03-08T02:30")
    assert "does not exist in America/New_York" in page.text


def test_pages_are_read_only_and_carry_a_strict_content_security_policy(client: TestClient) -> None:
    assert client.post("/", data={"account": "acct-1001"}).status_code == 405
    policy = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert client.get("/").headers["x-content-type-options"] == "nosniff"


def test_every_asset_comes_from_the_console_itself(client: TestClient) -> None:
    for url in ("/", STORY, "/timeline?account=acct-1001&at=2026-03-16T10:00", "/policy?old=2025.07&new=2026.03"):
        html = client.get(url).text
        assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # nothing inline
        for target in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert target.startswith(("http://testserver/", "./", "?", "timeline?", "policy?", "#")), target
    for name in ("console.css", "console.js"):
        asset = client.get(f"{STATIC_PATH}/{name}")
        assert asset.status_code == 200 and "http" not in asset.text.replace("https://", "").replace("http://", "")


def test_the_timeline_has_a_band_per_category_run_events_and_version_lines(client: TestClient) -> None:
    page = client.get("/timeline?account=acct-1006&at=2025-07-08T10:00&action=open&from=2025-06-01&to=2025-08-01")
    assert page.status_code == 200
    assert page.text.count('class="boundary"') == 1  # 2025.07 takes effect on 1 July
    assert "version 2025.07 takes effect" in page.text
    bands = re.findall(r'<rect class="band band-(\w+)" tabindex="0"', page.text)
    assert bands and set(bands) <= {"regulation", "platform", "maintenance", "undetermined", "no_policy"}
    assert page.text.count("<title>") >= len(bands)


def test_the_decision_log_is_compared_with_the_replay(client: TestClient) -> None:
    page = client.get(STORY)
    text = text_of(page.text)
    assert text.count("Same answer") == 1 and text.count("Different answer") == 1
    assert "the caller gave borrowed_30d = 0; the events give 6300" in text


def test_without_a_store_or_a_log_the_page_says_so(tmp_path: Path) -> None:
    bundle = chronolex.load_bundle(HUABEI)
    client = TestClient(console_app(ServiceState(FixedClock(), {"huabei": bundle}, {"huabei": HUABEI})))
    assert "No event store is loaded" in client.get(STORY).text
    policy = client.get("/policy?old=2025.07&new=2026.03")
    assert "the affected accounts are not counted" in policy.text and "chronolex diff" in policy.text


def test_several_bundles_offer_a_choice(state: ServiceState) -> None:
    two = ServiceState(FixedClock(), {"huabei": state.bundle("huabei"), "other": state.bundle("huabei")},
                       {"huabei": HUABEI, "other": HUABEI}, state.store)
    page = TestClient(console_app(two)).get("/?bundle=other")
    assert '<select id="bundle" name="bundle">' in page.text
    assert '<option value="other" selected>' in page.text


def test_the_policy_page_shows_versions_and_the_diff_with_affected_accounts(client: TestClient) -> None:
    page = client.get("/policy?at=2026-03-16T10:00")
    assert page.text.count('class="band band-version') == 5
    assert "retroactive" in page.text
    assert '<option value="2025.07" selected>' in page.text and '<option value="2026.03" selected>' in page.text
    diff = client.get("/policy?old=2025.07&new=2026.03&at=2026-03-16T10:00")
    assert '<h2>chronolex diff</h2>' in diff.text and "<table>" in diff.text
    assert 'data-accounts="10"' in diff.text


def test_markup_from_a_bundle_or_an_event_is_text(tmp_path: Path) -> None:
    client = TestClient(console_app(hostile_state(tmp_path)))
    answer = client.get("/?account=acct-evil&at=2026-03-16T10:00&action=open").text
    timeline = client.get("/timeline?account=acct-evil&at=2026-03-16T10:00&action=open").text
    for html in (answer, timeline):
        assert SCRIPT not in html and "<img" not in html
    assert str(escape(SCRIPT)) in answer and str(escape(SCRIPT)) in timeline


def test_the_diff_renders_markdown_with_html_refused() -> None:
    html = markdown_html(f"- a rule {SCRIPT} and [a link](javascript:alert(1))\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


@settings(max_examples=25)
@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() == t and "\x00" not in t))
def test_whatever_is_typed_as_an_account_comes_back_as_text(client: TestClient, typed: str) -> None:
    page = client.get("/", params={"account": typed, "at": "2026-03-16T10:00"})
    assert page.status_code == 200
    assert str(escape(typed)) in page.text


def test_a_regulation_block_cites_its_source_and_has_no_set_end(client: TestClient) -> None:
    page = client.get("/?account=acct-1003&at=2026-04-01T09:00&action=open")
    text = text_of(page.text)
    assert "Blocked — Regulation" in text
    assert "Consumer Credit Authority, CCA Notice 2021-28, Art. 2" in text
    assert "The block has no set end" in text and "this part has no set end" in text
    assert '<span class="badge badge-regulation state-blocks">' in page.text


def test_an_error_keeps_the_form_as_it_was_sent_to_correct_it(client: TestClient) -> None:
    page = client.get("/?account=acct-1001&at=16/03/2026&action=open")
    assert page.status_code == 400
    assert 'name="account" type="search" value="acct-1001"' in page.text
    assert 'value="16/03/2026"' in page.text and '<option value="open" selected>' in page.text


@settings(max_examples=30)
@given(at=st.one_of(st.text(max_size=25), st.dates().map(str), st.datetimes().map(lambda d: d.isoformat())),
       start=st.one_of(st.just(""), st.dates().map(str), st.text(max_size=12)))
def test_any_instant_or_range_is_answered_or_refused_never_a_server_error(client: TestClient, at: str,
                                                                          start: str) -> None:
    for url in ("/", "/timeline"):
        page = client.get(url, params={"account": "acct-1002", "at": at, "from": start, "action": "open"})
        assert page.status_code in (200, 400), page.text[-500:]
