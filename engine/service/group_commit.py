"""Appends of concurrent calls committed together: one durable commit for many calls.

Each call's decisions must be in the log, in one transaction, before its answer is sent.
A commit that reaches the disk (``synchronous=FULL``) costs milliseconds whatever it
holds, so calls that arrive while one commit is under way wait for it, and the next
commit takes all of their decisions at once (group commit, as databases do with their
write-ahead logs). A call's decisions stay together and in order in the log; each call
gets back its own records. If a shared append fails, each call of the group is appended
again on its own, so one call's bad entry fails that call only. A commit that starts
while other calls are still deciding waits for them, at most :data:`GATHER` (decision 93).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from chronolex.log.record import DecisionRecord, NewDecision
from chronolex.log.store import DecisionLog


class _Call:
    """One call's decisions, what became of them, and the lock its thread sleeps on.

    ``wake`` is created taken: the call's thread blocks on it until the writer of its
    group gives it back (``done``), or until the writer before hands it the next commit.
    """

    __slots__ = ("entries", "records", "error", "done", "wake")

    def __init__(self, entries: Sequence[NewDecision]) -> None:
        self.entries = entries
        self.records: list[DecisionRecord] = []
        self.error: BaseException | None = None
        self.done = False
        self.wake = threading.Lock()
        self.wake.acquire()


#: How long a commit waits, at most, for calls still deciding to join it (seconds).
GATHER = 0.001


class GroupCommit:
    """Appends to ``log`` on behalf of many threads, each call's decisions together.

    Every waiting thread sleeps on a lock of its own and is woken once, by the thread that
    wrote its group, or to write the next group itself. Waking every waiting thread at each
    change, for each to look and sleep again, spent the processor time that deciding needs
    (decision 94).
    """

    def __init__(self, log: DecisionLog, *, gather: float = GATHER) -> None:
        self.log = log
        self.gather = gather
        self._mutex = threading.Lock()
        #: Only the writer gathering calls on their way waits on it.
        self._arrived = threading.Condition(self._mutex)
        self._waiting: list[_Call] = []
        self._writing = False
        self._gathering = False
        self._coming = 0

    @contextmanager
    def coming(self) -> Iterator[None]:
        """Around a call that is deciding and will append: a commit that starts meanwhile
        waits (at most :attr:`gather` seconds) for it to join.

        Deciding holds the interpreter's lock, so concurrent single requests reach the log
        one after another, each a moment after the last commit started, and each paid for a
        durable commit of its own. Waiting a millisecond for the calls known to be on their
        way, as PostgreSQL's ``commit_delay`` does when other transactions are active,
        shares one commit among them; a call alone never waits.
        """
        with self._mutex:
            self._coming += 1
        try:
            yield
        finally:
            with self._mutex:
                self._coming -= 1
                if self._gathering:
                    self._arrived.notify()

    def append(self, entries: Sequence[NewDecision]) -> list[DecisionRecord]:
        """Log ``entries`` in one transaction (shared, perhaps, with concurrent calls) and
        return their records, once the transaction is committed."""
        call = _Call(entries)
        with self._mutex:
            self._waiting.append(call)
            writes = not self._writing
            self._writing = True
            if self._gathering:
                self._arrived.notify()
        if not writes:
            call.wake.acquire()  # until its group is written, or it is its turn to write
            if call.done:
                return self._result(call)
        with self._mutex:
            # calls still deciding will append in a moment: let them join this commit
            if self._coming > len(self._waiting) and self.gather > 0:
                self._gathering = True
                self._arrived.wait_for(lambda: self._coming <= len(self._waiting), self.gather)
                self._gathering = False
            group, self._waiting = self._waiting, []
        try:
            self._write(group)
        finally:
            with self._mutex:
                following = self._waiting[0] if self._waiting else None
                self._writing = following is not None  # handed on, not let go
            for member in group:
                member.done = True
                if member is not call:
                    member.wake.release()
            if following is not None:
                following.wake.release()  # not done: it writes the next group
        return self._result(call)

    def _write(self, group: list[_Call]) -> None:
        try:
            records = self.log.append([entry for member in group for entry in member.entries])
        except BaseException:
            if len(group) == 1:
                raise
            for member in group:  # one call's bad entry must not fail the others
                try:
                    member.records = self.log.append(member.entries)
                except BaseException as error:  # noqa: BLE001 - handed to the call it belongs to
                    member.error = error
            return
        start = 0
        for member in group:
            member.records = records[start:start + len(member.entries)]
            start += len(member.entries)

    @staticmethod
    def _result(call: _Call) -> list[DecisionRecord]:
        if call.error is not None:
            raise call.error
        return call.records
