"""What the service tests share: a clock they set, a decision log in memory, schemas."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from chronolex.bundle.schemas import SCHEMA_NAMES, schema
from chronolex.log import DecisionRecord, LogVerification, NewDecision


class FixedClock:
    """A clock the test sets: ``now`` stays where it is put, ``monotonic`` ticks by 1 ms a read."""

    def __init__(self, now: datetime = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)) -> None:
        self.instant = now
        self.ticks = 0.0

    def now(self) -> datetime:
        return self.instant

    def monotonic(self) -> float:
        self.ticks += 0.001
        return self.ticks


class MemoryLog:
    """A stand-in for :class:`chronolex.DecisionLog` with the same chain, in memory."""

    def __init__(self) -> None:
        self.entries: list[DecisionRecord] = []
        self.calls = 0
        self._lock = threading.Lock()

    def append(self, decisions: Sequence[NewDecision]) -> list[DecisionRecord]:
        with self._lock:
            self.calls += 1
            made = []
            for entry in decisions:
                prev = self.entries[-1].hash if self.entries else "0" * 64
                seq = len(self.entries) + 1
                body = json.dumps({"seq": seq, "prev": prev, **asdict(entry)}, sort_keys=True, default=list)
                digest = hashlib.sha256(body.encode()).hexdigest()
                record = DecisionRecord(f"d-{digest[:16]}", seq, entry, prev, digest)
                self.entries.append(record)
                made.append(record)
            return made

    def records(self, **_: Any) -> Iterator[DecisionRecord]:
        return iter(list(self.entries))

    def count(self) -> int:
        return len(self.entries)

    def size_bytes(self) -> int:
        return 100 * len(self.entries)

    def verify(self) -> LogVerification:
        return LogVerification(True, len(self.entries))

    def close(self) -> None:
        pass


_REGISTRY = Registry().with_resources(
    (schema(name)["$id"], Resource.from_contents(schema(name))) for name in SCHEMA_NAMES)


def validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for a schema file, or for one of its ``$defs``, with every schema reachable."""
    document = schema(name)
    target = {"$ref": f"{document['$id']}#/$defs/{definition}"} if definition else {"$ref": document["$id"]}
    return Draft202012Validator(target, registry=_REGISTRY)


def valid(document: Any, name: str, definition: str | None = None) -> Any:
    errors = sorted(validator(name, definition).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    return document
