"""Numbers too large to hold: a fact given to ``evaluate`` or an event field beyond a double's
range (the bound every number of the event schema has) is bad input naming the fact or the
field and its position, exit 2, never Python's digit-limit traceback nor minutes of work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI
from tests.hardening.support import bounded

HUGE = "9" * 5000


@pytest.mark.parametrize(("fact", "value"), [
    ("credit_score", HUGE),          # an int fact, written as text
    ("borrowed_30d", HUGE),          # a decimal fact, written as text
    ("borrowed_30d", "1e999999999"),
    ("borrowed_30d", "-1E+400"),
    ("borrowed_30d", "NaN"),
    ("borrowed_30d", "Infinity"),
])
def test_evaluate_refuses_a_number_too_large_naming_the_fact(tmp_path: Path, fact: str, value: str) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({fact: value}), encoding="utf-8")
    with bounded("evaluate with a huge number"):
        result = CliRunner().invoke(cli, ["evaluate", "--facts", str(facts), "--at", "2026-03-01", "--action", "open",
                                          "--bundle", str(HUABEI)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"chronolex: error: {facts}:1:2: bad-fact-value: fact {fact!r}: ")
    assert len(result.stderr.splitlines()) == 1 and len(result.stderr) < 400


def test_evaluate_refuses_a_5000_digit_integer_written_as_a_number(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text('{"borrowed_30d": ' + HUGE + "}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", "--facts", str(facts), "--at", "2026-03-01", "--action", "open",
                                      "--bundle", str(HUABEI)])
    assert result.exit_code == 2
    assert result.stderr == f"chronolex: error: {facts}:1:18: yaml-limit: integer with 5000 digits (limit 100)\n"


def test_evaluate_takes_a_number_as_large_as_a_double(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text('{"borrowed_30d": "1.7976931348623157e308", "credit_score": 700}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", "--facts", str(facts), "--at", "2026-03-01", "--action", "borrow",
                                      "--bundle", str(HUABEI), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["decision"] == "blocked"


@pytest.mark.parametrize("value", [HUGE, f'"{HUGE}"', '"1e999999999"', '"NaN"'])
@pytest.mark.parametrize("field", [("loan_disbursed", "amount"), ("credit_score_updated", "score")])
def test_an_event_field_too_large_is_a_bad_record(tmp_path: Path, value: str, field: tuple[str, str]) -> None:
    kind, name = field
    events = tmp_path / "events.jsonl"
    events.write_text(f'{{"account": "acct-1002", "at": "2026-01-01", "type": "{kind}", "{name}": {value}}}\n',
                      encoding="utf-8")
    with bounded("why with a huge event field"):
        result = CliRunner().invoke(cli, ["why", "acct-1002", "--at", "2026-01-02", "--events", str(events),
                                          "--bundle", str(HUABEI)])
    assert result.exit_code == 2, result.output
    assert re.match(rf"chronolex: error: {re.escape(str(events))}:1:\d+: [a-z-]+: ", result.stderr)
    assert len(result.stderr.splitlines()) == 1
