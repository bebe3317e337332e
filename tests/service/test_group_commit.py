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


class GatedLog(SlowLog):
    """A log whose first commit waits for a gate, so that calls can be lined up behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    def append(self, decisions: Sequence[NewDecision]) -> list[DecisionRecord]:
        if not self.sizes:
            self.entered.set()
            self.gate.wait(60)
        return super().append(decisions)


def _lined_up(appender: GroupCommit, calls: int) -> bool:
    """Whether ``calls`` calls wait behind the commit under way (read from the appender's
    list, since a waiting thread shows no other sign)."""
    for _ in range(6000):
        with appender._mutex:
            if len(appender._waiting) >= calls:
                return True
        threading.Event().wait(0.01)
    return False


def test_calls_lined_up_behind_a_commit_are_written_next_together_in_their_order() -> None:
    log = GatedLog()
    appender = GroupCommit(log)  # type: ignore[arg-type]
    records: dict[str, list[DecisionRecord]] = {}

    def call(name: str) -> None:
        records[name] = appender.append([replace(ENTRY, account=name, action=a) for a in ("open", "borrow")])

    threads = [threading.Thread(target=call, args=("first",), daemon=True)]
    threads[0].start()
    assert log.entered.wait(60) and not log.sizes  # the first commit is under way
    for number in range(5):
        threads.append(threading.Thread(target=call, args=(f"next-{number}",), daemon=True))
        threads[-1].start()
        assert _lined_up(appender, number + 1)
    log.gate.set()
    for thread in threads:
        thread.join(30)
    assert log.sizes == [2, 10]  # the five waiting calls share the second commit
    assert [r.entry.account for r in log.entries] == ["first"] * 2 + [
        f"next-{n}" for n in range(5) for _ in (1, 2)]
    assert all([r.entry.account for r in records[name]] == [name, name] for name in records)


def test_many_calls_from_many_threads_all_come_back_with_their_own_records() -> None:
    log = SlowLog()
    appender = GroupCommit(log)  # type: ignore[arg-type]
    failures: list[str] = []

    def caller(number: int) -> None:
        for turn in range(25):
            name = f"acct-{number}-{turn}"
            size = 1 + (number + turn) % 3
            with appender.coming():
                got = appender.append([replace(ENTRY, account=name) for _ in range(size)])
            if [r.entry.account for r in got] != [name] * size or \
                    [r.seq for r in got] != list(range(got[0].seq, got[0].seq + size)):
                failures.append(name)

    threads = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)  # no call left asleep
    assert failures == []
    calls = [(n, t) for n in range(16) for t in range(25)]
    assert log.count() == sum(1 + (n + t) % 3 for n, t in calls)
    assert len(log.sizes) < len(calls)


# -- calls on their way: a commit waits (briefly) for calls that are deciding to join it ----------


def test_a_call_on_its_way_joins_the_commit_that_waits_for_it() -> None:
    log = SlowLog()
    appender = GroupCommit(log, gather=60)  # type: ignore[arg-type]  # waits as long as it takes
    decided = threading.Event()
    records: dict[str, list[DecisionRecord]] = {}

    def call(name: str, deciding: threading.Event | None) -> None:
        with appender.coming():
            if deciding is not None:
                deciding.wait(60)  # still deciding
            records[name] = appender.append([replace(ENTRY, account=name)])

    second = threading.Thread(target=call, args=("second", decided))
    second.start()
    first = threading.Thread(target=call, args=("first", None))
    first.start()
    first.join(0.2)
    assert first.is_alive() and log.sizes == []  # its commit waits for the call on its way
    decided.set()
    first.join(60)
    second.join(60)
    assert log.sizes == [2]  # one commit for both
    assert [r.entry.account for r in records["first"]] == ["first"]
    assert [r.entry.account for r in records["second"]] == ["second"]


def test_a_call_alone_never_waits_and_one_that_fails_to_decide_releases_the_commit() -> None:
    log = SlowLog()
    appender = GroupCommit(log, gather=60)  # type: ignore[arg-type]
    with appender.coming():
        appender.append([ENTRY])  # no other call is on its way: committed at once
    assert log.sizes == [1]

    failing = threading.Event()
    done = threading.Event()

    def fails_while_deciding() -> None:
        with pytest.raises(RuntimeError), appender.coming():
            failing.wait(60)
            raise RuntimeError("the request was bad")

    loser = threading.Thread(target=fails_while_deciding)
    loser.start()

    def appends() -> None:
        with appender.coming():
            appender.append([ENTRY])
        done.set()

    writer = threading.Thread(target=appends)
    writer.start()
    assert not done.wait(0.2)  # waiting for the call on its way
    failing.set()  # which fails instead of appending
    assert done.wait(60) and log.sizes == [1, 1]
    loser.join(60)
    writer.join(60)


def test_a_commit_waits_for_calls_on_their_way_no_longer_than_its_gather_time() -> None:
    log = SlowLog()
    appender = GroupCommit(log, gather=0.01)  # type: ignore[arg-type]
    slow, on_its_way = threading.Event(), threading.Event()

    def in_no_hurry() -> None:
        with appender.coming():
            on_its_way.set()
            slow.wait(60)

    waiter = threading.Thread(target=in_no_hurry)
    waiter.start()
    assert on_its_way.wait(60)
    with appender.coming():
        appender.append([ENTRY])  # committed alone once the 10 ms are up
    assert log.sizes == [1]
    slow.set()
    waiter.join(60)
