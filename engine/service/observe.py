"""Every request timed, counted, and never answered with a traceback.

The outermost middleware: it reads the service's clock (``monotonic``) before and after
each request to fill the latency histogram by route, counts responses by status, and
turns an exception that escaped everything else into a logged 500 problem document.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chronolex.service.clock import Clock
from chronolex.service.metrics import ServiceMetrics
from chronolex.service.problems import Problem

logger = logging.getLogger("chronolex.service")


def route_label(scope: Scope) -> str:
    """The route's path template (``/v1/accounts/{account}/why``), never the raw path:
    a label per account id would grow the metrics without bound."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class Observe:
    """ASGI middleware: latency and status by route, and the catch-all 500."""

    def __init__(self, app: ASGIApp, clock: Clock, metrics: ServiceMetrics) -> None:
        self.app = app
        self.clock = clock
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.clock.monotonic()
        status = 500
        started = False

        async def sending(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            logger.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            status = 500
            problem = Problem(500, "internal-error", "the service failed to answer this request; the failure is in "
                                                     "its log")
            await problem.response(scope.get("path"))(scope, receive, send)
        finally:
            label = route_label(scope)
            self.metrics.latency.labels(label, scope.get("method", "")).observe(self.clock.monotonic() - start)
            self.metrics.responses.labels(label, str(status)).inc()
