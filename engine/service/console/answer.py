"""The answer a support agent reads on the account page, as data for its template.

Everything said to the customer comes from the engine's plain-language answer
(:func:`~chronolex.explain.plain.plain_answer`, :func:`summary_sentence`), so the page
and ``chronolex why`` cannot disagree; this module adds what the page shows beside it
(a badge per category, each reason's evidence, version and citation) and the reply to
copy. Values stay text here; the template escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chronolex.evaluation.decision import Decision, Reason
from chronolex.events.event import Event
from chronolex.explain.differences import category_title, event_title, value_words
from chronolex.explain.locales import LocaleChoice
from chronolex.explain.plain import PlainReason, action_phrase, missing_texts, plain_answer
from chronolex.instants import format_instant
from chronolex.model import Bundle

#: The badge states: the category blocks, nothing of it applies, or a rule of it could
#: not be checked for want of a fact.
BLOCKS, CLEAR, UNKNOWN = "blocks", "clear", "unknown"
#: Events shown per fact; the rest are counted.
SHOWN_EVENTS = 3


@dataclass(frozen=True, slots=True)
class Badge:
    category: str
    title: str
    state: str


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """A fact the rule read, its value, and the events behind it (in words)."""

    fact: str
    title: str
    value: str
    events: tuple[str, ...]
    more: int


@dataclass(frozen=True, slots=True)
class ReasonView:
    rule: str
    category: str
    category_title: str
    plain: PlainReason
    lifts_at: str | None
    evidence: tuple[EvidenceView, ...]
    citation: str | None
    citation_url: str | None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionAnswer:
    """One action's answer: the headline and badges, the sentence, each reason, the
    version that decided, and the next change."""

    action: str
    action_title: str
    decision: str
    headline: str
    summary: str
    badges: tuple[Badge, ...]
    reasons: tuple[ReasonView, ...]
    undetermined: tuple[ReasonView, ...]
    version: str | None
    version_start: str | None
    next_change: str | None
    notes: tuple[str, ...]


def verdict_word(decision: str, labels: Mapping[str, str]) -> str:
    return labels[f"verdict_{decision}"]


def headline(decision: Decision, choice: LocaleChoice, labels: Mapping[str, str]) -> str:
    """"Blocked — Platform strategy": the verdict, and the blocking categories by title."""
    word = verdict_word(decision.decision, labels)
    if decision.decision != "blocked":
        return word
    titles = [category_title(decision.bundle, name, choice.locale) for name in decision.blocked_by]
    return f"{word} — {choice.words.join(titles)}"


def badges(decision: Decision, choice: LocaleChoice) -> tuple[Badge, ...]:
    """A badge per category of the bundle, in precedence order."""
    pending = {r.category for r in decision.undetermined}
    out = []
    for name, category in sorted(decision.bundle.categories.items(), key=lambda kv: (kv[1].precedence, kv[0])):
        state = BLOCKS if name in decision.blocked_by else UNKNOWN if name in pending else CLEAR
        out.append(Badge(name, category.title_in(choice.locale), state))
    return tuple(out)


def event_words(event: Event, bundle: Bundle, choice: LocaleChoice) -> str:
    """An event as the page lists it: its title from the event catalog, and when."""
    return f"{event_title(bundle, event.type)} · {choice.words.when(event.at, bundle.timezone, zone_shown=False)}"


def _reason_view(reason: Reason, plain: PlainReason, decision: Decision, choice: LocaleChoice,
                 labels: Mapping[str, str]) -> ReasonView:
    bundle = decision.bundle
    rule = reason.rule
    evidence = tuple(
        EvidenceView(e.fact, (bundle.facts[e.fact].title if e.fact in bundle.facts else None) or e.fact,
                     value_words(e.value, bundle, labels),
                     tuple(event_words(x, bundle, choice) for x in e.events[-SHOWN_EVENTS:]),
                     max(e.total_events, len(e.events)) - min(len(e.events), SHOWN_EVENTS))
        for e in reason.evidence)
    citation = url = None
    if rule.source is not None:
        parts = [rule.source.authority, rule.source.document, rule.source.clause]
        citation = ", ".join(p for p in parts if p)
        url = rule.source.url if rule.source.url and rule.source.url.startswith(("https://", "http://")) else None
    lifts = reason.lifts.at if reason.lifts is not None else None
    return ReasonView(rule.id, rule.category, category_title(bundle, rule.category, choice.locale), plain,
                      format_instant(lifts, bundle.timezone) if lifts else None, evidence, citation, url,
                      reason.missing)


def action_answer(decision: Decision, choice: LocaleChoice, labels: Mapping[str, str]) -> ActionAnswer:
    """The page's view of one decision."""
    bundle = decision.bundle
    answer = plain_answer(decision, choice)
    reasons = tuple(_reason_view(r, p, decision, choice, labels) for r, p in zip(decision.reasons, answer.reasons))
    pending = tuple(_reason_view(r, p, decision, choice, labels)
                    for r, p in zip(decision.undetermined, answer.undetermined))
    version = decision.version
    change = decision.next_change
    next_change = None
    if change is not None:
        next_change = (labels["no_next_change"] if change.at is None else
                       f"{choice.words.when(change.at, bundle.timezone)}{labels['colon']}"
                       f"{verdict_word(change.decision or 'allowed', labels)}"
                       + (f" — {choice.words.join([category_title(bundle, c, choice.locale) for c in change.blocked_by])}"
                          if change.blocked_by else ""))
    notes = [note_words(note, decision, choice, labels) for note in decision.notes]
    if choice.note:
        notes.append(choice.note)
    missing = missing_texts(decision, choice)
    if missing:
        notes.append(labels["missing_text"].format(locale=choice.locale, items=labels["list_sep"].join(missing),
                                                    default=bundle.default_locale))
    return ActionAnswer(
        decision.action, action_phrase(bundle, decision.action, choice), decision.decision,
        headline(decision, choice, labels), answer.summary, badges(decision, choice), reasons, pending,
        f"{bundle.name}@{version.id}" if version else None,
        choice.words.when(version.effective_from, bundle.timezone) if version else None,
        next_change, tuple(notes))


