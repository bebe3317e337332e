"""`why`, `timeline` and `replay` for a support agent: the plain sentence first, in the
customer's language, details on request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from chronolex.cli.app import cli
from chronolex.bundle.schemas import validator
from tests.conftest import FIXTURES, HUABEI

EVENTS = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--bundle", BUNDLE])
    return result.exit_code, result.stdout, result.stderr


def test_why_opens_with_the_sentence_and_keeps_rule_ids_and_iso_instants_for_details() -> None:
    code, out, _ = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--events", EVENTS)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "acct-1001 · Opening Huabei · 16 March 2026, 10:00 Beijing time"
    assert lines[1] == ("Opening Huabei is blocked by the platform's risk strategy until 27 March 2026, 14:30 Beijing "
                        "time, because 5,000 CNY or more was borrowed in the last 30 days.")
    assert "  What to do: The block lifts once less than 5,000 CNY has been disbursed to you in the last 30 days." in lines
    assert "PLAT-RECENT-BORROWING" not in out and "+08:00" not in out and "borrowed_30d" not in out
    code, details, _ = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--events", EVENTS, "-v")
    assert "PLAT-RECENT-BORROWING" in details and "borrowed_30d = 6300" in details


def test_why_in_chinese() -> None:
    code, out, _ = run("why", "acct-1001", "--action", "open", "--at", "2026-03-08T02:30", "--events", EVENTS,
                       "--lang", "zh-CN")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == ("开通花呗目前受平台风控策略和系统维护限制，将于北京时间2026年3月27日 14:30解除，"
                        "原因是近30天内借款达到5,000元及以上。")
    assert "• 每周例行维护（周日02:00–04:00）（此项将于北京时间2026年3月8日 04:00解除）" in lines
    assert "  解决办法：请于北京时间04:00后再试。" in lines


def test_a_locale_the_bundle_lacks_is_a_one_line_error() -> None:
    code, out, err = run("why", "acct-1001", "--at", "2026-03-16T10:00", "--events", EVENTS, "--lang", "fr")
    assert code == 2 and out == ""
    assert err.strip().endswith("unknown-locale: bundle huabei has no texts in 'fr' (help: its locales are: en, zh-CN)")
    assert "Traceback" not in err


def test_a_regional_tag_is_answered_in_the_bundles_language_with_a_note() -> None:
    code, out, err = run("why", "acct-1001", "--at", "2026-03-16T10:00", "--events", EVENTS, "--action", "open",
                         "--lang", "en-US")
    assert code == 0 and "Opening Huabei is blocked" in out
    assert "note: there are no texts in en-US: they are shown in en" in out


def test_why_json_carries_the_sentence_and_the_end_of_the_whole_block() -> None:
    code, out, _ = run("why", "acct-1002", "--action", "open", "--at", "2026-03-08T01:30", "--events", EVENTS,
                       "--format", "json", "--lang", "zh-CN")
    assert code == 0
    document = json.loads(out)
    validator("decision").validate(document)
    assert document["summary"] == {"zh-CN": "开通花呗目前受系统维护限制，将于北京时间2026年3月8日 05:00解除。"}
    assert document["lifts"]["at"] == "2026-03-08T05:00:00+08:00"
    assert document["next_change"]["at"] == "2026-03-08T02:00:00+08:00"  # a reason starts; the block goes on


def test_timeline_in_plain_words_merges_intervals_that_read_the_same() -> None:
    code, out, _ = run("timeline", "acct-1002", "--action", "open", "--from", "2026-03-08", "--to", "2026-03-09",
                       "--events", EVENTS)
    assert code == 0
    assert out.splitlines() == [
        "acct-1002 · Opening Huabei · times are Beijing time",
        "8 March 2026, 00:00 – 8 March 2026, 01:00  not blocked",
        "8 March 2026, 01:00 – 8 March 2026, 05:00  blocked by scheduled maintenance",
        "8 March 2026, 05:00 – 9 March 2026, 00:00  not blocked",
    ]
    code, details, _ = run("timeline", "acct-1002", "--action", "open", "--from", "2026-03-08", "--to", "2026-03-09",
                           "--events", EVENTS, "--details")
    assert "MW-WEEKLY" in details and len(details.splitlines()) > 4


def test_replay_lang_names_categories_in_words_and_explains_in_that_language(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    code, out, _ = run("replay", "--at", "2026-03-08T01:30", "--action", "open", "--events", EVENTS,
                       "--output", str(output), "--lang", "zh-CN", "--explain", "blocked")
    assert code == 0
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    explained = [line["explanation"] for line in lines if line["decision"] == "blocked"]
    assert explained and all(list(e["summary"]) == ["zh-CN"] for e in explained)
    assert all("explanation" not in line for line in lines if line["decision"] != "blocked")
    assert any(line.startswith("  blocked by maintenance") and line.endswith("%  系统维护") for line in out.splitlines())
    code, _, _ = run("replay", "--at", "2026-03-08T01:30", "--action", "open", "--events", EVENTS,
                     "--output", str(output))
    assert "explanation" not in json.loads(output.read_text(encoding="utf-8").splitlines()[0])


def test_notes_print_instants_in_the_bundles_zone_even_for_events_written_in_utc(tmp_path: Path) -> None:
    # A value a fact cannot use reaches a note only in a bundle without an event catalog
    # (with one, the record is refused when read): strip the shipped bundle's.
    bundle = tmp_path / "huabei"
    shutil.copytree(HUABEI, bundle)
    text = (bundle / "bundle.yaml").read_text(encoding="utf-8")
    (bundle / "bundle.yaml").write_text(text[:text.index("events:\n")] + text[text.index("facts:\n"):],
                                        encoding="utf-8")
    events = tmp_path / "e.jsonl"
    events.write_text('{"account": "x", "at": "2026-03-10T02:00:00Z", "type": "loan_disbursed", "amount": "15k"}\n',
                      encoding="utf-8")
    for extra in ((), ("--details",)):
        result = CliRunner().invoke(cli, ["why", "x", "--action", "open", "--at", "2026-03-16T10:00",
                                           "--events", str(events), "--bundle", str(bundle), *extra])
        out = result.stdout
        [note] = [line for line in out.splitlines() if line.startswith("note: borrowed_30d")]
        assert "2026-03-10T10:00:00+08:00" in note and "Z" not in note.split("field")[0]


def test_rules_that_could_not_be_checked_name_what_is_missing_not_a_block_that_may_not_be_true(tmp_path: Path) -> None:
    events = tmp_path / "e.jsonl"
    events.write_text("".join(json.dumps({"account": "u", "at": "2026-01-10T10:00:00+08:00", **e}) + "\n" for e in (
        {"type": "kyc_verified"}, {"type": "credit_consent_changed", "granted": True},
        {"type": "profile_updated", "birth_date": "1990-01-01"})), encoding="utf-8")
    code, out, _ = run("why", "u", "--action", "open", "--at", "2026-03-16T10:00", "--events", str(events))
    assert code == 0
    assert out.splitlines()[1:5] == [
        "Whether opening Huabei is possible cannot be decided yet: some information about the account is missing.",
        "Could not be checked (information missing):",
        "• No consumer credit for full-time students (missing: declared occupation)",
        "• Credit score floor for opening and limit raises (missing: latest credit score)",
    ]
    assert "does not yet meet the minimum" not in out  # the message of a block that may not apply


def test_an_answer_as_known_at_an_earlier_instant_says_so_in_its_first_line() -> None:
    for lang, said in (("en", "· as known at 10 July 2025, 00:00 Beijing time"),
                       ("zh-CN", "· 按北京时间2025年7月10日 00:00时已知的信息")):
        code, out, _ = run("why", "acct-1006", "--action", "open", "--at", "2025-07-08T10:00",
                           "--as-known-at", "2025-07-10", "--events", EVENTS, "--lang", lang)
        assert code == 0 and out.splitlines()[0].endswith(said)
        assert any("with everything known today the decision is blocked" in line for line in out.splitlines())


def test_a_timeline_over_the_hour_the_clocks_go_back_tells_the_two_0130s_apart(tmp_path: Path) -> None:
    # MW-NIGHTLY-0130 (PT1H) on 2026-11-01 in New York runs from the first 01:30 to the
    # second: written without offsets, the block read as "01:30 – 01:30".
    empty = tmp_path / "none.jsonl"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["timeline", "anyone", "--bundle", str(FIXTURES / "bundles" / "dst-new-york"),
                                      "--events", str(empty), "--allow-unknown-account", "--action", "borrow",
                                      "--from", "2026-10-31T12:00", "--to", "2026-11-01T12:00"])
    assert result.exit_code == 0, result.output
    assert ("1 November 2026, 01:30 UTC-04:00 – 1 November 2026, 01:30 UTC-05:00  blocked by scheduled maintenance"
            in result.stdout.splitlines())
    details = CliRunner().invoke(cli, ["why", "anyone", "--bundle", str(FIXTURES / "bundles" / "dst-new-york"),
                                       "--events", str(empty), "--allow-unknown-account", "--action", "borrow",
                                       "--at", "2026-11-01T01:45", "-v"])
    assert "until 2026-11-01T01:30:00-05:00" in details.stdout.splitlines()[1]


def test_a_timeline_in_a_locale_without_a_template_says_its_words_are_english(tmp_path: Path) -> None:
    empty = tmp_path / "none.jsonl"
    empty.write_text("", encoding="utf-8")
    args = ["timeline", "anyone", "--bundle", str(FIXTURES / "bundles" / "locale-es"), "--events", str(empty),
            "--allow-unknown-account", "--from", "2026-03-07", "--to", "2026-03-09"]
    spanish = CliRunner().invoke(cli, [*args, "--lang", "es"])
    assert spanish.exit_code == 0, spanish.output
    assert "blocked by regulation" in spanish.stdout
    assert "note: no sentence template for es: the sentence is in en, the bundle's texts in es" in spanish.stdout
    assert "no sentence template" not in CliRunner().invoke(cli, args).stdout
