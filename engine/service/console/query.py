"""What a console page was asked: the bundle, the language, the account, the instant, the
action and the range, read from the query string.

Every page is a plain GET form, so a link holds the whole question (a support agent can
paste it into a ticket) and the pages work without JavaScript. Bad input is a
:class:`BadQuery` the page shows next to the form, never a silent default: an instant
that does not parse, an action or a language the bundle does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chronolex.errors import ChronolexError
from chronolex.explain.locales import LocaleChoice, choose_locale
from chronolex.instants import localize, parse_date, parse_instant, wall_time_note, wall_time_problem
from chronolex.model import Bundle
from chronolex.service.console.labels import labels_for
from chronolex.service.state import ServiceState

#: The default range of a timeline: this many days either side of the instant.
HALF_RANGE_DAYS = 15
#: The longest range a timeline page draws (a wider one is refused, not cut).
MAX_RANGE_DAYS = 800


class BadQuery(Exception):
    """A question the page cannot answer, with what to change; ``status`` is the HTTP status.

    ``label`` names the console's words for it (with ``values`` to fill in), so the page
    says it in the agent's language; ``message`` is the English, for a label a language
    lacks and for errors the engine words."""

    def __init__(self, message: str, status: int = 400, *, label: str | None = None,
                 values: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.label = label
        self.values = dict(values or {})

    def words(self, labels: Mapping[str, str]) -> str:
        """The error in the language of ``labels``."""
        if self.label is None or self.label not in labels:
            return self.message
        sep = labels.get("list_sep", ", ")
        return labels[self.label].format(**{name: sep.join(map(str, value)) if isinstance(value, (tuple, list))
                                            else value for name, value in self.values.items()})


@dataclass(frozen=True, slots=True)
class Query:
    """The question of a page, read and checked. ``at_input`` is the instant as the form's
    date-time field shows it (wall time in the bundle's zone)."""

    bundle: Bundle
    choice: LocaleChoice
    account: str
    at: datetime
    at_input: str
    action: str
    notes: tuple[str, ...] = ()

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions to answer for: the one asked, else every action of the bundle."""
        return (self.action,) if self.action else self.bundle.actions


def pick_bundle(state: ServiceState, name: str | None) -> Bundle:
    """The bundle asked for; the first by name when several are loaded and none is asked
    (the form shows which, and offers the others)."""
    if not state.bundles:
        raise BadQuery("no policy bundle is loaded", 503)
    if not name:
        return state.bundles[sorted(state.bundles)[0]]
    try:
        return state.bundle(name)
    except KeyError as error:
        raise BadQuery(str(error.args[0]), 404) from None


def pick_locale(bundle: Bundle, lang: str | None) -> LocaleChoice:
    try:
        return choose_locale(bundle, lang or None)
    except ChronolexError as error:
        problem = error.diagnostics[0]
        raise BadQuery(f"{problem.message} ({problem.help})" if problem.help else problem.message) from None


def _wall_time_words(text: str, bundle: Bundle, choice: LocaleChoice) -> str | None:
    """What :func:`~chronolex.instants.wall_time_note` says about ``text``, in the page's
    language; None when the page's labels have no words for it (English: the engine's note)."""
    problem = wall_time_problem(text, bundle.timezone)
    labels = labels_for(choice.words.locale)
    if problem is None or f"note_{problem[0]}" not in labels:
        return None
    return labels[f"note_{problem[0]}"].format(**problem[1])


def read_query(state: ServiceState, params: Mapping[str, str]) -> Query:
    """The question in ``params`` (``bundle``, ``lang``, ``account``, ``at``, ``action``).

    Without ``at`` the instant is now by the service's clock, shown in the form."""
    bundle = pick_bundle(state, params.get("bundle"))
    choice = pick_locale(bundle, params.get("lang"))
    action = params.get("action", "").strip()
    if action and action not in bundle.actions:
        raise BadQuery(f"unknown action {action!r}; the bundle's actions are {', '.join(bundle.actions)}",
                       label="err_action", values={"action": action, "actions": tuple(bundle.actions)})
    text = params.get("at", "").strip()
    notes: list[str] = []
    if text:
        try:
            at = parse_instant(text, bundle.timezone)
        except ValueError as error:
            raise BadQuery(f"cannot read the date and time {text!r}: {error}", label="err_at",
                           values={"text": text}) from None
        note = wall_time_note(text, bundle.timezone)
        if note:
            notes.append(_wall_time_words(text, bundle, choice) or note)
    else:
        at = state.clock.now()
        if at.tzinfo is None:
            raise BadQuery("the service's clock gave an instant without a time zone", 500)
    return Query(bundle, choice, params.get("account", "").strip(), at, input_value(at, bundle), action,
                 tuple(notes))


def input_value(at: datetime, bundle: Bundle) -> str:
    """``at`` as a date-time field shows it: wall time in the bundle's zone, to the
    second when it has seconds."""
    local = at.astimezone(bundle.timezone)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


@dataclass(frozen=True, slots=True)
class Range:
    """A timeline's range ``[start, end)``, with the dates its form shows (``end_date``
    is the first day not drawn)."""

    start: datetime
    end: datetime
    start_date: date
    end_date: date


def read_range(query: Query, params: Mapping[str, str]) -> Range:
    """The range of ``from`` and ``to`` (dates, or instants), by default the days
    around the instant: from midnight ``HALF_RANGE_DAYS`` days before it, for twice as
    many days."""
    zone = query.bundle.timezone
    day = query.at.astimezone(zone).date()
    try:
        around = day - timedelta(days=HALF_RANGE_DAYS)
    except OverflowError:
        around = day
    first = _date(params.get("from", ""), "from") or around
    last = _date(params.get("to", ""), "to") or first + timedelta(days=2 * HALF_RANGE_DAYS)
    if last <= first:
        raise BadQuery("the end of the range must be after its start", label="err_range_order")
    if (last - first).days > MAX_RANGE_DAYS:
        raise BadQuery(f"the range is longer than {MAX_RANGE_DAYS} days; choose a shorter one", label="err_range_long",
                       values={"days": MAX_RANGE_DAYS})
    try:
        start = localize(datetime(first.year, first.month, first.day), zone)
        end = localize(datetime(last.year, last.month, last.day), zone)
    except ValueError as error:
        raise BadQuery(f"the range leaves the supported years: {error}", label="err_range_years") from None
    return Range(start, end, first, last)


def _date(text: str, name: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as error:
        raise BadQuery(f"cannot read the {name} date: {error}", label="err_date",
                       values={"name": name, "text": text}) from None
