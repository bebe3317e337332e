"""Bad event records through the command line: exit 2 listing every one, or with
``--skip-bad-events`` an answer that says loudly how many records it left out."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from chronolex.bundle.schemas import validator
from chronolex.cli.app import cli
from tests.conftest import HUABEI

EVENTS = HUABEI / "examples" / "events.jsonl"
BUNDLE = str(HUABEI)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def misspelt(tmp_path: Path) -> Path:
    """The example events with every login_failed misspelt and one amount written with a unit."""
    lines = []
    for line in EVENTS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] == "login_failed":
            record["type"] = "login_fialed"
        if record["type"] == "loan_disbursed" and record.get("amount") == 3000:
            record["amount"] = "15k"
        lines.append(json.dumps(record))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_misspelt_event_type_is_bad_input_not_an_allow(tmp_path: Path) -> None:
    code, out, err = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00",
                         "--events", str(misspelt(tmp_path)), "--bundle", BUNDLE)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("chronolex: error: ") and "bad-field-value: field 'amount'" in lines[0]
    assert "(and 5 more)" in lines[0]
    # every bad record is listed, each with its line
    assert len(lines) == 6 and all(line.startswith("  ") for line in lines[1:])
    assert all("unknown-event-type: event type 'login_fialed'" in line for line in lines[1:])
    assert "Traceback" not in err


def test_skipping_answers_and_says_how_many_records_it_left_out(tmp_path: Path) -> None:
    code, out, err = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00",
                         "--events", str(misspelt(tmp_path)), "--bundle", BUNDLE, "--skip-bad-events",
                         "--format", "json")
    assert code == 0
    assert err.startswith("warning: 6 bad event records skipped (--skip-bad-events)")
    assert err.count("events.jsonl:") == 6
    document = json.loads(out)
    assert document["input"] == {"skipped": 6}
    validator("decision").validate(document)


def test_a_clean_read_has_no_input_annotation() -> None:
    code, out, err = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00",
                         "--events", str(EVENTS), "--bundle", BUNDLE, "--skip-bad-events", "--format", "json")
    assert code == 0 and err == ""
    assert "input" not in json.loads(out)


def test_replay_and_timeline_carry_the_count_too(tmp_path: Path) -> None:
    events = str(misspelt(tmp_path))
    code, out, err = run("replay", "--at", "2026-03-16T10:00", "--action", "open", "--events", events,
                         "--bundle", BUNDLE, "--skip-bad-events", "-o", "-")
    assert code == 0 and "6 bad event records skipped" in err
    assert all(json.loads(line)["input"] == {"skipped": 6} for line in out.splitlines())
    code, out, _ = run("timeline", "acct-1001", "--action", "open", "--from", "2026-03-01", "--to", "2026-03-02",
                       "--events", events, "--bundle", BUNDLE, "--skip-bad-events", "--format", "json")
    assert code == 0 and json.loads(out)["input"] == {"skipped": 6}


def test_events_of_another_bundle_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "broker.jsonl"
    path.write_text('{"account": "acct-1001", "at": "2026-03-01", "type": "margin_call", "amount": 10}\n',
                    encoding="utf-8")
    code, _, err = run("why", "acct-1001", "--at", "2026-03-16", "--events", str(path), "--bundle", BUNDLE)
    assert code == 2 and "unknown-event-type: event type 'margin_call' is not declared by the bundle" in err


def test_a_store_whose_events_do_not_fit_the_catalog_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    events = misspelt(tmp_path)
    code, _, _ = run("ingest", str(events), "--db", str(db), "--timezone", "Asia/Shanghai")
    assert code == 0   # with --timezone alone there is no catalog to check against
    code, _, err = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--db", str(db),
                       "--bundle", BUNDLE)
    assert code == 2 and "account 'acct-1001'" in err and "'15k' is not a decimal" in err


def test_ingest_checks_the_records_against_the_bundle_it_takes_the_timezone_from(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code, _, err = run("ingest", str(misspelt(tmp_path)), "--db", str(db), "--bundle", BUNDLE)
    assert code == 2 and "login_fialed" in err and not db.exists()


def test_the_text_answer_itself_says_that_records_were_skipped(tmp_path: Path) -> None:
    code, out, _ = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00",
                       "--events", str(misspelt(tmp_path)), "--bundle", BUNDLE, "--skip-bad-events")
    assert code == 0
    assert "note: 6 bad event records were skipped (--skip-bad-events): this answer leaves them out" in out
