"""``POST /v1/decide``: the platform asks, the service decides, logs, then answers.

One request is ``{account, action, at?, facts?, as_known_at?, bundle?,
allow_unknown_account?}``; a JSON list of them (or ``{"requests": [...]}``) is the batch
form. Every request of a call is read and decided before anything is logged; then all
its decisions are appended to the decision log in one transaction, and only then is
the response sent, so a decision the caller received is in the log. A batch is
refused whole when one of its requests is bad (the problem names its ``index``).
"""

from __future__ import annotations

import dataclasses
import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chronolex.errors import ChronolexError
from chronolex.evaluation.decide import decide, decide_with_facts
from chronolex.evaluation.decision import Decision, json_value
from chronolex.evaluation.given import given_facts
from chronolex.explain.locales import LocaleChoice
from chronolex.explain.plain import localized_document
from chronolex.instants import format_instant
from chronolex.log.record import NewDecision
from chronolex.model import Bundle
from chronolex.service import params
from chronolex.service.body import read_json
from chronolex.service.context import Service, service_of
from chronolex.service.histories import account_history
from chronolex.service.problems import Problem, from_error

logger = logging.getLogger("chronolex.service")

FIELDS = ("account", "action", "at", "facts", "as_known_at", "bundle", "allow_unknown_account")

#: Batches decide one at a time in a process. Deciding is Python code holding the GIL,
#: so threads deciding together only take turns, and the switches cost: eight batch
#: callers got 1,011 decisions/s from one process, 1,194 with this lock (1,266 with one
#: caller). A single request does not wait for it: it would wait for a whole batch
#: (up to a second) instead of sharing the GIL with it for the millisecond it needs.
#: Logging and answering stay concurrent (group commit needs calls that overlap there).
_BATCHES = threading.Lock()


@dataclass(frozen=True, slots=True)
class Ask:
    """One request of a call, read and checked."""

    bundle: Bundle
    account: str
    action: str
    at: datetime
    known_at: datetime | None
    facts: Mapping[str, Any] | None
    allow_unknown: bool
    notes: tuple[str, ...]


def read_asks(service: Service, body: Any, now: datetime) -> tuple[list[Ask], bool]:
    """The requests of a body and whether it was the batch form."""
    if isinstance(body, dict) and set(body) == {"requests"}:
        items, batch = body["requests"], True
        if not isinstance(items, list):
            raise Problem(422, "bad-request-field", "requests: expected a list of decision requests",
                          extra={"field": "requests"})
    elif isinstance(body, list):
        items, batch = body, True
    else:
        items, batch = [body], False
    if batch and not items:
        raise Problem(422, "empty-batch", "the batch holds no request")
    if len(items) > service.limits.max_batch:
        raise Problem(413, "batch-too-large", f"the batch holds {len(items):,} requests; at most "
                      f"{service.limits.max_batch:,} are decided in one call", extra={"limit": service.limits.max_batch})
    asks = []
    for index, item in enumerate(items):
        try:
            asks.append(_ask(service, item, now))
        except Problem as problem:
            if batch:
                problem.extra["index"] = index
            raise
    return asks, batch


def _ask(service: Service, item: Any, now: datetime) -> Ask:
    if not isinstance(item, dict):
        raise Problem(422, "bad-request", "a decision request is a JSON object {account, action, at?, facts?, ...}")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise Problem(422, "unknown-field", f"unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})",
                      extra={"field": unknown[0]})
    name = item.get("bundle")
    if name is not None and not isinstance(name, str):
        raise Problem(422, "bad-request-field", "bundle: expected a bundle's name", extra={"field": "bundle"})
    bundle = service.bundle(name)
    account = item.get("account")
    if not isinstance(account, str) or not account:
        raise Problem(422, "bad-request-field", "account: expected the account's id (a non-empty string)",
                      extra={"field": "account"})
    action = params.action(bundle, item.get("action"))
    notes: list[str] = []
    at = params.instant(item["at"], bundle, "at", notes) if item.get("at") is not None else now
    known_at = params.instant(item["as_known_at"], bundle, "as_known_at", notes) \
        if item.get("as_known_at") is not None else None
    facts = item.get("facts")
    if facts is not None and not isinstance(facts, dict):
        raise Problem(422, "bad-request-field", "facts: expected a mapping of fact name to value (null: unknown)",
                      extra={"field": "facts"})
    if facts is not None and known_at is not None:
        raise Problem(422, "bad-request-field", "as_known_at goes with facts from the store, not given facts",
                      extra={"field": "as_known_at"})
    allow = item.get("allow_unknown_account", False)
    if not isinstance(allow, bool):
        raise Problem(422, "bad-request-field", "allow_unknown_account: expected true or false",
                      extra={"field": "allow_unknown_account"})
    return Ask(bundle, account, action, at, known_at, facts, allow, tuple(notes))


