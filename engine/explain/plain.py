"""The plain-language answer: one sentence a support agent can read to a customer, then
each reason in the customer's words.

The sentence says what is blocked, by which category of rule, and when the block *as a
whole* lifts (:attr:`~chronolex.evaluation.decision.Decision.lifts`), never the end of one
reason only: a maintenance window that ends at 04:00 inside an upgrade that ends at 05:00
does not end the block at 04:00. When time alone does not end it, the sentence says so.
Rule ids, conditions, fact values and ISO instants are not part of it; the caller shows
them on request. Pure functions from a decision and a :class:`LocaleChoice` to text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chronolex.evaluation.decide import TimelineInterval
from chronolex.evaluation.decision import Decision, Reason
from chronolex.explain.locales import LocaleChoice, Words, choose_locale
from chronolex.model import Bundle, Rule


@dataclass(frozen=True, slots=True)
class PlainReason:
    """One reason in the customer's words: its title, message, remedy and when it ends."""

    title: str
    message: str | None
    remedy: str | None
    ends: str


@dataclass(frozen=True, slots=True)
class PlainAnswer:
    """The answer for a support agent: the sentence, then each reason (``undetermined``:
    the rules that could not be checked for want of information)."""

    locale: str
    summary: str
    reasons: tuple[PlainReason, ...] = ()
    undetermined: tuple[PlainReason, ...] = ()


def action_phrase(bundle: Bundle, action: str, choice: LocaleChoice) -> str:
    """How a sentence names the action: the bundle's ``action_titles``, else a generic form."""
    titles = bundle.action_titles.get(action, {})
    phrase = titles.get(choice.locale) or titles.get(bundle.default_locale)
    if phrase:
        return phrase
    return f"“{action}”操作" if choice.words.locale == "zh-CN" else f"The action “{action}”"


def category_words(bundle: Bundle, categories: tuple[str, ...], words: Words, locale: str) -> str:
    """The blocking categories in words: built-in ones from the template (they read as
    part of a sentence), a bundle's own by their title in ``locale``."""
    named = []
    for name in categories:
        category = bundle.categories.get(name)
        named.append(words.categories.get(name) or (category.title_in(locale) if category else name))
    return words.join(named)


def _because(reasons: tuple[Reason, ...], bundle: Bundle, locale: str) -> list[str]:
    clauses: list[str] = []
    for reason in reasons:
        text = reason.rule.text("because", locale) or reason.rule.text("because", bundle.default_locale)
        if text and text not in clauses:
            clauses.append(text)
    return clauses


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def _phrase_locale(bundle: Bundle, action: str, choice: LocaleChoice) -> str:
    """The language :func:`action_phrase` gave its phrase in."""
    titles = bundle.action_titles.get(action, {})
    if titles.get(choice.locale):
        return choice.locale
    if titles.get(bundle.default_locale):
        return bundle.default_locale
    return choice.words.locale  # the template's generic phrase


def _mid_sentence(text: str, locale: str) -> str:
    """``text`` (in ``locale``) placed inside an English sentence: lower-cased at its start
    only when it is English; in German a capital marks a noun ("Kredit eröffnen"), and
    another language's text keeps its letters as its author wrote them."""
    return _lower_first(text) if locale.split("-")[0].lower() == "en" else text


def summary_sentence(decision: Decision, choice: LocaleChoice) -> str:
    """The one sentence for the customer.

    >>> summary_sentence.__name__
    'summary_sentence'
    """
    bundle, words = decision.bundle, choice.words
    zh = words.locale == "zh-CN"
    action = action_phrase(bundle, decision.action, choice)
    if decision.decision == "allowed":
        return f"{action}目前没有受到限制。" if zh else f"{action} is not blocked."
    if decision.decision == "undetermined":
        return (f"暂时无法判断{action}是否可行：账户缺少部分必要信息。" if zh
                else f"Whether {_mid_sentence(action, _phrase_locale(bundle, decision.action, choice))} is possible "
                     "cannot be decided yet: "
                     "some information about the account is missing.")
    if decision.decision == "no_policy":
        return (f"此时没有生效的政策，无法判断{action}是否可行。" if zh
                else f"No policy is in force at this time, so whether "
                     f"{_mid_sentence(action, _phrase_locale(bundle, decision.action, choice))} is possible "
                     "cannot be decided.")
    cats = category_words(bundle, decision.blocked_by, words, choice.locale)
    because = _because(decision.reasons, bundle, choice.locale)
    lifts = decision.lifts
    if zh:
        reason_text = f"，原因是{'；'.join(because)}" if because else ""
        if lifts is not None and lifts.at is not None:
            return f"{action}目前受{cats}限制，将于{words.when(lifts.at, bundle.timezone)}解除{reason_text}。"
        return f"{action}目前受{cats}限制{reason_text}。此限制没有固定的解除时间，需下列情况发生变化后才会解除。"
    reason_text = f", because {words.join(because)}" if because else ""
    if lifts is not None and lifts.at is not None:
        return f"{action} is blocked by {cats} until {words.when(lifts.at, bundle.timezone)}{reason_text}."
    return (f"{action} is blocked by {cats}{reason_text}. The block has no set end: "
            "it lifts only when the situation below changes.")


