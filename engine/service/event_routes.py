"""``POST /v1/events``: append events to the store, as ``chronolex ingest`` does.

The body is a JSON list of event records (or ``{"events": [...]}``), each checked as a
record of an event file is (schema, instants, the bundle's event catalog; instants
without an offset are wall time in the bundle's zone). Any bad record refuses the whole
call (422, every finding listed); otherwise all events go in in one transaction, and an
event already stored (same id, or same content) is counted, not added again.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chronolex.errors import ChronolexError
from chronolex.events.files import read_event_records
from chronolex.service.body import read_json
from chronolex.service.context import Service, service_of
from chronolex.service.histories import no_store
from chronolex.service.problems import Problem, from_error


def _records(body: Any) -> list[Any]:
    if isinstance(body, dict) and set(body) == {"events"}:
        body = body["events"]
    if not isinstance(body, list):
        raise Problem(422, "bad-request", 'expected a JSON list of event records (or {"events": [...]})')
    return body


def _append(service: Service, records: list[Any], bundle_name: str | None) -> dict[str, Any]:
    bundle = service.bundle(bundle_name)
    try:
        events = read_event_records(records, bundle.timezone, catalog=bundle.events, label="request")
    except ChronolexError as error:
        raise from_error(error) from None
    assert service.stores is not None
    store = service.stores.get()
    try:
        new_store = store.count() == 0
        result = store.ingest(events)
    except ChronolexError as error:
        raise from_error(error, status=409) from None
    if new_store and result.added:
        service.stores.renew()  # connections opened before the store had tables see it now
    service.metrics.events.inc(result.added)
    return {"events": result.total, "added": result.added, "duplicates": result.duplicates}


async def events_endpoint(request: Request) -> JSONResponse:
    service = service_of(request)
    if service.stores is None:
        raise no_store()
    records = _records(await read_json(request, service.limits))
    if not records:
        raise Problem(422, "empty-batch", "the body holds no event")
    if len(records) > service.limits.max_events:
        raise Problem(413, "batch-too-large", f"{len(records):,} events; at most {service.limits.max_events:,} "
                      "are appended in one call", extra={"limit": service.limits.max_events})
    bundle_name = request.query_params.get("bundle")
    return JSONResponse(await run_in_threadpool(_append, service, records, bundle_name))


ROUTES = [Route("/v1/events", events_endpoint, methods=["POST"], name="events")]
