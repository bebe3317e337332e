"""The decision log's file: SQLite in WAL mode with ``synchronous=FULL``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from chronolex.log.record import DecisionRecord, NewDecision


@dataclass(frozen=True)
class LogVerification:
    """What :meth:`DecisionLog.verify` found: ``ok`` when the chain is whole."""

    ok: bool
    records: int
    #: The first broken place: (seq, what is wrong), None when ok.
    first_break: tuple[int, str] | None = None


class DecisionLog:
    """An append-only log of decisions in one SQLite file.

    Safe to share between threads of one process (appends are serialised); one writer
    process at a time. :meth:`append` commits (and, by ``synchronous=FULL``, reaches the
    disk) before it returns, so a decision whose response was sent is in the log.
    """

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        raise NotImplementedError

    def append(self, decisions: Sequence[NewDecision]) -> list[DecisionRecord]:
        """Log ``decisions`` in one transaction, in order; return them as records."""
        raise NotImplementedError

    def records(self, *, account: str | None = None, start: str | None = None, end: str | None = None,
                since_seq: int | None = None) -> Iterator[DecisionRecord]:
        """Records in log order; ``start``/``end`` bound ``at`` as a half-open interval."""
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def size_bytes(self) -> int:
        raise NotImplementedError

    def verify(self) -> LogVerification:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
