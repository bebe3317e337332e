"""An account's history from the service's store, as the command line reads it.

An account with no events is refused (404) unless the caller says it may be decided
on the defaults of an empty history: a mistyped id must not get a confident answer.
"""

from __future__ import annotations

from chronolex.errors import ChronolexError
from chronolex.events.catalog import CheckedSource
from chronolex.events.event import AccountHistory, EventSource
from chronolex.model import Bundle
from chronolex.service.context import Service
from chronolex.service.problems import Problem, from_error


def no_store() -> Problem:
    return Problem(409, "no-event-store", "the service has no event store: give the facts, or start it with --db",
                   title="No event store")


def account_history(service: Service, bundle: Bundle, account: str, allow_unknown: bool,
                    notes: list[str]) -> AccountHistory:
    """``account``'s events (checked against the bundle's event catalog); adds to ``notes``
    that an unknown account was decided on an empty history."""
    if service.stores is None:
        raise no_store()
    store = service.stores.get()
    source: EventSource = store if bundle.events is None else \
        CheckedSource(store, bundle.events, bundle.timezone, "the event store")
    try:
        history = source.history(account)
    except ChronolexError as error:
        raise from_error(error, status=409 if error.diagnostics and error.diagnostics[0].code == "store-error"
                         else 422) from None
    if history.events:
        return history
    if not allow_unknown:
        raise Problem(404, "unknown-account", f"account {account!r} has no events in the store "
                      "(allow_unknown_account: true decides on the defaults of an empty history)",
                      extra={"account": account})
    notes.append(f"account {account!r} has no events: this answer is decided on the defaults of an empty "
                 "history (allow_unknown_account)")
    return history
