"""``GET /v1/accounts/{id}/why`` and ``/timeline``: the documents of ``why`` and
``timeline --format json``, from the service's store.

Query parameters are the command's options: ``at``, ``action``, ``as_known_at``,
``lang`` (why); ``from``, ``to``, ``action``, ``as_known_at``, ``allow_partial``
(timeline); ``bundle`` and ``allow_unknown_account`` for both. ``why`` without ``at``
answers for the server's clock.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chronolex.errors import ChronolexError
from chronolex.evaluation.decide import IncompleteTimeline, TimelineInterval, timeline
from chronolex.evaluation.documents import timeline_document, with_input
from chronolex.evaluation.hindsight import decide_in_hindsight
from chronolex.explain.plain import localized_document
from chronolex.instants import format_instant
from chronolex.model import Bundle
from chronolex.service import params
from chronolex.service.context import Service, service_of
from chronolex.service.histories import account_history
from chronolex.service.problems import Problem, from_error

_WHY = ("at", "action", "as_known_at", "lang", "bundle", "allow_unknown_account")
_TIMELINE = ("from", "to", "action", "as_known_at", "bundle", "allow_unknown_account", "allow_partial")


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    query = request.query_params
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        raise Problem(422, "unknown-parameter", f"unknown parameter {unknown[0]!r} (parameters: {', '.join(allowed)})",
                      extra={"field": unknown[0]})
    return {key: query[key] for key in query}


def _actions(bundle: Bundle, action: str | None) -> tuple[str, ...]:
    return bundle.actions if action is None else (params.action(bundle, action),)


def _why(service: Service, account: str, query: dict[str, str]) -> Any:
    bundle = service.bundle(query.get("bundle"))
    choice = params.locale(bundle, query.get("lang"))
    notes: list[str] = []
    at = params.instant(query["at"], bundle, "at", notes) if "at" in query else service.state.clock.now()
    known_at = params.instant(query["as_known_at"], bundle, "as_known_at", notes) if "as_known_at" in query else None
    actions = _actions(bundle, query.get("action"))
    history = account_history(service, bundle, account, params.flag(query.get("allow_unknown_account"),
                                                                       "allow_unknown_account"), notes)
    evaluator = service.state.kept.evaluator(bundle)
    documents = []
    try:
        for name in actions:
            decision = decide_in_hindsight(bundle, history, name, at, known_at, evaluator=evaluator)
            if notes:
                decision = dataclasses.replace(decision, notes=(*notes, *decision.notes))
            documents.append(with_input(localized_document(decision, choice), history))
    except ChronolexError as error:
        raise from_error(error) from None
    return documents[0] if "action" in query else documents


def _timeline(service: Service, account: str, query: dict[str, str]) -> dict[str, Any]:
    bundle = service.bundle(query.get("bundle"))
    notes: list[str] = []
    for name in ("from", "to"):
        if name not in query:
            raise Problem(422, "missing-parameter", f"{name} is required: the timeline covers [from, to)",
                          extra={"field": name})
    start, end = params.instant(query["from"], bundle, "from", notes), params.instant(query["to"], bundle, "to", notes)
    if end <= start:
        raise Problem(422, "bad-range", "to must be after from", extra={"field": "to"})
    known_at = params.instant(query["as_known_at"], bundle, "as_known_at", notes) if "as_known_at" in query else None
    allow_partial = params.flag(query.get("allow_partial"), "allow_partial")
    actions = _actions(bundle, query.get("action"))
    history = account_history(service, bundle, account, params.flag(query.get("allow_unknown_account"),
                                                                       "allow_unknown_account"), notes)
    evaluator = service.state.kept.evaluator(bundle)
    results: dict[str, tuple[TimelineInterval, ...]] = {}
    incomplete: dict[str, datetime] = {}
    try:
        for name in actions:
            try:
                results[name] = timeline(bundle, history, name, start, end, known_at, evaluator=evaluator)
            except IncompleteTimeline as stopped:
                if not allow_partial:
                    raise
                results[name], incomplete[name] = stopped.intervals, stopped.stopped_at
                stop, last = format_instant(stopped.stopped_at, bundle.timezone), format_instant(end, bundle.timezone)
                notes.append(f"{name}: the timeline stops at {stop} (the walk's step limit); [{stop}, {last}) was "
                             "not examined (allow_partial)")
    except ChronolexError as error:
        raise from_error(error) from None
    document = timeline_document(bundle, account, start, end, known_at, results, incomplete=incomplete, notes=notes)
    return with_input(document, history)


async def why_endpoint(request: Request) -> JSONResponse:
    query = _query(request, _WHY)
    service = service_of(request)
    return JSONResponse(await run_in_threadpool(_why, service, request.path_params["account"], query))


async def timeline_endpoint(request: Request) -> JSONResponse:
    query = _query(request, _TIMELINE)
    service = service_of(request)
    return JSONResponse(await run_in_threadpool(_timeline, service, request.path_params["account"], query))


ROUTES = [
    Route("/v1/accounts/{account}/why", why_endpoint, methods=["GET"], name="why"),
    Route("/v1/accounts/{account}/timeline", timeline_endpoint, methods=["GET"], name="timeline"),
]
