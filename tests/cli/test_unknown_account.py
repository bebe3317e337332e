"""An account id that is not in the events is refused, with the closest known ids, unless
``--allow-unknown-account`` asks for a decision on an empty history; then the answer says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chronolex.bundle.schemas import validator
from chronolex.cli.app import cli
from tests.conftest import HUABEI

EVENTS = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)
WHY = ("why", "acct-10001", "--action", "open", "--at", "2026-03-16T10:00")
TIMELINE = ("timeline", "acct-10001", "--action", "open", "--from", "2026-03-01", "--to", "2026-03-02")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--bundle", BUNDLE])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [WHY, TIMELINE])
def test_a_mistyped_account_is_bad_input_with_a_did_you_mean(command: tuple[str, ...]) -> None:
    code, out, err = run(*command, "--events", EVENTS)
    assert (code, out) == (2, "")
    assert err.startswith(f"chronolex: error: account 'acct-10001' has no events in {EVENTS}; "
                          "did you mean 'acct-1001'")
    assert "--allow-unknown-account" in err and "Traceback" not in err


def test_an_account_far_from_every_known_id_gets_no_guess() -> None:
    code, _, err = run("why", "zzz", "--at", "2026-03-16T10:00", "--events", EVENTS)
    assert code == 2 and "did you mean" not in err and "account 'zzz' has no events" in err


def test_the_store_is_searched_too_and_an_empty_store_refuses(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    assert CliRunner().invoke(cli, ["ingest", "--db", str(db), "--bundle", BUNDLE, EVENTS]).exit_code == 0
    code, _, err = run(*WHY, "--db", str(db))
    assert code == 2 and f"has no events in the store {db}; did you mean 'acct-1001'" in err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(*WHY, "--events", str(empty))
    assert code == 2 and "holds no accounts at all" in err


def test_allowed_unknown_account_is_decided_and_says_so_in_text_and_json() -> None:
    code, out, _ = run(*WHY, "--events", EVENTS, "--allow-unknown-account")
    assert code == 0
    assert ("note: account 'acct-10001' has no events: this answer is decided on the "
            "defaults of an empty history (--allow-unknown-account)") in out.splitlines()
    code, out, _ = run(*WHY, "--events", EVENTS, "--allow-unknown-account", "--format", "json")
    document = json.loads(out)
    validator("decision").validate(document)
    assert document["input"] == {"account_known": False}
    assert any("has no events" in note for note in document["notes"])


def test_allowed_unknown_account_in_a_timeline_is_noted() -> None:
    code, out, _ = run(*TIMELINE, "--events", EVENTS, "--allow-unknown-account")
    assert code == 0 and out.splitlines()[-1].startswith("note: account 'acct-10001' has no events")
    code, out, _ = run(*TIMELINE, "--events", EVENTS, "--allow-unknown-account", "--format", "json")
    document = json.loads(out)
    assert document["input"] == {"account_known": False} and len(document["notes"]) == 1


def test_a_known_account_has_no_input_record() -> None:
    code, out, _ = run("why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--events", EVENTS,
                       "--format", "json")
    assert code == 0 and "input" not in json.loads(out)


def test_the_store_named_by_chronolex_db_is_named_in_the_error(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    assert CliRunner().invoke(cli, ["ingest", "--db", str(db), "--bundle", BUNDLE, EVENTS]).exit_code == 0
    result = CliRunner().invoke(cli, [*WHY, "--bundle", BUNDLE], env={"CHRONOLEX_DB": str(db)})
    assert result.exit_code == 2 and f"has no events in the store {db};" in result.stderr

