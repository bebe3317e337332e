"""Why a logged decision differs from today's replay, in the words of the page's language.

:mod:`chronolex.service.console.logged` keeps each reason as a code and its values; this
module words them with the console's labels, so a page in Chinese says every reason in
Chinese: instants as the answer gives them (``北京时间2026年3月27日 14:30``), decisions and
categories by their titles, facts' values as the evidence shows them. Data stays as
written: version ids, fact names, and an event's title from the bundle's catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chronolex.explain.locales import LocaleChoice
from chronolex.model import Bundle
from chronolex.service.console.answer import category_title, event_title, value_words
from chronolex.service.console.logged import Comparison, Difference


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """What the page shows of one comparison: its instants and reasons in words."""

    comparison: Comparison
    at: str
    received_at: str
    because: tuple[str, ...]


def comparison_view(comparison: Comparison, bundle: Bundle, choice: LocaleChoice,
                    labels: Mapping[str, str]) -> ComparisonView:
    def when(instant: datetime) -> str:
        return choice.words.when(instant, bundle.timezone)

    return ComparisonView(comparison, when(comparison.at), when(comparison.received_at),
                          tuple(difference_words(d, bundle, choice, labels) for d in comparison.because))


def difference_words(difference: Difference, bundle: Bundle, choice: LocaleChoice,
                     labels: Mapping[str, str]) -> str:
    """One reason as a sentence in the labels' language."""
    values, code = difference.values, difference.code

    def when(name: str) -> str:
        instant = values[name]
        assert isinstance(instant, datetime), name
        return choice.words.when(instant, bundle.timezone)

    def version(name: str) -> str:
        return str(values[name]) if values[name] is not None else labels["differs_no_version"]

    if code == "version":
        return labels["differs_version"].format(logged=version("logged"), today=version("today"), at=when("at"))
    if code == "fact":
        return labels["differs_fact"].format(name=values["name"], given=value_words(values["given"], bundle, labels),
                                             derived=value_words(values["derived"], bundle, labels))
    if code == "later-version":
        return labels["differs_later_version"].format(version=values["version"], published_at=when("published_at"))
    if code == "decision-changed":
        decision = str(values["decision"])
        verdict = labels.get(f"verdict_{decision}", decision)
        blocked = values["blocked_by"]
        assert isinstance(blocked, tuple)
        titles = [category_title(bundle, str(name), choice.locale) for name in blocked]
        categories = labels["differs_categories"].format(categories=choice.words.join(titles)) if titles else ""
        return labels["differs_decision"].format(decision=verdict[:1].lower() + verdict[1:]
                                                 if choice.words.locale == "en" else verdict, categories=categories)
    if code in ("happened-after", "recorded-late"):
        event = event_title(bundle, str(values["event_type"]))
        if code == "happened-after":
            return labels["differs_happened_after"].format(event=event, event_at=when("event_at"))
        return labels["differs_recorded_late"].format(event=event, event_at=when("event_at"),
                                                      recorded_at=when("recorded_at"))
    if code == "unexplained":
        return labels["differs_unexplained"]
    raise ValueError(f"no words for the difference {code!r}")  # a new code must get its words here
