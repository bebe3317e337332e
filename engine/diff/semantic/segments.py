"""Time cut where either side can change by time alone; segments that look alike solved once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta


from chronolex.time.activity import occurrence_at, schedule_boundaries
from chronolex.model import Bundle, Schedule, Version
from chronolex.diff.sides import Side
from chronolex.time.versions import in_force_spans
from chronolex.diff.semantic.encode import FIRST_INSTANT, LAST_INSTANT, schedule_key


#: How far past a segment's start schedules are unrolled to find the states they take.
SCHEDULE_HORIZON = timedelta(days=800)
MAX_PIECES = 400


# -- time ------------------------------------------------------------------------------------


@dataclass
class _Segment:
    start: datetime
    end: datetime | None
    versions: tuple[Version | None, Version | None]
    timed: tuple[frozenset[str], frozenset[str]]  # ids of rules whose active/window hold


@dataclass
class Class:
    """Segments alike in versions and in which rules time lets act: solved once."""

    segments: list[_Segment] = field(default_factory=list)
    pieces: list[tuple[datetime, datetime, tuple[tuple[tuple[object, ...], bool], ...]]] = field(default_factory=list)


def versions_of(side: Side) -> tuple[Version, ...]:
    return (side.version,) if side.version is not None else side.bundle.versions


def _cuts(sides: Sequence[Side]) -> list[datetime]:
    cuts: set[datetime] = set()
    for side in sides:
        if side.version is None:
            cuts.update(span.start for span in in_force_spans(side.bundle.versions))
        for version in versions_of(side):
            for rule in version.rules:
                for interval in (rule.active, rule.window):
                    if interval is not None:
                        cuts.update(b for b in (interval.start, interval.end) if b is not None)
                if rule.schedule is not None:
                    cuts.add(rule.schedule.start)
    return sorted(c for c in cuts if FIRST_INSTANT < c < LAST_INSTANT)


def _timed(version: Version | None, at: datetime) -> frozenset[str]:
    if version is None:
        return frozenset()
    return frozenset(
        r.id for r in version.rules
        if (r.active is None or r.active.contains(at)) and (r.window is None or r.window.contains(at))
    )


def _segments(old: Side, new: Side) -> list[_Segment]:
    cuts = _cuts((old, new))
    if old.version is not None and new.version is not None:
        # from when both could be in force: before its effective_from a version's schedules
        # have not started, which would show differences no reader could meet
        start = max(old.version.effective_from, new.version.effective_from)
    else:
        start = cuts[0] - timedelta(days=1) if cuts else FIRST_INSTANT
    bounds = [start] + [c for c in cuts if c > start]
    segments = []
    for i, begin in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        versions = (old.version_at(begin), new.version_at(begin))
        segments.append(_Segment(begin, end, versions, (_timed(versions[0], begin), _timed(versions[1], begin))))
    return segments


def time_classes(old: Side, new: Side, uses_now: bool) -> list[Class]:
    found_classes: dict[tuple[object, ...], Class] = {}
    for segment in _segments(old, new):
        key = (tuple(v.id if v else None for v in segment.versions), segment.timed)
        found_classes.setdefault(key, Class()).segments.append(segment)
    for found in found_classes.values():
        _add_pieces(found, (old, new), uses_now)
    return list(found_classes.values())


def _add_pieces(found: Class, sides: Sequence[Side], uses_now: bool) -> None:
    """The stretches of each segment over which every schedule's state is fixed."""
    seen: set[tuple[object, ...]] = set()
    for segment in found.segments:
        schedules: dict[tuple[object, ...], tuple[Schedule, Bundle]] = {}
        for side, version, timed in zip(sides, segment.versions, segment.timed):
            if version is None:
                continue
            for rule in version.rules:
                if rule.schedule is not None and rule.id in timed:
                    schedules[schedule_key(rule.schedule, side.bundle)] = (rule.schedule, side.bundle)
        stop = min(segment.end or LAST_INSTANT, segment.start + SCHEDULE_HORIZON) if schedules else (
            segment.end or LAST_INSTANT)
        points = {segment.start}
        for schedule, bundle in schedules.values():
            for count, (instant, _) in enumerate(schedule_boundaries(schedule, segment.start, bundle.timezone, stop)):
                if instant >= stop or count > MAX_PIECES:
                    break
                points.add(instant)
        ordered = sorted(points)
        for i, begin in enumerate(ordered):
            end = ordered[i + 1] if i + 1 < len(ordered) else (segment.end or LAST_INSTANT)
            state = tuple(sorted(
                (key, occurrence_at(schedule, begin, bundle.timezone) is not None)
                for key, (schedule, bundle) in schedules.items()
            ))
            if not uses_now:
                if state in seen:
                    continue
                seen.add(state)
            found.pieces.append((begin, end, state))
            if len(found.pieces) >= MAX_PIECES:
                return
