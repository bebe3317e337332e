"""Appends of concurrent calls committed together: one durable commit for many calls.

Each call's decisions must be in the log, in one transaction, before its answer is sent.
A commit that reaches the disk (``synchronous=FULL``) costs milliseconds whatever it
holds, so calls that arrive while one commit is under way wait for it, and the next
commit takes all of their decisions at once (group commit, as databases do with their
write-ahead logs). A call's decisions stay together and in order in the log; each call
gets back its own records. If a shared append fails, each call of the group is appended
again on its own, so one call's bad entry fails that call only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from chronolex.log.record import DecisionRecord, NewDecision
from chronolex.log.store import DecisionLog


@dataclass
class _Call:
    entries: Sequence[NewDecision]
    records: list[DecisionRecord] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """Appends to ``log`` on behalf of many threads, each call's decisions together."""

    def __init__(self, log: DecisionLog) -> None:
        self.log = log
        self._changed = threading.Condition()
        self._waiting: list[_Call] = []
        self._writing = False

    def append(self, entries: Sequence[NewDecision]) -> list[DecisionRecord]:
        """Log ``entries`` in one transaction (shared, perhaps, with concurrent calls) and
        return their records, once the transaction is committed."""
        call = _Call(entries)
        with self._changed:
            self._waiting.append(call)
            while not call.done and self._writing:
                self._changed.wait()
            if call.done:
                return self._result(call)
            group, self._waiting, self._writing = self._waiting, [], True
        try:
            self._write(group)
        finally:
            with self._changed:
                for member in group:
                    member.done = True
                self._writing = False
                self._changed.notify_all()
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
