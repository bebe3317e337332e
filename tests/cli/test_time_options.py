"""Time options (--at, --as-known-at, --from, --to) as a user types them: an unreadable one
is a one-line error naming what was given and the accepted forms; a wall time in a DST gap
or fold is answered for, with a note saying which instant it became."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI
from tests.helpers.bundles import write

EVENTS = str(HUABEI / "examples" / "events.jsonl")

NEW_YORK = """\
bundle: ny
timezone: America/New_York
actions: [trade]
facts:
  frozen: {type: bool, derive: {exists: frozen}}
"""
VERSION = """\
version: "1"
effective_from: 2026-01-01
published_at: 2025-12-01
rules:
  - {id: FROZEN, category: platform, actions: [trade], when: frozen}
"""
GAP_NOTE = ("--at 2026-03-08T02:45 does not exist in America/New_York (the clocks jump forward over it); "
            "read as 2026-03-08T03:45:00-04:00")


@pytest.fixture
def ny(tmp_path: Path) -> tuple[str, str]:
    write(tmp_path / "ny" / "bundle.yaml", NEW_YORK)
    write(tmp_path / "ny" / "versions" / "1.yaml", VERSION)
    events = tmp_path / "events.jsonl"
    events.write_text('{"account": "a-1", "at": "2026-02-01T09:00:00-05:00", "type": "frozen"}\n', encoding="utf-8")
    return str(tmp_path / "ny"), str(events)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("text", ["yesterday", "03/06/2026"])
@pytest.mark.parametrize("command", [
    ("why", "acct-1001", "--events", EVENTS, "--at"),
    ("why", "acct-1001", "--events", EVENTS, "--at", "2026-03-16", "--as-known-at"),
    ("timeline", "acct-1001", "--events", EVENTS, "--to", "2026-03-20", "--from"),
    ("replay", "--events", EVENTS, "--at"),
])
def test_an_unreadable_time_names_the_option_the_text_and_the_accepted_forms(command: tuple[str, ...],
                                                                            text: str) -> None:
    code, out, err = run(*command, text, "--bundle", str(HUABEI))
    assert code == 2 and out == ""
    option = command[-1]
    assert err == (f"chronolex: error: {option}: {text!r} is not a valid date or date-time (write YYYY-MM-DD or "
                   "YYYY-MM-DDTHH:MM[:SS], read in the bundle timezone, or add an offset: YYYY-MM-DDTHH:MM+08:00 "
                   "or ...Z)\n")


def test_why_notes_a_time_moved_out_of_a_dst_gap_in_text_and_json(ny: tuple[str, str]) -> None:
    bundle, events = ny
    code, out, _ = run("why", "a-1", "--at", "2026-03-08T02:45", "--events", events, "--bundle", bundle)
    assert code == 0
    assert out.splitlines()[0] == "a-1 · The action “trade” · 8 March 2026, 03:45 (America/New_York)"
    assert f"note: {GAP_NOTE}" in out.splitlines()
    code, out, _ = run("why", "a-1", "--at", "2026-03-08T02:45", "--events", events, "--bundle", bundle, "--details")
    assert out.splitlines()[0] == "a-1 · trade · 2026-03-08T03:45:00-04:00"
    assert f"note: {GAP_NOTE}" in out.splitlines()
    code, out, _ = run("why", "a-1", "--at", "2026-03-08T02:45", "--events", events, "--bundle", bundle,
                       "--format", "json")
    assert json.loads(out)[0]["notes"] == [GAP_NOTE]


def test_why_notes_which_of_two_ambiguous_times_was_taken(ny: tuple[str, str]) -> None:
    bundle, events = ny
    code, out, _ = run("why", "a-1", "--at", "2026-11-01T01:30", "--as-known-at", "2026-11-01T01:30",
                       "--events", events, "--bundle", bundle, "--format", "json")
    notes = json.loads(out)[0]["notes"]
    assert code == 0 and [n.split(" ")[0] for n in notes[:2]] == ["--at", "--as-known-at"]
    assert all("happens twice in America/New_York" in n and "the first was taken" in n for n in notes[:2])


def test_timeline_notes_its_bounds(ny: tuple[str, str]) -> None:
    bundle, events = ny
    args = ("timeline", "a-1", "--from", "2026-03-08T02:45", "--to", "2026-11-01T01:30", "--events", events,
            "--bundle", bundle)
    code, out, _ = run(*args)
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    assert code == 0 and [n.split(" ")[1] for n in notes] == ["--from", "--to"]
    code, out, _ = run(*args, "--format", "json")
    assert [n.split(" ")[0] for n in json.loads(out)["notes"]] == ["--from", "--to"]


def test_evaluate_and_replay_note_a_gap(ny: tuple[str, str], tmp_path: Path) -> None:
    bundle, events = ny
    facts = tmp_path / "facts.yaml"
    facts.write_text("frozen: false\n", encoding="utf-8")
    code, out, _ = run("evaluate", "--facts", str(facts), "--action", "trade", "--at", "2026-03-08T02:45",
                       "--bundle", bundle)
    assert code == 0 and f"note: {GAP_NOTE}" in out.splitlines()
    code, out, err = run("replay", "--at", "2026-03-08T02:45", "--events", events, "--bundle", bundle)
    assert code == 0 and f"note: {GAP_NOTE}" in err.splitlines()


def test_diff_accounts_notes_a_gap_once_on_stderr(ny: tuple[str, str]) -> None:
    bundle, events = ny
    write(Path(bundle) / "versions" / "2.yaml", VERSION.replace('"1"', '"2"').replace("2026-01-01", "2026-02-01"))
    code, out, err = run("diff", f"{bundle}@1", f"{bundle}@2", "--no-semantic", "--accounts", "--at",
                         "2026-03-08T02:45", "--events", events)
    assert code == 0 and out
    # the bundle has no event catalog, so the diff also says it decided account by account
    assert [line for line in err.splitlines() if "decided account by account" not in line] == [f"note: {GAP_NOTE}"]
    assert any(line.startswith("note: diff --accounts decided account by account") for line in err.splitlines())
