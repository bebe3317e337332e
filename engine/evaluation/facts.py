"""Fact derivation: fold an account's events into fact values at (T, K), with provenance.

A derived fact sees the events of its type with ``at <= T`` and ``recorded_at <= K``,
inside its window (``T - window < at``, calendar arithmetic in the bundle timezone)
and passing its ``where`` condition. ``count`` and ``exists`` always have a value (0,
false); every other aggregation over no event is the fact's default, or unknown.
``expr`` facts are computed from the others, in dependency order, with ``now = T``.

Each value carries the events it came from, so an explanation can show its evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import bisect
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from chronolex.errors import EvaluationError
from chronolex.events.event import AccountHistory, Event
from chronolex.events.field_values import coerce, typed_fields
from chronolex.lang import UNKNOWN, Context
from chronolex.lang.types import Type
from chronolex.model import Bundle, Derivation, Fact
from chronolex.instants import AFTER_RANGE, BEFORE_RANGE, Duration, OutsideRange, format_instant

#: At most this many events are kept as evidence of one value (the most recent ones).
MAX_EVIDENCE = 50


@dataclass(frozen=True, slots=True)
class FactValue:
    """A fact's value at an instant (possibly UNKNOWN) and the events behind it."""

    name: str
    value: object
    events: tuple[Event, ...] = ()
    total_events: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def unknown(self) -> bool:
        return self.value is UNKNOWN


@lru_cache(maxsize=4096)
def window_start(at: datetime, window: Duration | None, zone: tzinfo) -> datetime | None:
    """The exclusive lower bound ``T - window`` of a window at ``at`` (None: no window).

    A start before the supported years is :data:`~chronolex.instants.BEFORE_RANGE`:
    every event lies after it (events outside the years are refused), so the window
    holds the same events as from its exact start, and an answer near the year 1000 is
    given rather than refused.

    Cached: a replay asks the same (T, window) once per account, and calendar
    arithmetic in a timezone is the costliest step of deriving a windowed fact."""
    if window is None:
        return None
    try:
        return max(window.shift(at, zone, -1), BEFORE_RANGE)
    except OutsideRange:  # pragma: no cover - Duration.parse keeps supported instants in the calendar
        return BEFORE_RANGE


def leaves_window(event_at: datetime, window: Duration, zone: tzinfo) -> datetime:
    """The first instant T at which an event at ``event_at`` is no longer in the window:
    the least T with ``T - window >= event_at`` (not always ``event_at + window``:
    29 February plus twelve months leaves on 1 March).

    An event that stays in the window past the supported years leaves at
    :data:`~chronolex.instants.AFTER_RANGE` (or later): not within them."""
    try:
        return _leaves_window(event_at, window, zone)
    except OutsideRange:  # pragma: no cover - Duration.parse keeps supported instants in the calendar
        return AFTER_RANGE


def _leaves_window(event_at: datetime, window: Duration, zone: tzinfo) -> datetime:
    guess = window.shift(event_at, zone, 1)
    tick = timedelta(microseconds=1)
    if window.shift(guess, zone, -1) >= event_at:
        if window.shift(guess - tick, zone, -1) < event_at:
            return guess  # the usual case: exactly at + window
        low, high = guess - timedelta(days=4), guess
    else:
        low, high = guess, guess + timedelta(days=4)
    while window.shift(high, zone, -1) < event_at:  # pragma: no cover - calendar clamps move a few days
        low, high = high, high + timedelta(days=4)
    while high - low > tick:
        middle = low + (high - low) / 2
        if window.shift(middle, zone, -1) >= event_at:
            high = middle
        else:
            low = middle
    return high


def _visible(history: AccountHistory, derivation: Derivation, at: datetime, known_at: datetime | None,
             zone: tzinfo, cutoff: datetime | None) -> Sequence[Event]:
    lower = window_start(at, derivation.window, zone)
    lo, hi = history.bounds(derivation.event_type, lower, at if cutoff is None else min(at, cutoff))
    events: Sequence[Event] = history.of_type(derivation.event_type)[lo:hi]
    if known_at is not None:
        events = [e for e in events if e.recorded_at <= known_at]
    where = derivation.where
    if where is not None:
        kept = []
        for event in events:
            try:
                if where.evaluate(Context(_where_view(event, derivation, zone), at, zone)) is True:
                    kept.append(event)
            except EvaluationError:
                continue  # a field of the wrong type: the event does not match
        events = kept
    return events


