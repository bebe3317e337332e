"""The charts of the console as geometry: an account's timeline and a bundle's versions.

The page draws them as inline SVG on the server (no script, no chart library), so a
chart is one more piece of escaped markup. An account's chart has, per action, one
lane per category of the bundle with a band wherever that category blocks (merged
while its rules stay the same), a lane for rules that could not be checked when there
are any, the account's events as ticks, and version boundaries as lines. Each band
carries its words (when, what, which rules) for its tooltip and screen readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chronolex.evaluation.decide import TimelineInterval
from chronolex.events.event import AccountHistory
from chronolex.explain.locales import LocaleChoice
from chronolex.explain.plain import action_phrase, span_words
from chronolex.instants import localize
from chronolex.model import Bundle, Rule, Version
from chronolex.service.console.answer import event_words
from chronolex.time.versions import in_force_spans

LEFT = 190.0  # room for the lane labels
WIDTH = 1000.0
PLOT = WIDTH - LEFT - 10
LANE = 22.0
GAP = 14.0  # between actions
TOP = 24.0  # room for version labels
AXIS = 30.0  # room for the day labels
UNDETERMINED, NO_POLICY = "undetermined", "no_policy"


@dataclass(frozen=True, slots=True)
class Lane:
    y: float
    label: str
    kind: str  # a category, UNDETERMINED, NO_POLICY or "events"
    first_of_action: str | None = None


@dataclass(frozen=True, slots=True)
class Band:
    x: float
    y: float
    width: float
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A tick or a line at ``x``, with its words."""

    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    height: float
    lanes: tuple[Lane, ...]
    bands: tuple[Band, ...]
    events: tuple[Mark, ...]
    events_y: float
    boundaries: tuple[Mark, ...]
    days: tuple[Mark, ...]
    instant: float | None
    #: The kinds of band drawn, with their titles, for the legend.
    legend: tuple[tuple[str, str], ...] = ()
    width: float = WIDTH
    left: float = LEFT
    plot: float = PLOT
    lane: float = LANE
    top: float = TOP


