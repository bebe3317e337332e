"""Which policy version is in force when, as known when (docs/reference/time.md).

Among versions published by the knowledge instant K, the one in force at T is the one
with the greatest ``effective_from <= T``; ties go to the later ``published_at``. With
no such version the answer is "no policy", never a silent allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chronolex.model import Bundle, Version


@dataclass(frozen=True, slots=True)
class VersionSpan:
    """A version and the half-open span ``[start, end)`` in which it is in force (end None: open)."""

    version: Version
    start: datetime
    end: datetime | None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


def _known(versions: Iterable[Version], known_at: datetime | None) -> list[Version]:
    return [v for v in versions if known_at is None or v.published_at <= known_at]


def _rank(version: Version) -> tuple[datetime, datetime, str]:
    return (version.effective_from, version.published_at, version.id)


def select_version(versions: Iterable[Version], at: datetime, known_at: datetime | None = None) -> Version | None:
    """The version in force at ``at`` as known at ``known_at`` (None: everything known)."""
    candidates = [v for v in _known(versions, known_at) if v.effective_from <= at]
    return max(candidates, key=_rank) if candidates else None


def in_force_spans(versions: Iterable[Version], known_at: datetime | None = None) -> tuple[VersionSpan, ...]:
    """Every version that is in force at some instant, with its span, in time order."""
    winners: dict[datetime, Version] = {}
    for version in _known(versions, known_at):
        current = winners.get(version.effective_from)
        if current is None or _rank(version) > _rank(current):
            winners[version.effective_from] = version
    ordered = [winners[k] for k in sorted(winners)]
    return tuple(
        VersionSpan(v, v.effective_from, ordered[i + 1].effective_from if i + 1 < len(ordered) else None)
        for i, v in enumerate(ordered)
    )


def superseding(versions: Iterable[Version], version: Version) -> Version | None:
    """The version that keeps ``version`` from ever being in force (same start, published later), if any."""
    rivals = [v for v in versions if v.effective_from == version.effective_from and _rank(v) > _rank(version)]
    return max(rivals, key=_rank) if rivals else None


def version_table(bundle: Bundle) -> list[dict[str, Any]]:
    """One row a version, as ``chronolex versions`` prints it (and its JSON): when it is in
    force, when it was published, and notes (retroactive, superseded before it took
    effect, never in force, what it extends). Instants carry the bundle's offset."""
    spans = {s.version.id: s for s in in_force_spans(bundle.versions)}
    zone = bundle.timezone
    rows = []
    for v in bundle.versions:
        span = spans.get(v.id)
        notes = []
        if v.retroactive:
            notes.append("retroactive")
        if span is None:
            rival = superseding(bundle.versions, v)
            if rival is not None and v.effective_from < rival.published_at:
                notes.append(f"superseded by {rival.id} from {rival.published_at.astimezone(zone).isoformat()}")
            else:
                notes.append("never in force")
        if v.extends:
            notes.append(f"extends {v.extends}")
        rows.append({
            "version": v.id,
            "effective_from": v.effective_from.astimezone(zone).isoformat(),
            "in_force_from": span.start.astimezone(zone).isoformat() if span else None,
            "in_force_until": span.end.astimezone(zone).isoformat() if span and span.end else None,
            "published_at": v.published_at.astimezone(zone).isoformat(),
            "retroactive": v.retroactive,
            "rules": len(v.rules),
            "summary": v.summary,
            "notes": notes,
        })
    return rows


def versions_document(bundle: Bundle) -> dict[str, Any]:
    """What ``chronolex versions --format json`` prints and the service's
    ``/v1/bundles/{bundle}/versions`` returns: the bundle, its zone and :func:`version_table`."""
    return {"bundle": bundle.name, "timezone": bundle.timezone.key, "versions": version_table(bundle)}
