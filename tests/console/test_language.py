"""The console in Simplified Chinese: every sentence a page shows is Chinese, including
why a logged decision differs from today's replay; only data (rule ids, version ids,
fact names, the bundle's own texts) stays as written."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

import chronolex
from chronolex.evaluation import changes
from chronolex.service.console.labels import LABELS
from chronolex.service.state import ServiceState
from chronolex.log import DecisionLog
from tests.conftest import FIXTURES, HUABEI
from tests.helpers.console import EVENTS, FixedClock, console_app, huabei_state, logged, store_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: Logged decisions that differ from today's replay, one for each kind of reason.
AT_VERSION, AT_KNOWN, AT_UNEXPLAINED = "2026-03-20T10:00", "2026-03-23T10:00", "2026-03-26T10:00"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    state: ServiceState = huabei_state(tmp_path_factory.mktemp("zh"))
    assert state.log is not None
    state.log.append([
        # decided under an older version than the one in force there today
        replace(logged(AT_VERSION + ":00+08:00", facts={}, given=True, decision="allowed", rules=()),
                version="2025.07"),
        # decided as known on 1 March, before the loans that block it today were recorded
        replace(logged(AT_KNOWN + ":00+08:00", facts={}, given=False, decision="allowed", rules=()),
                known_at="2026-03-01T00:00:00+08:00"),
        # nothing recorded says why
        logged(AT_UNEXPLAINED + ":00+08:00", facts={}, given=True, decision="allowed", rules=()),
    ])
    with TestClient(console_app(state)) as test_client:
        yield test_client


def page_text(page: str) -> str:
    """What a reader (or a screen reader) gets: the text, and the labels of attributes."""
    attributes = re.findall(r'(?:aria-label|title|placeholder|alt|data-copied)="([^"]*)"', page)
    page = re.sub(r'<article class="diff".*?</article>', " ", page, flags=re.S)  # ``chronolex diff``'s report
    page = re.sub(r'<td class="bundle-text">.*?</td>', " ", page, flags=re.S)  # a version's summary, as written
    return html.unescape(" ".join([re.sub(r"<[^>]+>", " ", page), *attributes]))


def why_differs(page: str) -> list[str]:
    return [html.unescape(li) for block in re.findall(r'<ul class="because">(.*?)</ul>', page, flags=re.S)
            for li in re.findall(r"<li>(.*?)</li>", block)]


def test_why_a_logged_decision_differs_is_said_in_chinese(client: TestClient) -> None:
    story = why_differs(client.get("/?account=acct-1001&at=2026-03-16T10:00&action=open&lang=zh-CN").text)
    assert story == ["调用方提供的 borrowed_30d 为 0；事件得出的是 6300"]
    version = why_differs(client.get(f"/?account=acct-1001&at={AT_VERSION}&action=open&lang=zh-CN").text)
    assert version == ["平台当时按版本 2025.07 作出决定；北京时间2026年3月20日 10:00生效的版本现在是 2026.03"]
    known = why_differs(client.get(f"/?account=acct-1001&at={AT_KNOWN}&action=open&lang=zh-CN").text)
    assert known == ["按今天已知的全部信息，决定是“受限”（平台策略）",
                     "Loan disbursed to the customer（北京时间2026年3月5日 20:10）发生在决定所依据的知情时间之后，因此没有计入",
                     "Loan disbursed to the customer（北京时间2026年3月12日 12:00）发生在决定所依据的知情时间之后，因此没有计入"]
    unexplained = why_differs(client.get(f"/?account=acct-1001&at={AT_UNEXPLAINED}&action=open&lang=zh-CN").text)
    assert unexplained == ["按今天已知的规则和事件，结果不同；记录中没有说明原因（日志由另一个版本的程序写入，或政策包此后重新加载过）"]


def test_in_english_the_same_reasons_read_in_english(client: TestClient) -> None:
    known = why_differs(client.get(f"/?account=acct-1001&at={AT_KNOWN}&action=open").text)
    assert known == [
        "with everything known today the decision is blocked (Platform strategy)",
        "Loan disbursed to the customer of 5 March 2026, 20:10 Beijing time happened after the knowledge instant, "
        "so it is not counted",
        "Loan disbursed to the customer of 12 March 2026, 12:00 Beijing time happened after the knowledge instant, "
        "so it is not counted"]


#: Every page (and error page) in Chinese, each with a logged decision that differs.
ZH_PAGES = [
    "/?lang=zh-CN",
    "/?account=acct-1001&at=2026-03-16T10:00&lang=zh-CN",
    f"/?account=acct-1001&at={AT_KNOWN}&action=open&lang=zh-CN",
    f"/?account=acct-1001&at={AT_VERSION}&action=open&lang=zh-CN",
    "/?account=acct-10&lang=zh-CN",
    "/timeline?account=acct-1001&at=2026-03-16T10:00&lang=zh-CN",
    "/policy?lang=zh-CN",
    "/policy?old=2025.07&new=2026.03&lang=zh-CN",
    "/?account=acct-1001&at=not-a-date&lang=zh-CN",
    "/?account=acct-1001&action=fly&lang=zh-CN",
    "/timeline?account=acct-1001&from=2026-03-10&to=2026-03-01&lang=zh-CN",
    "/timeline?account=acct-1001&from=2020-01-01&to=2026-01-01&lang=zh-CN",
    "/timeline?account=acct-1001&from=soon&lang=zh-CN",
    "/policy?old=1999.01&lang=zh-CN",
]


def english_words() -> set[str]:
    """The console's English words, without placeholders: phrases of at least four letters."""
    found = set()
    for key, text in LABELS["en"].items():
        if text == LABELS["zh-CN"].get(key):
            continue  # the same in both (a placeholder only)
        for part in re.split(r"\{[^}]*\}", text):
            part = part.strip(" :;,.()“”")
            if len(re.sub(r"[^A-Za-z]", "", part)) >= 4:
                found.add(part)
    return found