class Scale:
    """Instants in ``[start, end)`` to x positions of the plot."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.seconds = (end - start).total_seconds()

    def __call__(self, instant: datetime) -> float:
        clipped = min(max(instant, self.start), self.end)
        return round(LEFT + PLOT * (clipped - self.start).total_seconds() / self.seconds, 2)

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def _lane_kinds(bundle: Bundle, intervals: Sequence[TimelineInterval]) -> list[str]:
    kinds = [name for name, _ in sorted(bundle.categories.items(), key=lambda kv: (kv[1].precedence, kv[0]))]
    if any(i.point.assessment.undetermined for i in intervals):
        kinds.append(UNDETERMINED)
    if any(i.point.assessment.decision == NO_POLICY for i in intervals):
        kinds.append(NO_POLICY)
    return kinds


def _rules_of(interval: TimelineInterval, kind: str) -> tuple[Rule, ...] | None:
    """The rules that put ``interval`` in lane ``kind``, or None when it is not in it."""
    assessment = interval.point.assessment
    if kind == NO_POLICY:
        return () if assessment.decision == NO_POLICY else None
    if kind == UNDETERMINED:
        rules = tuple(o.rule for o in assessment.undetermined)
    else:
        rules = tuple(o.rule for o in assessment.restricting if o.rule.category == kind)
    return rules or None


def lane_title(bundle: Bundle, kind: str, labels: Mapping[str, str], locale: str) -> str:
    if kind == UNDETERMINED:
        return labels["undetermined_lane"]
    if kind == NO_POLICY:
        return labels["no_policy_lane"]
    category = bundle.categories.get(kind)
    return category.title_in(locale) if category else kind


def bands_of(intervals: Sequence[TimelineInterval], kind: str) -> list[tuple[datetime, datetime, tuple[Rule, ...]]]:
    """The spans in which lane ``kind`` holds, merged while its rules stay the same (a
    rule reworded by a new version starts a new band: its reasons read otherwise)."""
    spans: list[tuple[datetime, datetime, tuple[Rule, ...]]] = []
    for interval in intervals:
        rules = _rules_of(interval, kind)
        if rules is None:
            continue
        if spans and spans[-1][1] == interval.start and spans[-1][2] == rules:
            spans[-1] = (spans[-1][0], interval.end, rules)
        else:
            spans.append((interval.start, interval.end, rules))
    return spans


def _rule_titles(rules: tuple[Rule, ...], locale: str) -> str:
    return "; ".join(f"{rule.text('title', locale) or rule.id} ({rule.id})" for rule in rules)


def account_chart(bundle: Bundle, timelines: Mapping[str, Sequence[TimelineInterval]], history: AccountHistory,
                  start: datetime, end: datetime, at: datetime | None, choice: LocaleChoice,
                  labels: Mapping[str, str]) -> Chart:
    """The chart of ``timelines`` (by action) over ``[start, end)``."""
    scale = Scale(start, end)
    lanes: list[Lane] = []
    bands: list[Band] = []
    y = TOP
    for action, intervals in timelines.items():
        phrase = action_phrase(bundle, action, choice)
        for index, kind in enumerate(_lane_kinds(bundle, intervals)):
            title = lane_title(bundle, kind, labels, choice.locale)
            lanes.append(Lane(y, title, kind, phrase if index == 0 else None))
            for first, last, rules in bands_of(intervals, kind):
                when = span_words(first, last, bundle, choice)
                what = f"{phrase} · {title} · {when}"
                if rules:
                    what += ": " + _rule_titles(rules, choice.locale)
                x = scale(first)
                bands.append(Band(x, y, max(scale(last) - x, 1.5), kind, what))
            y += LANE
        y += GAP
    events = tuple(
        Mark(scale(e.at), event_words(e, bundle, choice)
             + "".join(f" · {k}: {v}" for k, v in sorted(e.fields.items())))
        for e in history.events if scale.contains(e.at))
    lanes.append(Lane(y, labels["events_lane"], "events"))
    events_y = y
    y += LANE
    boundaries = tuple(
        Mark(scale(span.start), labels["version_boundary"].format(version=span.version.id))
        for span in in_force_spans(bundle.versions) if start < span.start < end)
    legend = tuple(dict.fromkeys((lane.kind, lane.label) for lane in lanes if lane.kind != "events"))
    return Chart(y + AXIS, tuple(lanes), tuple(bands), events, events_y, boundaries,
                 day_marks(bundle, start, end, scale, choice), scale(at) if at and scale.contains(at) else None,
                 legend)


def day_marks(bundle: Bundle, start: datetime, end: datetime, scale: Scale, choice: LocaleChoice) -> tuple[Mark, ...]:
    """Labelled local midnights, about ten over the range."""
    zone = bundle.timezone
    first: date = start.astimezone(zone).date()
    days = max((end - start).days, 1)
    step = max(1, -(-days // 10))
    marks = []
    day = first
    while True:
        instant = localize(datetime(day.year, day.month, day.day), zone)
        if instant >= end:
            break
        if instant >= start:
            month = choice.words.months[day.month - 1]
            text = f"{day.month}月{day.day}日" if choice.words.locale == "zh-CN" else f"{day.day} {month[:3]}"
            marks.append(Mark(scale(instant), text))
        day += timedelta(days=step)
    return tuple(marks)


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A version on the policy page: its span on the axis (None: never in force)."""

    version: Version
    x: float | None
    width: float | None
    y: float
    label: str


def versions_chart(bundle: Bundle, choice: LocaleChoice, labels: Mapping[str, str]) -> tuple[tuple[VersionRow, ...],
                                                                                              tuple[Mark, ...], float]:
    """The versions on one time axis, from the first in force to a year after the last
    starts; returns the rows, the year marks and the chart's height."""
    spans = in_force_spans(bundle.versions)
    if not spans:
        return (), (), TOP
    zone = bundle.timezone
    start = spans[0].start
    last = spans[-1].start.astimezone(zone)
    end = localize(datetime(last.year + 1, last.month, 1), zone)
    scale = Scale(start, end)
    by_id = {span.version.id: span for span in spans}
    rows = []
    y = TOP
    for version in bundle.versions:
        span = by_id.get(version.id)
        if span is None:
            rows.append(VersionRow(version, None, None, y, f"{version.id}: {labels['never_in_force']}"))
        else:
            x = scale(span.start)
            stop = span.end if span.end is not None else end
            when = span_words(span.start, stop, bundle, choice) if span.end else \
                choice.words.when(span.start, bundle.timezone, zone_shown=False) + " –"
            rows.append(VersionRow(version, x, max(scale(stop) - x, 1.5), y, f"{version.id} · {when}"))
        y += LANE
    years = []
    year = start.astimezone(zone).year + 1
    while (instant := localize(datetime(year, 1, 1), zone)) < end:
        years.append(Mark(scale(instant), str(year)))
        year += 1
    return tuple(rows), tuple(years), y + AXIS
