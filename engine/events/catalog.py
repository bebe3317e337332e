"""Checking an event against the bundle's event catalog.

With a catalog, an event whose type is not declared, whose field value is not of the
declared type, or that carries a misspelling of a declared field in its place is bad input: it would
otherwise count as nothing (a misspelt ``login_fialed``), or be dropped when a fact folds
it (``"amount": "15k"``), and turn a block into an allow with no error. Events read with
the events of another bundle fail here too: their types are not in this catalog.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal

from chronolex.errors import MAX_REPORTED, ChronolexError, Diagnostic, Severity, Span, clip
from chronolex.events.event import AccountHistory, EventSource
from chronolex.events.field_values import MAX_MAGNITUDE, coerce
from chronolex.instants import SkippedWallTime, parse_recorded_instant
from chronolex.model import EventType

#: The event catalog of a bundle: every declared event type by name.
Catalog = Mapping[str, EventType]


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    """One way an event does not fit the catalog; ``key`` is the record key at fault."""

    code: str
    message: str
    key: str
    help: str | None = None


def plainly_fits(event_type: str, fields: Mapping[str, object], catalog: Mapping[str, EventType]) -> bool:
    """True when an event plainly fits ``catalog``: :func:`catalog_problems` would find nothing.

    A fast yes for the common record (a declared type whose fields are declared and hold
    a string, an enum value, a boolean or a number in range); False on any doubt, and
    then :func:`catalog_problems` decides and words the problems. So it only needs to be
    right when it says yes, and it says yes only to values :func:`coerce` takes as they are.

    >>> from chronolex.lang.types import DECIMAL
    >>> loans = {"loan_disbursed": EventType("loan_disbursed", {"amount": DECIMAL})}
    >>> plainly_fits("loan_disbursed", {"amount": 15000}, loans), plainly_fits("loan_disbursed", {"amount": "15k"}, loans)
    (True, False)
    """
    declared = catalog.get(event_type)
    if declared is None:
        return False
    types = declared.fields
    for name, value in fields.items():
        field_type = types.get(name)
        if field_type is None:
            return False
        kind = type(value)
        wanted = field_type.name
        if wanted == "string":
            if kind is not str:
                return False
        elif wanted == "enum":
            if kind is not str or value not in field_type.values:
                return False
        elif wanted == "bool":
            if kind is not bool:
                return False
        elif wanted == "int" or wanted == "decimal":
            if not (kind is int or (kind is Decimal and wanted == "decimal")) or not _in_range(value):
                return False
        else:  # dates, date-times, durations: parsed by catalog_problems
            return False
    return True


def _in_range(number: object) -> bool:
    """Whether an int or a Decimal is finite and no larger than a field may hold."""
    if isinstance(number, Decimal) and not number.is_finite():
        return False
    return isinstance(number, (int, Decimal)) and -MAX_MAGNITUDE <= number <= MAX_MAGNITUDE


def catalog_problems(
    event_type: str, fields: Mapping[str, object], catalog: Mapping[str, EventType], zone: tzinfo
) -> Iterator[CatalogProblem]:
    """Every problem of one event (its type and its fields) against ``catalog``.

    A ``datetime`` value without an offset in a DST gap is a problem: like the event's
    ``at``, it is a time a system recorded, read off no clock of the zone.

    >>> from chronolex.lang.types import DECIMAL
    >>> from zoneinfo import ZoneInfo
    >>> loans = {"loan_disbursed": EventType("loan_disbursed", {"amount": DECIMAL})}
    >>> [p.message for p in catalog_problems("loan_disbursed", {"amount": "15k"}, loans, ZoneInfo("UTC"))]
    ["field 'amount' of loan_disbursed: '15k' is not a decimal"]
    >>> [p.help for p in catalog_problems("loan_disbursd", {}, loans, ZoneInfo("UTC"))]
    ['did you mean `loan_disbursed`?']
    """
    declared = catalog.get(event_type)
    if declared is None:
        close = difflib.get_close_matches(event_type, list(catalog), n=1, cutoff=0.6)
        yield CatalogProblem(
            "unknown-event-type",
            f"event type {event_type!r} is not declared by the bundle",
            "type",
            f"did you mean `{close[0]}`?" if close
            else "declare it under events: in bundle.yaml, or check that these events belong to this bundle",
        )
        return
    for name, value in fields.items():
        field_type = declared.fields.get(name)
        if field_type is None:
            # A field the catalog does not declare is carried along (platforms send more than
            # a bundle reads, and no fact can read it: validate sees to that), unless it looks
            # like a misspelling of a declared field this record lacks: that one would count
            # as "not given" and change an answer silently.
            missing = [f for f in declared.fields if f not in fields]
            close = difflib.get_close_matches(name, missing, n=1, cutoff=_MISSPELT)
            if close:
                yield CatalogProblem(
                    "unknown-event-field",
                    f"event type {event_type!r} declares no field {clip(name)!r}, and this record lacks "
                    f"its declared field {close[0]!r}",
                    name,
                    f"did you mean `{close[0]}`? (or declare {clip(name)!r} under events: {event_type}: fields:)",
                )
            continue
        if value is None:
            yield CatalogProblem(
                "bad-field-value", f"field {name!r} of {event_type} is null", name,
                "leave the field out when it has no value",
            )
            continue
        try:
            if field_type.name == "datetime" and isinstance(value, str):
                parse_recorded_instant(value, zone)  # a time some system recorded, as an event's `at`
            else:
                coerce(value, field_type, zone)
        except SkippedWallTime as skipped:
            yield CatalogProblem("bad-field-value", f"field {name!r} of {event_type}: {skipped}", name,
                                 "write the time with its UTC offset")
        except (ValueError, ArithmeticError):
            yield CatalogProblem(
                "bad-field-value",
                f"field {name!r} of {event_type}: {clip(repr(value))} is not {_article(str(field_type))}",
                name,
                _HINTS.get(field_type.name),
            )


_HINTS = {
    "decimal": "write a number such as 15000 or 15000.50, without units or thousands separators",
    "int": "write a whole number such as 45",
    "bool": "write true or false",
    "date": "write an ISO 8601 date such as 2026-03-01",
    "datetime": "write an ISO 8601 date-time such as 2026-03-01T09:30:00+08:00",
    "duration": "write an ISO 8601 duration such as P30D or PT2H",
    "enum": "use one of the values the catalog declares for this field",
}


#: How alike (difflib ratio) an undeclared field must be to a missing declared one to be
#: taken for its misspelling: ``amout``/``amount`` is 0.91, ``note``/``code`` 0.75.
_MISSPELT = 0.8


def _article(type_name: str) -> str:
    if type_name.startswith("enum["):
        return "one of " + type_name[5:-1]
    return ("an " if type_name[0] in "aeiou" else "a ") + type_name




class CheckedSource:
    """An event source whose histories are checked against the catalog as they are read.

    Files are checked record by record as they are parsed; the store holds events ingested
    perhaps before the bundle declared its catalog, or under another bundle, so its
    histories are checked here, one account at a time, when a question reads them.
    """

    def __init__(self, source: EventSource, catalog: Catalog, zone: tzinfo, label: str) -> None:
        self.source = source
        self.catalog = catalog
        self.zone = zone
        self.label = label

    def accounts(self) -> Iterator[str]:
        return self.source.accounts()

    def history(self, account: str) -> AccountHistory:
        history = self.source.history(account)
        diagnostics = []
        for event in history.events:
            for problem in catalog_problems(event.type, event.fields, self.catalog, self.zone):
                diagnostics.append(Diagnostic(
                    problem.code, Severity.ERROR,
                    f"account {account!r}, event at {event.at.isoformat()}: {problem.message}",
                    event.origin or Span(self.label, 1, 1), problem.help,
                ))
        if diagnostics:
            raise ChronolexError(diagnostics[:MAX_REPORTED], omitted=max(0, len(diagnostics) - MAX_REPORTED))
        return history