@pytest.mark.parametrize("url", ZH_PAGES)
def test_no_english_label_is_left_on_a_chinese_page(client: TestClient, url: str) -> None:
    page = client.get(url)
    assert 'lang="zh-CN"' in page.text
    text = page_text(page.text)
    left = sorted(w for w in english_words() if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text))
    assert left == [], url


def test_a_regional_tag_gives_the_chinese_page_with_a_chinese_note(client: TestClient) -> None:
    page = client.get("/?account=acct-1001&at=2026-03-16T10:00&action=open&lang=zh-CN-x-agent")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert "没有zh-CN-x-agent的文本，以zh-CN显示" in page_text(page.text)


def test_a_rule_without_chinese_texts_is_noted_in_chinese(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("no-zh")
    root = folder / "huabei"
    shutil.copytree(HUABEI, root)
    version = root / "versions" / "2026.03.yaml"
    lines = version.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "id: PLAT-RECENT-BORROWING" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "- id:" in line)
    version.write_text("".join(line for i, line in enumerate(lines) if not (start < i < end and "zh-CN:" in line)),
                       encoding="utf-8")
    bundle = chronolex.load_bundle(root)
    state = ServiceState(FixedClock(), {"huabei": bundle}, {"huabei": root},
                         store_of(bundle, [EVENTS], folder / "events.db"))
    page = TestClient(console_app(state)).get("/?account=acct-1001&at=2026-03-16T10:00&action=open&lang=zh-CN")
    assert "PLAT-RECENT-BORROWING没有zh-CN文本，以en显示" in page_text(page.text)


def answer_notes(page: str) -> list[str]:
    return [html.unescape(li) for block in re.findall(r'<ul class="answer-notes">(.*?)</ul>', page, flags=re.S)
            for li in re.findall(r"<li>(.*?)</li>", block)]


def page_notes(page: str) -> list[str]:
    return [html.unescape(li) for block in re.findall(r'<section class="notes".*?<ul>(.*?)</ul>', page, flags=re.S)
            for li in re.findall(r"<li>(.*?)</li>", block)]


def test_a_search_that_reaches_the_end_of_the_supported_years_is_noted_in_chinese(client: TestClient) -> None:
    url = "/?account=acct-1002&at=9000-12-31T23:59:59&action=open"
    assert answer_notes(client.get(url + "&lang=zh-CN").text) == [
        "北京时间9000年12月31日 23:59:59之后已超出支持的年份，没有再查找变化：此后的变化或解除时间未知（并非没有）"]
    assert answer_notes(client.get(url).text) == [
        "no change was looked for after 9000-12-31T23:59:59+08:00, the end of the supported years: a change or lift "
        "after it is not known (not 'none')"]


def test_a_search_that_runs_out_of_steps_is_noted_in_chinese(client: TestClient,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "MAX_STEPS", 0)  # the search may take no step at all
    zh = answer_notes(client.get("/?account=acct-1001&at=2026-03-16T10:00&action=open&lang=zh-CN").text)
    assert zh == ["查找下一次变化时在北京时间2026年3月16日 10:00处停止（已查找100,000个变化点）：此后的变化或解除时间未知（并非没有）"]
    en = answer_notes(client.get("/?account=acct-1001&at=2026-03-16T10:00&action=open").text)
    assert en == ["the search for what changes next stopped at 2026-03-16T10:00:00+08:00 after 100,000 change points: "
                  "a change or lift after it is not known (not 'none')"]


