"""Decisions and timelines as text. By default for a support agent (:func:`render_plain`):
one sentence to read to the customer, then each reason's message and remedy, in the
customer's language. With ``--details`` for an engineer (:func:`render_decision`): the
verdict, then each reason with its rule id, condition, evidence, citation and ISO lift
instant, then what changes next. Pure functions from engine data to strings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chronolex import Bundle, format_instant, twice_on_the_clock
from chronolex import Decision, Reason, TimelineInterval, json_value
from chronolex import LocaleChoice, PlainReason, action_phrase, interval_words, missing_texts, plain_answer, span_words

_VERDICT = {"allowed": "Allowed", "blocked": "Blocked", "undetermined": "Undetermined", "no_policy": "No policy"}


def _short(instant: datetime, bundle: Bundle, reference: datetime | None = None) -> str:
    """An instant in the bundle timezone; only the time when it falls on the reference day
    and the clocks show that time once (in the hour they go back, "01:30" is two instants)."""
    local = instant.astimezone(bundle.timezone)
    if reference is not None and local.date() == reference.astimezone(bundle.timezone).date() \
            and not twice_on_the_clock(local):
        return local.strftime("%H:%M")
    return format_instant(instant, bundle.timezone)


def verdict_line(decision: Decision) -> str:
    """"Blocked — regulation: REG-STUDENT-LENDING; maintenance: MW-CORE-UPGRADE until 05:00"."""
    bundle = decision.bundle
    head = _VERDICT[decision.decision]
    if decision.decision == "blocked":
        parts = []
        for category in decision.blocked_by:
            rules = []
            for reason in (r for r in decision.reasons if r.category == category):
                text = reason.rule.id
                if reason.lifts is not None and reason.lifts.at is not None:
                    text += f" until {_short(reason.lifts.at, bundle, decision.at)}"
                rules.append(text)
            parts.append(f"{category}: {', '.join(rules)}")
        return f"{head} — " + "; ".join(parts)
    if decision.decision == "undetermined":
        missing = sorted({m for r in decision.undetermined for m in r.missing})
        return f"{head} — missing facts: {', '.join(missing) or 'see below'}"
    if decision.decision == "no_policy":
        return f"{head} — no policy version is in force at this instant"
    return head


def _value(value: object, bundle: Bundle) -> str:
    shown = json_value(value, bundle.timezone)
    return "unknown" if shown is None else str(shown).lower() if isinstance(shown, bool) else str(shown)


def _reason_lines(reason: Reason, decision: Decision, undetermined: bool) -> list[str]:
    bundle = decision.bundle
    rule = reason.rule
    category = bundle.categories.get(rule.category)
    lines = [f"  {rule.id} ({category.title if category else rule.category})" + (f": {rule.title}" if rule.title else "")]
    if rule.when is not None:
        lines.append(f"    condition: {rule.when.text}" + (f"   unless: {rule.unless.text}" if rule.unless else ""))
        if reason.decided_by is not None:
            lines.append(f"    decided by: {reason.decided_by}")
    for evidence in reason.evidence:
        events = ""
        if evidence.events:
            shown = ", ".join(f"{e.type} {_short(e.at, bundle)}" for e in evidence.events[-3:])
            more = evidence.total_events - min(len(evidence.events), 3)
            events = f"  (from {shown}{f' and {more} more' if more > 0 else ''})"
        lines.append(f"    {evidence.fact} = {_value(evidence.value, bundle)}{events}")
    if undetermined:
        lines.append(f"    missing: {', '.join(reason.missing) or '—'}")
    if reason.settled_by:
        lines.append(f"    settled by {reason.settled_by} (a fact is missing: {', '.join(reason.missing)})")
    if reason.error:
        lines.append(f"    evaluation error: {reason.error}")
    if rule.source is not None:
        clause = f", {rule.source.clause}" if rule.source.clause else ""
        lines.append(f"    source: {rule.source.authority}, {rule.source.document}{clause}")
    if rule.message:
        lines.append(f"    message: {rule.message}")
    if rule.remedy:
        lines.append(f"    remedy: {rule.remedy}")
    if not undetermined and reason.lifts is not None:
        if reason.lifts.at is not None:
            because = f" ({reason.lifts.because})" if reason.lifts.because else ""
            lines.append(f"    lifts: {format_instant(reason.lifts.at, bundle.timezone)}{because}")
        elif reason.lifts.when:
            lines.append(f"    lifts: when {reason.lifts.when} (time alone does not lift it)")
        else:
            lines.append("    lifts: not by time alone")
    return lines


def render_decision(decision: Decision) -> str:
    bundle = decision.bundle
    zone = bundle.timezone
    account = decision.account or "(given facts)"
    known = f", as known at {format_instant(decision.known_at, zone)}" if decision.known_at else ""
    lines = [
        f"{account} · {decision.action} · {format_instant(decision.at, zone)}{known}",
        verdict_line(decision),
    ]
    if decision.version is not None:
        lines.append(f"policy: {bundle.name}@{decision.version.id} ({decision.chosen_because})")
    else:
        lines.append(f"policy: none ({decision.chosen_because})")
    if decision.reasons:
        lines.append("reasons:")
        for reason in decision.reasons:
            lines += _reason_lines(reason, decision, undetermined=False)
    if decision.undetermined:
        lines.append("undetermined (a fact is missing):")
        for reason in decision.undetermined:
            lines += _reason_lines(reason, decision, undetermined=True)
    change = decision.next_change
    if change is not None:
        if change.at is None:
            lines.append("next change: none without a new event")
        else:
            after = _VERDICT[change.decision or "allowed"].lower()
            by = f" ({', '.join(change.blocked_by)})" if change.blocked_by else ""
            because = f": {'; '.join(change.because)}" if change.because else ""
            lines.append(f"next change: {format_instant(change.at, zone)} → {after}{by}{because}")
    for note in decision.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def render_timeline(intervals: Sequence[TimelineInterval], bundle: Bundle, account: str, action: str) -> str:
    zone = bundle.timezone
    lines = [f"{account} · {action} · times in {zone.key}"]
    for interval in intervals:
        assessment = interval.point.assessment
        reasons = ", ".join(o.rule.id for o in assessment.restricting)
        pending = ", ".join(o.rule.id for o in assessment.undetermined)
        detail = " ".join(x for x in (f"by {reasons}" if reasons else "", f"(undetermined: {pending})" if pending else "") if x)
        version = f"@{assessment.version.id}" if assessment.version else ""
        lines.append(f"[{format_instant(interval.start, zone)}, {format_instant(interval.end, zone)})  "
                     f"{assessment.decision:<12} {version:<9} {detail}".rstrip())
    return "\n".join(lines) + "\n"


# -- plain language (the default for a person; the forms above are --details) ------------

_LABELS = {
    "en": {"remedy": "What to do", "unchecked": "Could not be checked (information missing):",
           "details": "(rule ids, conditions and evidence: --details)", "times": "times are {zone}",
           "known": "as known at {when}"},
    "zh-CN": {"remedy": "解决办法", "unchecked": "暂时无法核实（缺少信息）：",
              "details": "（规则编号、条件和依据：--details）", "times": "时间均为{zone}",
              "known": "按{when}时已知的信息"},
}


def _labels(choice: LocaleChoice) -> dict[str, str]:
    return _LABELS.get(choice.words.locale, _LABELS["en"])


def _plain_reason_lines(reason: PlainReason, labels: dict[str, str], zh: bool) -> list[str]:
    ends = f"（{reason.ends}）" if zh and reason.ends else f" ({reason.ends})" if reason.ends else ""
    lines = [f"• {reason.title}{ends}"]
    if reason.message:
        lines.append(f"  {reason.message}")
    if reason.remedy:
        lines.append(f"  {labels['remedy']}{'：' if zh else ': '}{reason.remedy}")
    return lines


def render_plain(decision: Decision, choice: LocaleChoice) -> str:
    """The answer a support agent reads out: the sentence, then each reason's message and
    remedy in the customer's language, then the notes; no rule ids, conditions or ISO
    instants (those are :func:`render_decision`, ``--details``)."""
    bundle = decision.bundle
    answer = plain_answer(decision, choice)
    labels = _labels(choice)
    zh = choice.words.locale == "zh-CN"
    account = decision.account or "(given facts)"
    when = choice.words.when(decision.at, bundle.timezone)
    head = f"{account} · {action_phrase(bundle, decision.action, choice)} · {when}"
    if decision.known_at is not None:
        # An answer "as known at K" is not today's answer: the reader must see that first.
        head += " · " + labels["known"].format(when=choice.words.when(decision.known_at, bundle.timezone))
    lines = [head, answer.summary]
    for reason in answer.reasons:
        lines += _plain_reason_lines(reason, labels, zh)
    if answer.undetermined:
        lines.append(labels["unchecked"])
        for reason in answer.undetermined:
            lines += _plain_reason_lines(reason, labels, zh)
    for note in _plain_notes(decision, choice):
        lines.append(f"note: {note}")
    lines.append(labels["details"])
    return "\n".join(lines) + "\n"


def _plain_notes(decision: Decision, choice: LocaleChoice) -> list[str]:
    notes = list(decision.notes)
    if choice.note:
        notes.append(choice.note)
    missing = missing_texts(decision, choice)
    if missing:
        notes.append(f"no {choice.locale} text for {', '.join(missing)}: shown in {decision.bundle.default_locale}")
    return notes


def render_plain_timeline(intervals: Sequence[TimelineInterval], bundle: Bundle, account: str, action: str,
                          choice: LocaleChoice) -> str:
    """A timeline as plain intervals: when, and what holds in words (``--details``: rule ids)."""
    labels = _labels(choice)
    zone = choice.words.zone_name(bundle.timezone)
    merged: list[tuple[datetime, datetime, str]] = []
    for interval in intervals:  # intervals that differ only in rule ids read the same here: one row
        words = interval_words(interval, bundle, choice)
        if merged and merged[-1][2] == words and merged[-1][1] == interval.start:
            merged[-1] = (merged[-1][0], interval.end, words)
        else:
            merged.append((interval.start, interval.end, words))
    rows = [(span_words(start, end, bundle, choice), words) for start, end, words in merged]
    width = max((len(r[0]) for r in rows), default=0)
    lines = [f"{account} · {action_phrase(bundle, action, choice)} · {labels['times'].format(zone=zone)}"]
    lines += [f"{span:<{width}}  {words}" for span, words in rows]
    return "\n".join(lines) + "\n"
