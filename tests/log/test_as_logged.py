"""The service's log read as recorded decisions (what ``diff --decision-log`` and ``log
replay`` replay): every field the replay needs comes back, instants in UTC."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import chronolex
from tests.helpers.decisions import entry


def test_a_sqlite_log_reads_as_logged_decisions_in_log_order(tmp_path: Path) -> None:
    path = tmp_path / "decisions.db"
    with chronolex.DecisionLog(path, create=True) as log:
        first, second = log.append([entry(0), replace(entry(1, decision="allowed"),
                                                      known_at="2026-03-16T01:00:00Z", facts_given=True)])
    assert chronolex.is_decision_log_file(path) and not chronolex.is_decision_log_file(tmp_path / "missing")
    one, two = chronolex.read_decision_log(path, ZoneInfo("Asia/Shanghai"))
    assert (one.account, one.action, one.decision, one.version) == ("acct-1001", "open", "blocked", "2026.03")
    assert one.at == datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc) and one.at.tzinfo is timezone.utc
    assert (one.blocked_by, one.rules, one.known_at) == (("platform",), ("PLAT-SCORE-FLOOR",), None)
    assert (one.seq, one.decision_id, one.bundle, one.facts_given) == (1, first.decision_id, "huabei", False)
    assert one.received_at == datetime(2026, 3, 16, 2, 0, 0, 4000, tzinfo=timezone.utc)
    assert one.facts == first.entry.facts and one.origin is None
    assert (two.seq, two.blocked_by, two.rules, two.facts_given) == (2, (), (), True)
    assert two.known_at == datetime(2026, 3, 16, 1, 0, tzinfo=timezone.utc)
    assert second.intact() and not replace(second, seq=3).intact()