def _ends(reason: Reason, decision: Decision, words: Words) -> str:
    zh = words.locale == "zh-CN"
    lifts = reason.lifts
    if lifts is not None and lifts.at is not None:
        when = words.when(lifts.at, decision.bundle.timezone)
        return f"此项将于{when}解除" if zh else f"this part ends {when}"
    return "此项没有固定的解除时间" if zh else "this part has no set end"


def _missing_words(reason: Reason, bundle: Bundle, words: Words) -> str:
    """What information is missing, by the facts' titles (written in the default locale,
    so named only in an answer in that language)."""
    if words.locale != "en" or not reason.missing:
        return ""  # the heading says that information is missing
    titles = [bundle.facts[name].title or name if name in bundle.facts else name for name in reason.missing]
    return "missing: " + "; ".join(_mid_sentence(t, bundle.default_locale) for t in titles)


def _plain_reason(rule: Rule, choice: LocaleChoice, ends: str) -> PlainReason:
    return PlainReason(rule.text("title", choice.locale) or rule.id, rule.text("message", choice.locale),
                       rule.text("remedy", choice.locale), ends)


def plain_answer(decision: Decision, choice: LocaleChoice | None = None) -> PlainAnswer:
    """The decision in plain language, in ``choice`` (default: the bundle's default locale)."""
    choice = choice or choose_locale(decision.bundle)
    reasons = tuple(_plain_reason(r.rule, choice, _ends(r, decision, choice.words)) for r in decision.reasons)
    # A rule that could not be checked is not a block: its message and remedy would tell
    # the customer something that may not be true, so only its title and what is missing.
    undetermined = tuple(PlainReason(r.rule.text("title", choice.locale) or r.rule.id, None, None,
                                     _missing_words(r, decision.bundle, choice.words))
                         for r in decision.undetermined)
    return PlainAnswer(choice.locale, summary_sentence(decision, choice), reasons, undetermined)


def missing_texts(decision: Decision, choice: LocaleChoice) -> tuple[str, ...]:
    """The rules of the decision whose texts are not written in the chosen locale (they are
    shown in the default locale): a note for the reader, never a silent change of language."""
    rules = [r.rule for r in (*decision.reasons, *decision.undetermined)]
    return tuple(sorted({r.id for r in rules if r.texts and choice.locale not in r.texts}))


def localized_document(decision: Decision, choice: LocaleChoice) -> dict[str, Any]:
    """The decision document with the plain-language answer added: ``locale``, ``summary``
    (by locale) and, in each reason, its ``texts`` in that locale. What the text answer
    says under "note:" about the language is in ``notes`` too: a program that shows the
    summary must be able to tell that its sentence is in English around texts in another
    language, as a reader of the text answer can."""
    document = decision.to_json()
    language = [choice.note] if choice.note else []
    missing = missing_texts(decision, choice)
    if missing:
        language.append(f"no {choice.locale} text for {', '.join(missing)}: shown in {decision.bundle.default_locale}")
    if language:
        document["notes"] = [*document.get("notes", []), *language]
    document["locale"] = choice.locale
    document["summary"] = {choice.locale: summary_sentence(decision, choice)}
    for key, reasons in (("reasons", decision.reasons), ("undetermined", decision.undetermined)):
        for shown, reason in zip(document.get(key, []), reasons):
            texts = {name: reason.rule.text(name, choice.locale) for name in ("title", "message", "remedy", "because")}
            shown["texts"] = {choice.locale: {k: v for k, v in texts.items() if v is not None}}
    return document


def interval_words(interval: TimelineInterval, bundle: Bundle, choice: LocaleChoice) -> str:
    """What an interval of a timeline means, in words ("blocked by scheduled maintenance")."""
    assessment = interval.point.assessment
    zh = choice.words.locale == "zh-CN"
    decision = assessment.decision
    if decision == "blocked":
        cats = category_words(bundle, assessment.blocked_by(bundle), choice.words, choice.locale)
        return f"受{cats}限制" if zh else f"blocked by {cats}"
    if decision == "allowed":
        return "不受限制" if zh else "not blocked"
    if decision == "undetermined":
        return "无法判断（缺少信息）" if zh else "cannot be decided (information missing)"
    return "没有生效的政策" if zh else "no policy in force"


def span_words(start: datetime, end: datetime, bundle: Bundle, choice: LocaleChoice) -> str:
    """``[start, end)`` as a customer reads it, without the zone (a timeline names it once)."""
    words = choice.words
    first, last = words.when(start, bundle.timezone, zone_shown=False), words.when(end, bundle.timezone, zone_shown=False)
    return f"{first} 至 {last}" if words.locale == "zh-CN" else f"{first} – {last}"
