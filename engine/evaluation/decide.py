"""``decide`` and ``timeline``: a decision with its explanation, and decisions over a range.

``decide`` evaluates (account, action, T, K), then walks the change points after T with
the history as it stands (no new events) to find when each restriction lifts and when
the decision or its reasons next change. ``timeline`` replays the history over a range
and returns the exact half-open intervals in which the decision and its reasons are
constant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chronolex.errors import ChronolexError, Diagnostic, Severity
from chronolex.evaluation.changes import MAX_STEPS, Candidate, Walk
from chronolex.evaluation.decision import Decision, DecisionNote, Evidence, Lift, NextChange, Reason
from chronolex.evaluation.facts import FactValue, needed_facts
from chronolex.evaluation.assess import Evaluator, Point, RuleOutcome
from chronolex.events.event import AccountHistory
from chronolex.lang import RUN_TIME_FAULTS
from chronolex.lang import nodes as n
from chronolex.lang.interpret import deciding_part, interpret
from chronolex.lang.negate import lift_condition
from chronolex.lang.values import Context
from chronolex.lang.render import render
from chronolex.model import Bundle, Rule
from chronolex.time.activity import active_by_time
from chronolex.instants import format_instant


def _chosen_because(bundle: Bundle, point: Point) -> str:
    version = point.version
    if version is None:
        known = f" published by {format_instant(point.known_at, bundle.timezone)}" if point.known_at else ""
        return f"no version{known} takes effect at or before this instant"
    zone = bundle.timezone
    text = (f"the latest version in force at this instant: effective from "
            f"{format_instant(version.effective_from, zone)}")
    if point.known_at is not None:
        text += f", published {format_instant(version.published_at, zone)} (known by then)"
    rivals = [v for v in bundle.versions if v.effective_from == version.effective_from and v.id != version.id
              and (point.known_at is None or v.published_at <= point.known_at)]
    if rivals:
        text += f"; it supersedes {', '.join(v.id for v in rivals)}, published earlier for the same date"
    return text


def _deciding(rule: Rule, ctx: Context) -> tuple[n.Expr | None, n.Expr | None]:
    """The parts of ``when`` and ``unless`` that decided the rule's outcome in ``ctx``
    (the reference interpreter with a tracer: only explanations pay for it)."""
    when = deciding_part(rule.when.ast, ctx) if rule.when is not None else None
    unless = deciding_part(rule.unless.ast, ctx) if rule.unless is not None else None
    return when, unless


def _evidence(bundle: Bundle, parts: tuple[n.Expr | None, n.Expr | None],
              facts: Mapping[str, FactValue]) -> tuple[Evidence, ...]:
    """The facts the deciding parts read (with what the expr facts among them read)."""
    names = needed_facts(bundle, {name for part in parts if part is not None for name in n.names(part)})
    return tuple(
        Evidence(name, facts[name].value, facts[name].events, facts[name].total_events)
        for name in sorted(names)
        if name in facts
    )


def _lift_when(parts: tuple[n.Expr | None, n.Expr | None]) -> str | None:
    condition = lift_condition(*parts)
    return render(condition) if condition is not None else None


def decide(
    bundle: Bundle,
    history: AccountHistory,
    action: str,
    at: datetime,
    known_at: datetime | None = None,
    *,
    evaluator: Evaluator | None = None,
) -> Decision:
    """The decision for ``history``'s account and ``action`` at ``at`` as known at ``known_at``.

    >>> decision = decide(bundle, history, "open", at)  # doctest: +SKIP
    >>> decision.decision, decision.blocked_by  # doctest: +SKIP
    ('blocked', ('platform',))
    """
    evaluator = evaluator or Evaluator(bundle)
    point = evaluator.point(history, action, at, known_at, cutoff=at)
    return _explain(evaluator, point, history, history.account)


def decide_with_facts(
    bundle: Bundle, facts: Mapping[str, FactValue], action: str, at: datetime, *, evaluator: Evaluator | None = None
) -> Decision:
    """The decision with fact values given directly (no events, so only time-bound changes follow)."""
    evaluator = evaluator or Evaluator(bundle)
    empty = AccountHistory("", ())
    point = evaluator.point(empty, action, at, given=facts)
    return _explain(evaluator, point, empty, None, given=facts)


def _explain(evaluator: Evaluator, point: Point, history: AccountHistory, account: str | None,
             given: Mapping[str, FactValue] | None = None) -> Decision:
    bundle = evaluator.bundle
    assessment = point.assessment
    walks: list[Walk] = []

    def new_walk(**focus: Any) -> Walk:
        walk = Walk(evaluator, history, point.action, point.at, point.known_at, given=given, **focus)
        walks.append(walk)
        return walk

    next_change = _next_change(evaluator, point, new_walk())
    pending = frozenset(o.rule.id for o in assessment.restricting)
    lifts = _lifts(evaluator, point, new_walk(focus=pending))
    reasons = tuple(_as_reason(bundle, o, point, lifts) for o in assessment.restricting)
    undetermined = tuple(_as_reason(bundle, o, point, {}) for o in assessment.undetermined)
    block_lifts = _block_lifts(evaluator, point, reasons, new_walk)
    notes = tuple(sorted({note for value in point.facts.values() for note in value.notes}))
    coded: list[DecisionNote] = []
    stopped = [w.stopped_at for w in walks if w.stopped_at is not None]
    if stopped:
        coded.append(DecisionNote(
            "walk-stopped", {"at": min(stopped), "steps": MAX_STEPS},
            f"the search for what changes next stopped at {format_instant(min(stopped), bundle.timezone)} "
            f"after {MAX_STEPS:,} change points: a change or lift after it is not known (not 'none')"))
    if any(w.out_of_range for w in walks):
        coded.append(DecisionNote(
            "out-of-range", {"after": walks[0].limit},
            f"no change was looked for after {format_instant(walks[0].limit, bundle.timezone)}, the end of "
            "the supported years: a change or lift after it is not known (not 'none')"))
    notes += tuple(note.text for note in coded)
    return Decision(
        bundle=bundle,
        account=account,
        action=point.action,
        at=point.at,
        known_at=point.known_at,
        decision=assessment.decision,
        version=assessment.version,
        chosen_because=_chosen_because(bundle, point),
        blocked_by=assessment.blocked_by(bundle),
        reasons=reasons,
        undetermined=undetermined,
        next_change=next_change,
        notes=notes,
        lifts=block_lifts,
        facts=point.facts,
        coded_notes=tuple(coded),
    )


def _as_reason(bundle: Bundle, outcome: RuleOutcome, point: Point, lifts: Mapping[str, Lift]) -> Reason:
    rule = outcome.rule
    parts = _deciding(rule, Context(point.fact_values, point.at, bundle.timezone))
    lift = lifts.get(rule.id)
    when = _lift_when(parts)
    if lift is None:
        lift = Lift(None, when)
    elif lift.when is None:
        lift = Lift(lift.at, when, lift.because, lift.facts)
    sharper = parts[0] is not None and rule.when is not None and parts[0] != rule.when.ast
    decided_by = render(parts[0]) if sharper and parts[0] is not None else None
    return Reason(rule, _evidence(bundle, parts, point.facts), lift, outcome.missing, outcome.settled_by,
                  outcome.error, decided_by)


def _next_change(evaluator: Evaluator, first: Point, walk: Walk) -> NextChange:
    """The first change point at which the decision or its reasons differ, if time alone brings one."""
    bundle = evaluator.bundle
    for point, because in walk.points(first):
        assessment = point.assessment
        if assessment.signature != first.assessment.signature:
            return NextChange(point.at, assessment.decision, assessment.blocked_by(bundle), because)
        rules_now = evaluator.rules_for(point.version, walk.action) if point.version is not None else ()
        if not walk.time_can_still_matter(point, rules_now):
            break
    return NextChange(None)


def _block_lifts(evaluator: Evaluator, first: Point, reasons: tuple[Reason, ...],
                 new_walk: Callable[[], Walk]) -> Lift | None:
    """When the block as a whole lifts (None unless blocked): the first change point at
    which the decision is no longer ``blocked``. A reason that ends can give way to another
    that starts meanwhile (a weekly window inside a longer upgrade), so this is not the
    latest of the reasons' own lifts. A reason that time alone does not lift makes the end
    unknown (``at`` None, ``when`` what would lift it), and so does a walk that ends blocked.
    """
    if first.assessment.decision != "blocked":
        return None
    by_condition = [r.lifts.when if r.lifts is not None else None for r in reasons
                    if r.lifts is None or r.lifts.at is None]
    if by_condition:
        return Lift(None, "; ".join(w for w in by_condition if w) or None)
    # The reason that lifts last restricts without a break until it lifts, so the block
    # lasts at least until then: look there first, and walk on only if it goes on.
    last = max(reasons, key=lambda r: r.lifts.at if r.lifts is not None and r.lifts.at is not None else first.at)
    assert last.lifts is not None and last.lifts.at is not None
    walk = new_walk()
    point = evaluator.point(walk.history, first.action, last.lifts.at, first.known_at, cutoff=walk.cutoff,
                            given=walk.given)
    if point.assessment.decision != "blocked":
        return Lift(last.lifts.at, None, last.lifts.because)
    for point, because in walk.points(point):
        if point.assessment.decision != "blocked":
            return Lift(point.at, None, "; ".join(because))
        rules_now = evaluator.rules_for(point.version, walk.action) if point.version is not None else ()
        if not walk.time_can_still_matter(point, rules_now):
            break
    return Lift(None)


def _lifts(evaluator: Evaluator, first: Point, walk: Walk) -> dict[str, Lift]:
    """For each restriction at ``first``, the first change point at which it no longer holds,
    explained by what moved its own rule there."""
    pending = {o.rule.id: o.rule for o in first.assessment.restricting}
    lifts: dict[str, Lift] = {}
    if not pending:
        return lifts
    focused = walk.evaluator.point(walk.history, first.action, first.at, first.known_at, cutoff=walk.cutoff,
                                   given=walk.given, only=walk.focus)
    for point, candidates in walk.steps(focused):
        still = {o.rule.id for o in point.assessment.restricting}
        for rule_id in sorted(pending):
            if rule_id not in still:
                lifts[rule_id] = _lift_at(evaluator, pending[rule_id], first, point, candidates)
                del pending[rule_id]
        if not pending or not walk.time_can_still_matter(point, pending.values()):
            break
    return lifts


def _lift_at(evaluator: Evaluator, before: Rule, first: Point, point: Point,
             candidates: tuple[Candidate, ...]) -> Lift:
    """The lift of ``before`` at ``point``, explained by what decides there: the version that
    drops or changes the rule, the end of the rule's own time bounds, or a change of a fact
    that the deciding part of its condition reads at ``point``. Other change points that
    happen to coincide (a fact of another rule, of another version) are not named."""
    bundle = evaluator.bundle
    now = next((r for r in evaluator.rules_for(point.version, point.action) if r.id == before.id), None) \
        if point.version is not None else None
    versions = [c for c in candidates if c.version is not None]
    if now is None:  # no version in force, or the one in force has no such rule
        chosen = versions
    else:
        changed = _effect(now) != _effect(before)
        if not active_by_time(now, point.at, bundle.timezone):
            chosen = [c for c in candidates if c.rule == before.id]
        else:
            read = _deciding_facts(bundle, now, Context(point.fact_values, point.at, bundle.timezone))
            chosen = [c for c in candidates if c.fact in read or c.rule == before.id]
        if changed or not chosen:
            chosen = versions + chosen
    if not chosen:  # no change point names it: say which of the rule's facts moved
        moved = _moved_facts(bundle, before, first, point)
        because = "; ".join(f"{name} becomes {point.facts[name].value}" for name in moved)
        return Lift(point.at, None, because or None, moved)
    facts = tuple(sorted({c.fact for c in chosen if c.fact is not None}))
    return Lift(point.at, None, "; ".join(sorted({c.because for c in chosen})), facts)


def _effect(rule: Rule) -> tuple[object, ...]:
    """What decides whether ``rule`` restricts (its texts aside)."""
    return (rule.when.text if rule.when else None, rule.unless.text if rule.unless else None, rule.on_unknown,
            rule.active, rule.window, rule.schedule, rule.actions)


def _deciding_facts(bundle: Bundle, rule: Rule, ctx: Context) -> frozenset[str]:
    """The facts read by the part of ``rule``'s conditions that keeps it from restricting
    in ``ctx``: the false part of ``when``, else the true part of ``unless``, else (an
    unknown outcome) the deciding parts of both."""
    try:
        when = interpret(rule.when.ast, ctx) if rule.when is not None else True
        unless = interpret(rule.unless.ast, ctx) if rule.unless is not None else False
    except RUN_TIME_FAULTS:  # a fault is explained by the whole of both conditions
        when = unless = None
    parts: list[n.Expr] = []
    if when is False and rule.when is not None:
        parts.append(deciding_part(rule.when.ast, ctx))
    elif unless is True and rule.unless is not None:
        parts.append(deciding_part(rule.unless.ast, ctx))
    else:
        parts.extend(p for p in _deciding(rule, ctx) if p is not None)
    return needed_facts(bundle, {name for part in parts for name in n.names(part)})


def _moved_facts(bundle: Bundle, rule: Rule, first: Point, point: Point) -> tuple[str, ...]:
    """The facts ``rule`` reads whose values differ between ``first`` and ``point``."""
    names = needed_facts(bundle, {f for c in (rule.when, rule.unless) if c is not None for f in c.facts})
    return tuple(name for name in sorted(names) if name in first.facts and name in point.facts
                 and first.facts[name].value != point.facts[name].value)


@dataclass(frozen=True, slots=True)
class TimelineInterval:
    """A half-open span ``[start, end)`` in which the decision and its reasons are constant."""

    start: datetime
    end: datetime
    point: Point
    because: tuple[str, ...] = ()

    def to_json(self, bundle: Bundle) -> dict[str, Any]:
        zone = bundle.timezone
        assessment = self.point.assessment
        return {
            "from": format_instant(self.start, zone),
            "to": format_instant(self.end, zone),
            "decision": assessment.decision,
            "version": assessment.version.id if assessment.version else None,
            "blocked_by": list(assessment.blocked_by(bundle)),
            "rules": [o.rule.id for o in assessment.restricting],
            "undetermined": [o.rule.id for o in assessment.undetermined],
            "because": list(self.because),
        }


def timeline(
    bundle: Bundle,
    history: AccountHistory,
    action: str,
    start: datetime,
    end: datetime,
    known_at: datetime | None = None,
    *,
    evaluator: Evaluator | None = None,
) -> tuple[TimelineInterval, ...]:
    """The exact intervals over ``[start, end)``: consecutive, half-open, covering the range.

    Events arrive as they did (a replay), so an event inside the range starts a new
    interval when it changes the decision or its reasons.
    """
    if end <= start:
        return ()
    evaluator = evaluator or Evaluator(bundle)
    first = evaluator.point(history, action, start, known_at)
    walk = Walk(evaluator, history, action, start, known_at, end=end, replay_events=True)
    intervals: list[TimelineInterval] = []
    current, current_start = first, start
    current_because: tuple[str, ...] = ()
    for point, because in walk.points(first):
        if point.assessment.signature != current.assessment.signature:
            intervals.append(TimelineInterval(current_start, point.at, current, current_because))
            current, current_start, current_because = point, point.at, because
    if walk.stopped_at is not None:
        # Closing the last interval at ``end`` would claim that nothing changes over a range
        # nobody examined (a 210-year block): the answer stops where the walk did.
        if walk.stopped_at > current_start:
            intervals.append(TimelineInterval(current_start, walk.stopped_at, current, current_because))
        raise IncompleteTimeline(tuple(intervals), walk.stopped_at, end, bundle)
    intervals.append(TimelineInterval(current_start, end, current, current_because))
    return tuple(intervals)


class IncompleteTimeline(ChronolexError):
    """A timeline whose walk took :data:`~chronolex.evaluation.changes.MAX_STEPS` change
    points before reaching the end of its range. ``intervals`` are exact up to
    ``stopped_at``; ``[stopped_at, end)`` was not examined, so no answer is given for it."""

    def __init__(self, intervals: tuple[TimelineInterval, ...], stopped_at: datetime, end: datetime,
                 bundle: Bundle) -> None:
        zone = bundle.timezone
        super().__init__([Diagnostic(
            "timeline-incomplete", Severity.ERROR,
            f"the timeline stopped at {format_instant(stopped_at, zone)} after {MAX_STEPS:,} change points; "
            f"[{format_instant(stopped_at, zone)}, {format_instant(end, zone)}) was not examined",
            None, "ask for a shorter range (several timelines), or accept the part computed (--allow-partial)",
        )])
        self.intervals = intervals
        self.stopped_at = stopped_at
        self.end = end