def _where_view(event: Event, derivation: Derivation, zone: tzinfo) -> Mapping[str, object]:
    """The fields a ``where`` reads: typed by the catalog when the bundle declares one."""
    if derivation.where_fields is None:
        return event.fields
    return typed_fields(event.fields, derivation.where_fields, zone)


class _Bad:
    """A field value that is not a value of the fact's type (kept with the reason)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_ABSENT = _Bad("")  # the event does not have the field
#: Values per block of a series' min/max index.
_BLOCK = 64


class _Series:
    """One field of one event type, converted to a fact's type once per history.

    ``values[i]`` belongs to ``history.of_type(event_type)[i]``. Prefix sums make a
    windowed ``sum`` two look-ups instead of a pass over the window.
    """

    __slots__ = ("values", "valid", "bad", "_sums", "_blocks")

    def __init__(self, events: Sequence[Event], field_name: str, declared: Type, zone: tzinfo) -> None:
        values: list[object] = []
        valid = [0]
        bad: list[int] = []
        for index, event in enumerate(events):
            if field_name not in event.fields:
                values.append(_ABSENT)
            else:
                try:
                    values.append(coerce(event.fields[field_name], declared, zone))
                except ValueError as exc:
                    values.append(_Bad(str(exc)))
                    bad.append(index)
            valid.append(valid[-1] + (not isinstance(values[-1], _Bad)))
        self.values = values
        self.valid = valid  # valid[i]: how many of the first i values are usable
        self.bad = bad  # indexes of present values that are not of the fact's type
        self._sums: list[object] | None = None
        self._blocks: dict[bool, list[list[int]]] = {}

    def extreme(self, lo: int, hi: int, largest: bool) -> int:
        """The index of the first greatest (``largest``) or least value in ``[lo, hi)``
        (non-empty, every value usable): the blocks of :data:`_BLOCK` values keep their own
        extremes in a sparse table, so a long window costs two short scans and two lookups."""
        values = self.values

        def better(i: int, j: int) -> int:  # i < j: the earlier wins a tie, as a scan finds it
            a, b = values[i], values[j]
            return j if (b > a if largest else b < a) else i  # type: ignore[operator]

        def scan(start: int, end: int) -> int:
            best = start
            for k in range(start + 1, end):
                best = better(best, k)
            return best

        if hi - lo <= 2 * _BLOCK:
            return scan(lo, hi)
        table = self._blocks.get(largest)
        if table is None:
            level = [scan(b, min(b + _BLOCK, len(values))) for b in range(0, len(values), _BLOCK)]
            table = [level]
            width = 1
            while 2 * width <= len(level):
                previous = table[-1]
                table.append([better(previous[i], previous[i + width]) for i in range(len(previous) - width)])
                width *= 2
            self._blocks[largest] = table
        first, last = -(-lo // _BLOCK), hi // _BLOCK  # the whole blocks inside [lo, hi)
        best = scan(lo, first * _BLOCK) if lo < first * _BLOCK else None
        k = (last - first).bit_length() - 1
        middle = better(table[k][first], table[k][last - (1 << k)])
        best = middle if best is None else better(best, middle)
        if last * _BLOCK < hi:
            best = better(best, scan(last * _BLOCK, hi))
        return best

    def sum(self, lo: int, hi: int, zero: Decimal | int) -> Decimal | int:
        if self._sums is None:
            sums: list[object] = [zero]
            running: Decimal | int = zero
            for value in self.values:
                if not isinstance(value, _Bad):
                    running = running + value  # type: ignore[operator]
                sums.append(running)
            self._sums = sums
        return self._sums[hi] - self._sums[lo]  # type: ignore[operator, no-any-return]


def _view(history: AccountHistory, derivation: Derivation, zone: tzinfo) -> tuple[tuple[Event, ...], list[datetime]]:
    """The events a derivation folds (of its type, passing its ``where``), with their times;
    computed once per history when ``where`` does not read ``now``."""
    events = history.of_type(derivation.event_type)
    where = derivation.where
    if where is None:
        return events, history.times(derivation.event_type)
    key = ("view", derivation.event_type, where.text)
    found = history.cache.get(key)
    if found is None:
        kept = []
        for event in events:
            try:
                if where.evaluate(Context(_where_view(event, derivation, zone), event.at, zone)) is True:
                    kept.append(event)
            except EvaluationError:
                continue
        found = (tuple(kept), [e.at for e in kept])
        history.cache[key] = found
    return found  # type: ignore[return-value]


def counted_events(history: AccountHistory, derivation: Derivation, lower: datetime | None, upper: datetime,
                   zone: tzinfo) -> Sequence[Event]:
    """The events with ``lower < at <= upper`` that ``derivation`` can fold: of its type and,
    when its ``where`` does not read ``now``, passing it (one that reads ``now`` may pass
    later, so then every event of the type is kept). An event the ``where`` rejects never
    counts, so its leaving a window changes nothing."""
    if derivation.where is not None and not derivation.where.uses_now:
        events, times = _view(history, derivation, zone)
        hi = bisect.bisect_right(times, upper)
        lo = 0 if lower is None else bisect.bisect_right(times, lower)
        return events[lo:max(lo, hi)]
    lo, hi = history.bounds(derivation.event_type, lower, upper)
    return history.of_type(derivation.event_type)[lo:hi]


def _series(history: AccountHistory, derivation: Derivation, fact: Fact, zone: tzinfo,
            events: Sequence[Event]) -> _Series:
    key = (derivation.event_type, derivation.where.text if derivation.where else None, derivation.field,
           fact.type, str(zone))
    cache = history.cache
    found = cache.get(key)
    if found is None:
        found = _Series(events, derivation.field or "", fact.type, zone)
        cache[key] = found
    assert isinstance(found, _Series)
    return found


def _note(fact: Fact, event: Event, reason: str, zone: tzinfo) -> str:
    field_name = fact.derive.field if fact.derive else ""
    return f"{fact.name}: ignored {event.type} at {format_instant(event.at, zone)}: field {field_name} {reason}"


def derive_one(fact: Fact, history: AccountHistory, at: datetime, known_at: datetime | None,
               zone: tzinfo, cutoff: datetime | None = None) -> FactValue:
    """The value of one derived fact at (``at``, ``known_at``), seeing no event after ``cutoff``.

    An event is visible exactly when ``at <= T`` and ``recorded_at <= K``. When every event
    of the history was recorded as it happened, that is ``at <= min(T, K)``: the knowledge
    cut becomes a time cut, and the indexed path serves it."""
    derivation = fact.derive
    assert derivation is not None
    if known_at is not None and not history.recorded_apart:
        cutoff = known_at if cutoff is None else min(cutoff, known_at)
        known_at = None
    where_is_timeless = derivation.where is None or not derivation.where.uses_now
    if where_is_timeless and known_at is None:
        return _derive_indexed(fact, derivation, history, at, zone, cutoff)
    return _derive_scanned(fact, derivation, _visible(history, derivation, at, known_at, zone, cutoff), at, zone)


def _derive_indexed(fact: Fact, derivation: Derivation, history: AccountHistory, at: datetime, zone: tzinfo,
                    cutoff: datetime | None) -> FactValue:
    """The same value as :func:`_derive_scanned`, from the per-history index: bisection for
    the window, converted values computed once, prefix sums for ``sum``."""
    lower = window_start(at, derivation.window, zone)
    upper = at if cutoff is None else min(at, cutoff)
    events, times = _view(history, derivation, zone)
    hi = bisect.bisect_right(times, upper)
    lo = 0 if lower is None else min(bisect.bisect_right(times, lower), hi)
    aggregation = derivation.aggregation
    count = hi - lo
    if aggregation == "count":
        return FactValue(fact.name, count, events[max(lo, hi - MAX_EVIDENCE):hi], count)
    if aggregation == "exists":
        return FactValue(fact.name, count > 0, events[hi - 1:hi] if count else (), count)
    if aggregation == "days_since":
        if count:
            latest = events[hi - 1]
            return FactValue(fact.name, (at - latest.at) // timedelta(days=1), (latest,), 1)
        return _default(fact, derivation)
    series = _series(history, derivation, fact, zone, events)
    values = series.values
    notes: list[str] = []
    if aggregation in ("latest", "first"):
        indexes = range(hi - 1, lo - 1, -1) if aggregation == "latest" else range(lo, hi)
        for i in indexes:
            value = values[i]
            if value is _ABSENT:
                continue
            if isinstance(value, _Bad):
                notes.append(_note(fact, events[i], value.reason, zone))
                continue
            return FactValue(fact.name, value, (events[i],), 1, tuple(notes))
        return FactValue(fact.name, _default(fact, derivation).value, (), 0, tuple(notes))
    used = series.valid[hi] - series.valid[lo]
    bad = series.bad[bisect.bisect_left(series.bad, lo):bisect.bisect_left(series.bad, hi)]
    notes = [_note(fact, events[i], str(getattr(values[i], "reason", "")), zone) for i in bad]
    if not used:
        return FactValue(fact.name, _default(fact, derivation).value, (), 0, tuple(notes))
    if aggregation == "sum":
        zero: Decimal | int = Decimal(0) if fact.type.name == "decimal" else 0
        total = series.sum(lo, hi, zero)
        recent: list[Event] = []
        for i in range(hi - 1, lo - 1, -1):
            if not isinstance(values[i], _Bad):
                recent.append(events[i])
                if len(recent) == MAX_EVIDENCE:
                    break
        return FactValue(fact.name, total, tuple(reversed(recent)), used, tuple(notes))
    if series.valid[-1] == len(values):  # every value of the series usable: the block index
        best = series.extreme(lo, hi, aggregation == "max")
    else:
        candidates = [i for i in range(lo, hi) if not isinstance(values[i], _Bad)]
        pick = min if aggregation == "min" else max
        best = pick(candidates, key=values.__getitem__)  # type: ignore[arg-type]  # first of equals, like the scan
    return FactValue(fact.name, values[best], (events[best],), used, tuple(notes))


def _derive_scanned(fact: Fact, derivation: Derivation, events: Sequence[Event], at: datetime,
                    zone: tzinfo) -> FactValue:
    """The value of a derived fact from the events it sees, one by one (the reference)."""
    aggregation = derivation.aggregation
    if aggregation == "count":
        return FactValue(fact.name, len(events), tuple(events[-MAX_EVIDENCE:]), len(events))
    if aggregation == "exists":
        return FactValue(fact.name, bool(events), tuple(events[-1:]), len(events))
    if aggregation == "days_since":
        if events:
            latest = events[-1]
            return FactValue(fact.name, (at - latest.at) // timedelta(days=1), (latest,), 1)
        return _default(fact, derivation)
    notes: list[str] = []
    values: list[tuple[object, Event]] = []
    ordered: Iterable[Event] = reversed(events) if aggregation == "latest" else events
    field_name = derivation.field or ""
    for event in ordered:
        if field_name not in event.fields:
            continue
        raw = event.fields[field_name]
        try:
            values.append((coerce(raw, fact.type, zone), event))
        except ValueError as exc:
            notes.append(_note(fact, event, str(exc), zone))
            continue
        if aggregation in ("latest", "first"):
            break
    if not values:
        result = _default(fact, derivation)
        return FactValue(fact.name, result.value, (), 0, tuple(notes))
    if aggregation in ("latest", "first"):
        value, event = values[0]
        return FactValue(fact.name, value, (event,), 1, tuple(notes))
    if aggregation == "sum":
        total: Decimal | int = Decimal(0) if fact.type.name == "decimal" else 0
        for number, _ in values:
            total = total + number  # type: ignore[operator]
        used = [e for _, e in values]
        return FactValue(fact.name, total, tuple(used[-MAX_EVIDENCE:]), len(used), tuple(notes))
    pick = min if aggregation == "min" else max
    value, event = pick(values, key=lambda pair: pair[0])  # type: ignore[arg-type, return-value]
    return FactValue(fact.name, value, (event,), len(values), tuple(notes))


def _default(fact: Fact, derivation: Derivation) -> FactValue:
    return FactValue(fact.name, derivation.default if derivation.has_default else UNKNOWN)


def expr_order(facts: Mapping[str, Fact]) -> tuple[str, ...]:
    """``expr`` facts in an order where each comes after the expr facts it reads (worked
    out once per catalog: every derivation asks)."""
    kept = _EXPR_ORDERS.get(id(facts))
    if kept is not None and kept[0] is facts:
        return kept[1]
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        done.add(name)
        fact = facts[name]
        assert fact.expr is not None
        for dependency in sorted(fact.expr.facts):
            if dependency in facts and facts[dependency].expr is not None:
                visit(dependency)
        order.append(name)

    for name in sorted(facts):
        if facts[name].expr is not None:
            visit(name)
    _keep(_EXPR_ORDERS, id(facts), (facts, tuple(order)))
    return tuple(order)


def needed_facts(bundle: Bundle, names: Iterable[str]) -> frozenset[str]:
    """``names`` and every fact the expr facts among them read, transitively (kept per
    catalog and set of names: a decision asks for the same sets many times)."""
    asked = names if isinstance(names, frozenset) else frozenset(names)
    key = (id(bundle.facts), asked)
    kept = _NEEDED.get(key)
    if kept is not None and kept[0] is bundle.facts:
        return kept[1]
    needed: set[str] = set()
    stack = [n for n in asked if n in bundle.facts]
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        expr = bundle.facts[name].expr
        if expr is not None:
            stack.extend(d for d in expr.facts if d in bundle.facts)
    found = frozenset(needed)
    _keep(_NEEDED, key, (bundle.facts, found))
    return found


#: Worked-out orders and closures, by the identity of the catalog they were worked out
#: for; each entry holds its catalog, so an id is not reused while its entry is kept.
_EXPR_ORDERS: dict[int, tuple[Mapping[str, Fact], tuple[str, ...]]] = {}
_NEEDED: dict[tuple[int, frozenset[str]], tuple[Mapping[str, Fact], frozenset[str]]] = {}
_KEPT_AT_MOST = 4096


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """Keep ``value``; forget everything when the cache is full (reloaded bundles)."""
    if len(cache) >= _KEPT_AT_MOST:
        cache.clear()
    cache[key] = value


def derive_facts(
    bundle: Bundle,
    history: AccountHistory,
    at: datetime,
    known_at: datetime | None = None,
    names: Iterable[str] | None = None,
    *,
    cutoff: datetime | None = None,
    given: Mapping[str, FactValue] | None = None,
    unchanged: Mapping[str, FactValue] | None = None,
) -> dict[str, FactValue]:
    """Every fact (or only ``names`` and what they need) at (``at``, ``known_at``).

    ``cutoff`` hides events after it: a look ahead "if no new event arrives". ``given``
    values replace what the events would give (``expr`` facts are computed from them).
    ``unchanged`` holds derived values the caller knows to be the same at ``at`` (no event
    entered or left a window since they were derived); they are taken as they are, except
    ``days_since``, which moves with ``at`` itself. A walk over a fine-grained schedule
    then derives each fact once, not at every boundary."""
    given = given or {}
    wanted = needed_facts(bundle, names) if names is not None else frozenset(bundle.facts)
    zone = bundle.timezone
    values: dict[str, FactValue] = {}
    for name in sorted(wanted):
        fact = bundle.facts[name]
        if name in given:
            values[name] = given[name]
        elif fact.derive is not None:
            kept = unchanged.get(name) if unchanged is not None else None
            values[name] = kept if kept is not None and fact.derive.aggregation != "days_since" else \
                derive_one(fact, history, at, known_at, zone, cutoff)
    for name in expr_order(bundle.facts):
        if name not in wanted or name in given:
            continue
        fact = bundle.facts[name]
        assert fact.expr is not None
        raw = {k: v.value for k, v in values.items()}
        try:
            value = fact.expr.evaluate(Context(raw, at, zone))
            notes: tuple[str, ...] = ()
        except EvaluationError as exc:
            value, notes = UNKNOWN, (f"{name}: {exc}",)
        if value is not UNKNOWN and fact.type.name == "decimal" and isinstance(value, int):
            value = Decimal(value)
        sources = [e for d in sorted(fact.expr.facts) if d in values for e in values[d].events]
        values[name] = FactValue(name, value, tuple(dict.fromkeys(sources)), len(sources), notes)
    return values