def note_words(note: str, decision: Decision, choice: LocaleChoice, labels: Mapping[str, str]) -> str:
    """A note of the decision in the page's language: a note the engine gave a code
    (:class:`~chronolex.evaluation.decision.DecisionNote`) is worded from it when the labels
    have words for that code; any other note (and every note in English) as the engine wrote it."""
    coded = next((c for c in decision.coded_notes if c.text == note), None)
    key = "note_" + coded.code.replace("-", "_") if coded is not None else ""
    if coded is None or key not in labels:
        return note
    values = {name: choice.words.when(value, decision.bundle.timezone) if isinstance(value, datetime) else value
              for name, value in coded.values.items()}
    return labels[key].format(**values)


def customer_reply(answers: Sequence[ActionAnswer], choice: LocaleChoice) -> str:
    """The reply to send the customer: for each action that is not simply allowed, the
    sentence, then each reason's message, remedy and when it ends. Built from the same
    texts the page shows, in the customer's language."""
    zh = choice.words.locale == "zh-CN"
    paragraphs = []
    for answer in answers:
        lines = [answer.summary]
        for reason in answer.reasons:
            text = ("" if zh else " ").join(t for t in (reason.plain.message, reason.plain.remedy) if t) \
                or reason.plain.title
            ends = f"（{reason.plain.ends}）" if zh else f" ({reason.plain.ends[:1].upper()}{reason.plain.ends[1:]}.)"
            lines.append(f"- {text}{ends if reason.plain.ends else ''}")
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs) + "\n"


def answer_instant(at: datetime, bundle: Bundle, choice: LocaleChoice) -> str:
    """The instant of the answer in words, with the zone's name."""
    return choice.words.when(at, bundle.timezone)