def decide_asks(service: Service, asks: list[Ask], received: datetime, lang: str | None) -> list[dict[str, Any]]:
    """Decide every request, log them all in one transaction, and return the documents
    (each with its ``decision_id``; None when the service keeps no log). Runs in a worker
    thread: the store and the log block."""
    with service.appender.coming() if service.appender is not None else contextlib.nullcontext():
        decisions, choices = _decided(service, asks, lang)
        ids = _logged(service, decisions, received)
    documents = []
    for (ask, decision), decision_id in zip(decisions, ids):
        service.metrics.decisions.labels(ask.bundle.name, ask.action, decision.decision).inc()
        choice = choices[ask.bundle.name]
        document = localized_document(decision, choice) if choice is not None else decision.to_json()
        documents.append({"decision_id": decision_id, **document})
    return documents


def _decided(service: Service, asks: list[Ask], lang: str | None
             ) -> tuple[list[tuple[Ask, Decision]], dict[str, LocaleChoice | None]]:
    """Each request with its decision, and the language of each bundle's answers."""
    decisions: list[tuple[Ask, Decision]] = []
    choices: dict[str, LocaleChoice | None] = {}
    with _BATCHES if len(asks) > 1 else contextlib.nullcontext():
        for index, ask in enumerate(asks):
            try:
                if ask.bundle.name not in choices:
                    choices[ask.bundle.name] = params.locale(ask.bundle, lang) if lang else None
                decisions.append((ask, _decide(service, ask)))
            except Problem as problem:
                if len(asks) > 1:
                    problem.extra["index"] = index
                raise
    return decisions, choices


def _logged(service: Service, decisions: list[tuple[Ask, Decision]], received: datetime) -> list[str | None]:
    """The decisions appended to the log in one transaction: their ids (None without a log)."""
    if service.appender is None:
        return [None] * len(decisions)
    try:
        records = service.appender.append([_entry(ask, decision, received) for ask, decision in decisions])
    except ChronolexError as error:  # the log cannot be written: nothing is answered
        logger.error("the decision log refused %d decisions: %s", len(decisions), error)
        raise Problem(503, "log-unavailable", "the decision log cannot be written, so no decision is answered; "
                      "the service's log says why") from None
    service.metrics.log_records.inc(len(records))
    return [record.decision_id for record in records]


def _decide(service: Service, ask: Ask) -> Decision:
    evaluator = service.state.kept.evaluator(ask.bundle)
    notes = list(ask.notes)
    try:
        if ask.facts is not None:
            given = given_facts(ask.bundle, ask.facts, ask.at)
            decision = decide_with_facts(ask.bundle, given, ask.action, ask.at, evaluator=evaluator)
            decision = dataclasses.replace(decision, account=ask.account)
        else:
            history = account_history(service, ask.bundle, ask.account, ask.allow_unknown, notes)
            decision = decide(ask.bundle, history, ask.action, ask.at, ask.known_at, evaluator=evaluator)
    except ChronolexError as error:
        raise from_error(error) from None
    return dataclasses.replace(decision, notes=(*notes, *decision.notes)) if notes else decision


def _entry(ask: Ask, decision: Decision, received: datetime) -> NewDecision:
    zone = ask.bundle.timezone
    return NewDecision(
        at=format_instant(decision.at, zone),
        received_at=format_instant(received, zone),
        known_at=format_instant(decision.known_at, zone) if decision.known_at else None,
        account=ask.account,
        action=ask.action,
        bundle=ask.bundle.name,
        version=decision.version.id if decision.version is not None else None,
        facts={name: json_value(value.value, zone) for name, value in sorted(decision.facts.items())},
        facts_given=ask.facts is not None,
        decision=str(decision.decision),
        blocked_by=tuple(decision.blocked_by),
        rules=tuple(reason.rule.id for reason in decision.reasons),
    )


async def decide_endpoint(request: Request) -> JSONResponse:
    service = service_of(request)
    received = service.state.clock.now()
    body = await read_json(request, service.limits)
    asks, batch = read_asks(service, body, received)
    documents = await run_in_threadpool(decide_asks, service, asks, received, request.query_params.get("lang"))
    return JSONResponse({"decisions": documents} if batch else documents[0])


ROUTES = [Route("/v1/decide", decide_endpoint, methods=["POST"], name="decide")]
