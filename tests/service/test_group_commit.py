"""Group commit: concurrent calls share commits, each call's decisions stay together and
come back to it, and one call's bad entry fails that call only."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

import pytest

from chronolex.log import DecisionRecord, NewDecision
from chronolex.service.group_commit import GroupCommit
from tests.service.support import MemoryLog

ENTRY = NewDecision("2026-03-16T10:00:00+08:00", "2026-03-16T10:00:00+08:00", None, "a", "open", "huabei",
                    "2026.03", {}, True, "allowed", (), ())


class SlowLog(MemoryLog):
    """A log whose commits take a while (so calls pile up) and that refuses account 'bad'."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def append(self, decisions: Sequence[NewDecision]) -> list[DecisionRecord]:
        threading.Event().wait(0.002)
        if any(d.account == "bad" for d in decisions):
            raise ValueError("cannot log account 'bad'")
        self.sizes.append(len(decisions))
        return super().append(decisions)


def test_concurrent_calls_share_commits_and_get_their_own_records() -> None:
    log = SlowLog()
    appender = GroupCommit(log)  # type: ignore[arg-type]
    results: dict[int, list[DecisionRecord]] = {}
    # the calls start together: started one by one on a loaded machine, each could find
    # the previous one's commit done, and commit alone
    together = threading.Barrier(40)

    def call(number: int) -> None:
        entries = [replace(ENTRY, account=f"acct-{number}", action=a) for a in ("open", "borrow")]
        together.wait()
        results[number] = appender.append(entries)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log.count() == 80 and len(log.sizes) < 40  # fewer commits than calls
    for number, records in results.items():
        assert [(r.entry.account, r.entry.action) for r in records] == [(f"acct-{number}", "open"),
                                                                          (f"acct-{number}", "borrow")]
        assert records[1].seq == records[0].seq + 1  # a call's decisions stay together


def test_a_bad_call_fails_alone() -> None:
    log = SlowLog()
    appender = GroupCommit(log)  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def call(account: str) -> None:
        try:
            appender.append([replace(ENTRY, account=account)])
        except ValueError as error:
            errors.append(error)

    threads = [threading.Thread(target=call, args=(a,)) for a in ["ok-1", "bad", "ok-2", "ok-3", "ok-4"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 4 and log.count() == 16
    assert {r.entry.account for r in log.entries} == {"ok-1", "ok-2", "ok-3", "ok-4"}
    with pytest.raises(ValueError):
        appender.append([replace(ENTRY, account="bad")])
