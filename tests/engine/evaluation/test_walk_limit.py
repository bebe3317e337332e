"""A walk that runs out of steps says where it stopped: no interval, next change or lift
ever claims a span that was not examined (it once reported a false 210-year block)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import chronolex
from chronolex.cli.app import cli
from chronolex.evaluation import changes, decide
from tests.conftest import HUABEI

BUNDLE = chronolex.load_bundle(HUABEI)
EVENTS = HUABEI / "examples" / "events.jsonl"
HISTORY = chronolex.open_source([EVENTS], BUNDLE.timezone, catalog=BUNDLE.events).history("acct-1001")
START = chronolex.parse_instant("2026-01-01", BUNDLE.timezone)
END = chronolex.parse_instant("2027-01-01", BUNDLE.timezone)
FULL = chronolex.timeline(BUNDLE, HISTORY, "open", START, END)   # the reference, with the real limit


@pytest.fixture()
def few_steps(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(changes, "MAX_STEPS", 40)
    monkeypatch.setattr(decide, "MAX_STEPS", 40)
    return 40


def test_a_timeline_that_runs_out_of_steps_raises_with_the_exact_part(few_steps: int) -> None:
    full = FULL
    assert full[-1].end == END and len(full) > few_steps // 2
    with pytest.raises(chronolex.IncompleteTimeline) as caught:
        chronolex.timeline(BUNDLE, HISTORY, "open", START, END)
    stopped = caught.value
    assert START < stopped.stopped_at < END and stopped.end == END
    assert stopped.diagnostics[0].code == "timeline-incomplete"
    assert stopped.intervals[-1].end == stopped.stopped_at
    # every interval given is exactly an interval of the complete timeline (cut at stopped_at)
    for given in stopped.intervals:
        match = next(i for i in full if i.start <= given.start < i.end)
        assert match.start == given.start and min(match.end, stopped.stopped_at) == given.end
        assert match.point.assessment.signature == given.point.assessment.signature


def test_without_the_limit_the_same_range_is_complete() -> None:
    intervals = chronolex.timeline(BUNDLE, HISTORY, "open", START, END)
    assert intervals[0].start == START and intervals[-1].end == END


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["timeline", "acct-1001", "--action", "open", "--from", "2026-01-01",
                                      "--to", "2027-01-01", "--events", str(EVENTS), "--bundle", str(HUABEI),
                                      *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_command_fails_unless_a_partial_answer_is_accepted(few_steps: int) -> None:
    code, out, err = run()
    assert code == 2 and out == ""
    assert "timeline-incomplete: the timeline stopped at 2026-" in err and "--allow-partial" in err
    code, out, err = run("--allow-partial", "--format", "json")
    assert code == 0
    document = json.loads(out)
    stopped_at = document["incomplete"]["open"]
    assert document["timelines"]["open"][-1]["to"] == stopped_at
    assert any("was not examined" in note for note in document["notes"])
    code, out, _ = run("--allow-partial")
    assert code == 0 and "note: open: the timeline stops at" in out


def test_a_decision_whose_search_runs_out_of_steps_says_so(few_steps: int) -> None:
    at = chronolex.parse_instant("2026-03-16T10:00", BUNDLE.timezone)
    empty = chronolex.AccountHistory("x", ())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(changes, "MAX_STEPS", 0)   # the search may take no step at all
        decision = chronolex.decide(BUNDLE, empty, "open", at)
    assert any("stopped at" in note and "not 'none'" in note for note in decision.notes)