@pytest.fixture(scope="module")
def new_york(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The shipped bundle moved to a zone with daylight saving time."""
    folder = tmp_path_factory.mktemp("new-york")
    root = folder / "huabei"
    shutil.copytree(HUABEI, root)
    manifest = root / "bundle.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("timezone: Asia/Shanghai",
                                                                     "timezone: America/New_York"), encoding="utf-8")
    bundle = chronolex.load_bundle(root)
    state = ServiceState(FixedClock(), {"huabei": bundle}, {"huabei": root},
                         store_of(bundle, [EVENTS], folder / "events.db"))
    return TestClient(console_app(state))


@pytest.mark.parametrize(("at", "zh", "en"), [
    ("2026-03-08T02:45", "America/New_York没有2026-03-08T02:45这个时间（时钟拨快，跳过了它）；按2026-03-08T03:45:00-04:00理解",
     "2026-03-08T02:45 does not exist in America/New_York (the clocks jump forward over it); read as "
     "2026-03-08T03:45:00-04:00"),
    ("2026-11-01T01:30", "America/New_York的2026-11-01T01:30出现两次（时钟拨回）；取第一次，即2026-11-01T01:30:00-04:00"
                         "（第二次是2026-11-01T01:30:00-05:00：如指第二次，请写上时差）",
     "2026-11-01T01:30 happens twice in America/New_York (the clocks go back); the first was taken, "
     "2026-11-01T01:30:00-04:00 (the second is 2026-11-01T01:30:00-05:00: write its offset to mean it)"),
])
def test_a_wall_time_that_does_not_exist_or_happens_twice_is_noted_in_chinese(new_york: TestClient, at: str, zh: str,
                                                                               en: str) -> None:
    for page in ("/", "/timeline"):
        assert page_notes(new_york.get(f"{page}?account=acct-1001&at={at}&action=open&lang=zh-CN").text) == [zh]
        assert page_notes(new_york.get(f"{page}?account=acct-1001&at={at}&action=open").text) == [en]


@pytest.fixture(scope="module")
def es_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A bundle in America/New_York with texts in en and es (no sentence template for es)
    and one account, verified, with a decision logged at each 01:45 of the night the
    clocks go back."""
    folder = tmp_path_factory.mktemp("es")
    root = FIXTURES / "bundles" / "locale-es"
    bundle = chronolex.load_bundle(root)
    events = folder / "events.jsonl"
    events.write_text('{"account": "es-1", "at": "2026-01-02T09:00:00-05:00", "type": "kyc_verified", '
                      '"method": "id"}\n', encoding="utf-8")
    log = DecisionLog(folder / "log.db", create=True)
    log.append([replace(logged(at, facts={}, given=False, decision="blocked", rules=("MW-SUNDAY",)),
                        account="es-1", bundle="locale-es", version="2026.01", blocked_by=("maintenance",),
                        received_at=at)
                for at in ("2026-11-01T01:45:00-04:00", "2026-11-01T01:45:00-05:00")])
    state = ServiceState(FixedClock(), {"locale-es": bundle}, {"locale-es": root},
                         store_of(bundle, [events], folder / "events.db"), log)
    with TestClient(console_app(state)) as test_client:
        yield test_client


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_a_timeline_in_a_locale_without_a_template_says_its_words_are_english(es_client: TestClient) -> None:
    page = es_client.get("/timeline?account=es-1&from=2026-10-31&to=2026-11-02&action=open&lang=es")
    assert page.status_code == 200
    shown = _text(page.text)
    assert "Abrir la cuenta de préstamo" in shown and "blocked by scheduled maintenance" in shown
    assert "no sentence template for es: the sentence is in en, the bundle's texts in es" in shown
    english = _text(es_client.get("/timeline?account=es-1&from=2026-10-31&to=2026-11-02&action=open").text)
    assert "no sentence template" not in english


def test_the_two_decisions_logged_at_0145_on_the_night_the_clocks_go_back_read_apart(es_client: TestClient) -> None:
    shown = _text(es_client.get("/?account=es-1&at=2026-11-01T01:45-05:00&action=open").text)
    assert "1 November 2026, 01:45 UTC-04:00 (America/New_York)" in shown
    assert "1 November 2026, 01:45 UTC-05:00 (America/New_York)" in shown
    # the window runs from the first 01:30 to 03:30 (PT2H), the clocks at 02:30 by then
    timeline = _text(es_client.get("/timeline?account=es-1&from=2026-10-31&to=2026-11-02&action=open").text)
    assert "1 November 2026, 01:30 UTC-04:00 – 1 November 2026, 02:30" in timeline


def test_a_page_in_a_locale_without_labels_is_marked_english_and_its_texts_spanish(es_client: TestClient) -> None:
    # The labels and the sentence are English; a screen reader told the whole page is
    # Spanish would read them with Spanish sounds, and the reverse for the texts.
    page = es_client.get("/?account=es-1&at=2026-03-01T02:00&action=open&lang=es").text
    assert '<html lang="en">' in page
    assert '<h3 id="action-open" lang="es">Abrir la cuenta de préstamo</h3>' in page
    assert '<dd class="message" lang="es">En mantenimiento.</dd>' in page
    english = es_client.get("/?account=es-1&at=2026-03-01T02:00&action=open").text
    assert '<html lang="en">' in english and 'lang="es">Abrir' not in english
