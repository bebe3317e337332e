"""Why a logged decision differs from today's replay, in the words of the page's language.

:mod:`chronolex.service.console.logged` keeps each reason as a code and its values; this
module words them with :func:`chronolex.explain.differences.difference_words`, the words
``chronolex log replay --lang`` uses too, so a page in Chinese says every reason in
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
from chronolex.explain.differences import difference_words
from chronolex.service.console.logged import Comparison


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
                          tuple(difference_words(d.code, d.values, bundle, choice) for d in comparison.because))
