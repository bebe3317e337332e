"""Change points: the instants at which a decision can change, and the walk over them.

Between two change points nothing that a decision depends on moves, so the decision
is constant there: ``next_change``, ``lifts`` and ``timeline`` walk these points in
order instead of sampling time. The sources (docs/reference/time.md):

- version boundaries (``effective_from`` of every version known at K);
- rule ``active`` bounds and one-off ``window`` bounds;
- schedule occurrence starts and ends (generated lazily: schedules may be endless);
- the instants at which events leave a fact window;
- the instants at which ``now``-dependent values change (``days_since``, an age from
  ``years_between(birth_date, now)``, ``now`` compared with a date), recomputed from
  the facts at each point;
- for a replayed timeline, the events themselves.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chronolex.time.activity import schedule_boundaries
from chronolex.evaluation.facts import FactValue, counted_events, leaves_window, needed_facts, window_start
from chronolex.errors import EvaluationError
from chronolex.evaluation.assess import Evaluator, Point, assess_rule
from chronolex.events.event import AccountHistory, Event
from chronolex.lang import Context, interpret
from chronolex.lang import nodes as n
from chronolex.lang.values import as_instant
from chronolex.model import Rule, Version
from chronolex.instants import Duration, last_supported, localize

#: How far a walk looks ahead before it gives up (no change within a century).
HORIZON = timedelta(days=366 * 100)
#: At most this many change points are evaluated by one walk.
MAX_STEPS = 100_000


@dataclass(frozen=True, slots=True)
class Candidate:
    """An instant at which something may change, and what changes then.

    ``fact``, ``rule`` and ``version`` name what moves there (a fact's value, a rule's
    time bounds or time-dependent condition, a version taking effect), so that a lift is
    explained only by what can change its own rule."""

    at: datetime
    because: str
    fact: str | None = None
    rule: str | None = None
    version: str | None = None


class Walk:
    """The change points after ``start`` for one account and action, and the points there."""

    def __init__(
        self,
        evaluator: Evaluator,
        history: AccountHistory,
        action: str,
        start: datetime,
        known_at: datetime | None,
        *,
        end: datetime | None = None,
        replay_events: bool = False,
        focus: frozenset[str] | None = None,
        given: Mapping[str, FactValue] | None = None,
    ) -> None:
        """Walk from ``start``. Without ``replay_events`` no event after ``start`` is seen (the
        history as it stands: "if no new event arrives"); with it, events arrive as they did. With ``focus`` (rule ids) only what can change
        those rules is a change point."""
        self.evaluator = evaluator
        self.bundle = evaluator.bundle
        self.history = history
        self.action = action
        self.start = start
        self.known_at = known_at
        self.end = end
        self.replay_events = replay_events
        self.cutoff = None if replay_events else start
        self.given = given
        self.versions = [v for v in self.bundle.versions if known_at is None or v.published_at <= known_at]
        self.focus = focus
        #: Where the walk stopped because it took :data:`MAX_STEPS` steps before reaching its
        #: end: nothing after this instant was examined. None while the walk is complete.
        self.stopped_at: datetime | None = None
        #: Where the walk's search ends: its ``end``, else a century ahead, but never past
        #: the last supported instant; ``out_of_range`` says the walk reached that instant
        #: with a change still to come, which is then not known.
        self.limit = min(end or start + HORIZON, last_supported(self.bundle.timezone))
        self.out_of_range = False
        self.rules, self._scope_facts = evaluator.walk_scope(self.versions, action, focus)
        # Fixed change points come from streams that are each in time order, merged lazily:
        # a walk usually stops long before the last event of a long history leaves its window.
        streams, self.last_static = self._static()
        self._static_stream: Iterator[Candidate] = heapq.merge(*streams, key=lambda c: c.at)
        self._static_buffer: deque[Candidate] = deque()
        # schedule streams, made when a rule could restrict in an occurrence, dropped when not
        self._schedules: dict[str, tuple[Iterator[Candidate], list[Candidate]]] = {}
        self._dynamic_cache: tuple[Version | None, dict[str, FactValue], list[Candidate]] | None = None

    def _rules_of(self, version: Version) -> tuple[Rule, ...]:
        return self.evaluator.rules_for(version, self.action, self.focus)

    def _facts_of(self, rules: Iterable[Rule]) -> frozenset[str]:
        return needed_facts(self.bundle, {f for r in rules for c in (r.when, r.unless) if c for f in c.facts})

    # -- sources --------------------------------------------------------------------
    def _static(self) -> tuple[list[Iterable[Candidate]], datetime]:
        """The streams of fixed change points after ``start``, each in time order, and the
        last instant any of them reaches (``start`` if none)."""
        start, end = self.start, self.end
        fixed: list[Candidate] = []
        for version in self.versions:
            if version.effective_from > start:
                fixed.append(Candidate(version.effective_from, f"version {version.id} takes effect",
                                       version=version.id))
        for rule in self.rules:
            for interval, what in ((rule.active, "active interval"), (rule.window, "window")):
                if interval is None:
                    continue
                for bound, word in ((interval.start, "starts"), (interval.end, "ends")):
                    if bound is not None and bound > start:
                        fixed.append(Candidate(bound, f"the {what} of {rule.id} {word}", rule=rule.id))
        fixed.sort(key=lambda c: (c.at, c.because))
        streams: list[Iterable[Candidate]] = [fixed]
        last = [fixed[-1].at] if fixed else []
        for name in sorted(self._scope_facts):
            derivation = self.bundle.facts[name].derive
            if derivation is None or derivation.window is None:
                continue
            lower = window_start(start, derivation.window, self.bundle.timezone)
            events = [e for e in counted_events(self.history, derivation, lower, self.cutoff or end or start,
                                                self.bundle.timezone)
                      if self.known_at is None or e.recorded_at <= self.known_at]
            if events:
                # leaving the window is monotone in the event's instant (the least T with
                # T - window >= at), so this stream is in order and its last item is latest
                streams.append(self._leaving(name, derivation.window, events))
                last.append(leaves_window(events[-1].at, derivation.window, self.bundle.timezone))
        if self.replay_events and end is not None:
            arriving = [Candidate(e.at, f"a {e.type} event") for e in self.history.events
                        if start < e.at < end and (self.known_at is None or e.recorded_at <= self.known_at)]
            streams.append(arriving)
            last += [c.at for c in arriving[-1:]]
        return streams, max([start, *last])

    def _leaving(self, name: str, window: Duration, events: list[Event]) -> Iterator[Candidate]:
        zone = self.bundle.timezone
        for event in events:
            leaves = leaves_window(event.at, window, zone)
            if leaves > self.start:
                when = event.at.astimezone(zone).isoformat()
                yield Candidate(leaves, f"the {event.type} event of {when} leaves the {window.text} window of {name}",
                                fact=name)

    def _schedule(self, rule: Rule, after: datetime) -> Iterator[Candidate]:
        assert rule.schedule is not None
        for instant, kind in schedule_boundaries(rule.schedule, after, self.bundle.timezone, self.limit):
            word = "starts" if kind == "start" else "ends"
            yield Candidate(instant, f"a scheduled window of {rule.id} {word}", rule=rule.id)

    def dynamic(self, point: Point, rules: Iterable[Rule] | None = None) -> list[Candidate]:
        """``now``-dependent change points computed from the facts at ``point`` (for ``rules``:
        default, the walk's rules in the version at ``point``)."""
        found: list[Candidate] = []
        zone = self.bundle.timezone
        version = point.version
        if version is None:
            return found
        chosen = tuple(rules) if rules is not None else self._rules_of(version)
        facts = self._facts_of(chosen) if rules is not None else self.evaluator.facts_for(version, self.action,
                                                                                          self.focus)
        for name in sorted(facts):
            fact = self.bundle.facts[name]
            value = point.facts.get(name)
            if fact.derive is not None and fact.derive.aggregation == "days_since" and value is not None:
                if isinstance(value.value, int) and value.events:
                    origin = value.events[-1].at
                    thresholds = self._day_thresholds(name, chosen)
                    if thresholds is None:  # used in arithmetic: every new day may matter
                        steps = [value.value + 1]
                    else:  # only compared with numbers: only crossing them matters
                        steps = sorted(k for n in thresholds for k in (n, n + 1) if k > value.value)[:1]
                    for days in steps:
                        found.append(Candidate(origin + timedelta(days=days), f"{name} becomes {days}", fact=name))
        ctx = Context(point.fact_values, point.at, zone)
        for node, label, rule_id, fact_name in self._now_nodes(chosen):
            for instant in _now_changes(node, ctx):
                if instant > point.at:
                    found.append(Candidate(instant, label, fact=fact_name, rule=rule_id))
        return found

    def _dynamic_at(self, point: Point) -> list[Candidate]:
        """:meth:`dynamic` for a step of the walk, taken from the step before when the
        version and every fact value are the same there (only a rule's time bounds moved):
        the instants found then still come, those passed are dropped."""
        cached = self._dynamic_cache
        if cached is not None and cached[0] is point.version and cached[1] == point.facts:
            return [c for c in cached[2] if c.at > point.at]
        found = self.dynamic(point)
        self._dynamic_cache = (point.version, dict(point.facts), found)
        return found

    def _day_thresholds(self, name: str, rules: tuple[Rule, ...]) -> set[int] | None:
        """The whole numbers ``name`` is compared with in ``rules``, or None if it is used
        any other way (then every change of its value counts)."""
        thresholds: set[int] = set()
        for rule in rules:
            for condition in (rule.when, rule.unless):
                if condition is None or name not in condition.facts:
                    continue
                stack: list[n.Expr] = [condition.ast]
                while stack:
                    node = stack.pop()
                    if isinstance(node, n.Compare):
                        sides = (node.left, node.right)
                        if any(isinstance(x, n.Name) and x.name == name for x in sides):
                            side = sides[1] if isinstance(sides[0], n.Name) and sides[0].name == name else sides[0]
                            if isinstance(side, n.Literal) and side.kind == "int" and isinstance(side.value, int):
                                thresholds.add(side.value)
                                continue
                            return None
                    if isinstance(node, n.Name) and node.name == name:
                        return None
                    stack.extend(n.children(node))
        for fact in self.bundle.facts.values():
            if fact.expr is not None and name in fact.expr.facts:
                return None
        return thresholds

    def _now_nodes(self, rules: tuple[Rule, ...]) -> list[tuple[n.Expr, str, str | None, str | None]]:
        """The ``now``-dependent expressions of ``rules``, each with its label and the rule
        (a condition) or fact (an expr fact) it belongs to."""
        exprs: list[tuple[n.Expr, str, str | None, str | None]] = []
        for rule in rules:
            for condition in (rule.when, rule.unless):
                if condition is not None and condition.uses_now:
                    exprs.append((condition.ast, f"the condition of {rule.id} changes with time", rule.id, None))
        for name in sorted(self._facts_of(rules)):
            expr = self.bundle.facts[name].expr
            if expr is not None and expr.uses_now:
                exprs.append((expr.ast, f"{name} changes", None, name))
        return exprs

    # -- the walk --------------------------------------------------------------------
    def _static_after(self, after: datetime) -> list[Candidate]:
        """The fixed candidates at the first instant after ``after`` (several may coincide).

        They stay buffered until the walk passes them: it may stop at an earlier dynamic
        change point first and ask again."""
        buffer, stream = self._static_buffer, self._static_stream
        while buffer and buffer[0].at <= after:
            buffer.popleft()
        while not buffer:
            following = next(stream, None)
            if following is None:
                return []
            if following.at > after:
                buffer.append(following)
        first = buffer[0].at
        while buffer[-1].at == first:
            following = next(stream, None)
            if following is None:
                break
            buffer.append(following)
        return [c for c in buffer if c.at == first]

    def _scheduled_after(self, point: Point) -> list[Candidate]:
        """The next boundary of each schedule whose rule could restrict in an occurrence.

        A rule whose conditions are false at ``point`` cannot restrict in any occurrence
        until a fact changes, which happens only at another change point; so its
        occurrences are skipped rather than walked one by one."""
        found: list[Candidate] = []
        if point.version is None:
            return found
        ctx = Context(point.fact_values, point.at, self.bundle.timezone)
        live = set()
        for rule in self._rules_of(point.version):
            if rule.schedule is None or assess_rule(self.bundle, rule, ctx, point.facts) is None:
                continue
            live.add(rule.id)
            stream, peeked = self._schedules.get(rule.id) or (self._schedule(rule, point.at), [])
            self._schedules[rule.id] = (stream, peeked)
            while not peeked or peeked[0].at <= point.at:
                following = next(stream, None)
                if following is None:
                    break
                peeked[:] = [following]
            if peeked and peeked[0].at > point.at:
                found.append(peeked[0])
        for rule_id in [r for r in self._schedules if r not in live]:
            del self._schedules[rule_id]
        return found

    def points(self, first: Point) -> Iterator[tuple[Point, tuple[str, ...]]]:
        """Each change point after ``first`` (and before ``end``), with what changed there."""
        for point, candidates in self.steps(first):
            yield point, tuple(sorted({c.because for c in candidates}))

    def steps(self, first: Point) -> Iterator[tuple[Point, tuple[Candidate, ...]]]:
        """Each change point after ``first`` (and before ``end``), with the candidates there
        that concern the version in force at it: a fact that version's rules do not read
        (a rule of another version reads it) changes nothing there, so it is no cause."""
        current = first
        limit = self.limit
        for _ in range(MAX_STEPS):
            candidates = [*self._dynamic_at(current), *self._static_after(current.at), *self._scheduled_after(current)]
            if not candidates:
                return
            instant = min(c.at for c in candidates)
            if instant >= limit:
                self.out_of_range = self.end is None and limit < self.start + HORIZON
                return
            here = [c for c in candidates if c.at == instant]
            # where only rules' time bounds move, the events' facts stand: derived once, not again
            unchanged = current.facts if all(c.rule is not None and c.fact is None and c.version is None
                                             for c in here) else None
            current = self.evaluator.point(self.history, self.action, instant, self.known_at, cutoff=self.cutoff,
                                           given=self.given, only=self.focus, unchanged=unchanged)
            yield current, self._concerning(current, here)
        # The step budget ran out before the end: say where, so that no caller reads the
        # instants beyond as "no change".
        self.stopped_at = current.at

    def _concerning(self, point: Point, candidates: list[Candidate]) -> tuple[Candidate, ...]:
        """Those of ``candidates`` that can move a rule of the version at ``point``, in the
        order of their descriptions (each description once)."""
        version = point.version
        rules = {r.id for r in self._rules_of(version)} if version is not None else set()
        facts = self.evaluator.facts_for(version, self.action, self.focus) if version is not None else frozenset()
        kept: dict[str, Candidate] = {}
        for candidate in candidates:
            if candidate.fact is not None and candidate.fact not in facts:
                continue
            if candidate.rule is not None and candidate.rule not in rules:
                continue
            kept.setdefault(candidate.because, candidate)
        return tuple(kept[k] for k in sorted(kept))

    def time_can_still_matter(self, point: Point, rules: Iterable[Rule]) -> bool:
        """Whether time alone may still change how ``rules`` stand after ``point``: before the
        last fixed change point, or while a schedule or a ``now``-dependent value can move."""
        if point.at < self.last_static:
            return True
        chosen = tuple(rules)
        if self.dynamic(point, chosen):
            return True
        # A schedule matters only while its rule could restrict in an occurrence: its
        # conditions, which no longer change by time here, are not false.
        ctx = Context(point.fact_values, point.at, self.bundle.timezone)
        return any(
            rule.schedule is not None and assess_rule(self.bundle, rule, ctx, point.facts) is not None
            for rule in chosen
        )


def _now_changes(node: n.Expr, ctx: Context) -> list[datetime]:
    """Instants after which a ``now``-dependent sub-expression of ``node`` takes another value."""
    found: list[datetime] = []
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(n.children(current))
        try:
            found.extend(_changes_of(current, ctx))
        except (EvaluationError, ValueError, TypeError, OverflowError):
            continue
    return found


def _instant(value: object, ctx: Context) -> datetime | None:
    converted = as_instant(value, ctx.zone)
    return converted if isinstance(converted, datetime) else None


def _changes_of(node: n.Expr, ctx: Context) -> list[datetime]:
    zone = ctx.zone
    if isinstance(node, n.Call) and node.func in ("years_between", "months_between", "days_between"):
        first, second = node.args
        if not isinstance(second, n.Now) or n.uses_now(first):
            return []
        origin = interpret(first, ctx)
        base = _instant(origin, ctx)
        if base is None:
            return []
        current = interpret(node, ctx)
        if not isinstance(current, int):
            return []
        if node.func == "days_between":
            if isinstance(origin, datetime):
                return [base + timedelta(days=current + 1)]
            local_now = ctx.now.astimezone(zone)
            return [localize(datetime.combine(local_now.date() + timedelta(days=1), datetime.min.time()), zone)]
        unit = Duration(years=current + 1) if node.func == "years_between" else Duration(months=current + 1)
        return [leaves_window(base, unit, zone)]
    if isinstance(node, n.Compare) and node.op in ("<", "<=", ">", ">=", "==", "!="):
        for now_side, other in ((node.left, node.right), (node.right, node.left)):
            shift = _linear_in_now(now_side)
            if shift is None or n.uses_now(other):
                continue
            target = _instant(interpret(other, ctx), ctx)
            if target is None:
                continue
            duration, sign = shift
            moment = target if duration is None else duration.shift(target, zone, -sign)
            return [moment, moment + timedelta(microseconds=1)]
    return []


def _linear_in_now(node: n.Expr) -> tuple[Duration | None, int] | None:
    """``now`` → (None, 0); ``now ± duration("…")`` → (duration, ±1); anything else → None."""
    if isinstance(node, n.Now):
        return None, 0
    if isinstance(node, n.Binary) and node.op in ("+", "-") and isinstance(node.left, n.Now):
        right = node.right
        if isinstance(right, n.Call) and right.func == "duration" and isinstance(right.args[0], n.Literal):
            return Duration.parse(str(right.args[0].value)), (1 if node.op == "+" else -1)
    return None


__all__ = ["HORIZON", "MAX_STEPS", "Candidate", "Walk"]
