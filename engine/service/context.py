"""What every route of one application shares: the state, its limits, tokens and metrics.

:class:`ServiceState` is what the service holds (and the console reads);
:class:`Service` adds what only the API needs, and is kept on ``app.state.service``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from chronolex.model import Bundle
from chronolex.service.group_commit import GroupCommit
from chronolex.service.limits import ServiceLimits
from chronolex.service.metrics import ServiceMetrics
from chronolex.service.problems import Problem
from chronolex.service.state import ServiceState
from chronolex.service.stores import ThreadStores
from chronolex.service.tokens import Tokens


@dataclass
class Service:
    """The state and the API's own parts."""

    state: ServiceState
    limits: ServiceLimits
    tokens: Tokens
    metrics: ServiceMetrics
    stores: ThreadStores | None
    #: Appends to ``state.log`` (None: no log), committing concurrent calls together.
    appender: GroupCommit | None = None
    #: Ready to answer: set when the application has started, cleared when it stops.
    ready: bool = False

    def bundle(self, name: str | None) -> Bundle:
        """The bundle ``name`` (the only one when None), or a 404/422 problem."""
        try:
            return self.state.bundle(name)
        except KeyError:
            if name is None:
                raise Problem(422, "bundle-required", "several bundles are loaded: say which with 'bundle'",
                              extra={"bundles": sorted(self.state.bundles)}) from None
            raise Problem(404, "unknown-bundle", f"no bundle {name!r} is loaded",
                          extra={"bundles": sorted(self.state.bundles)}) from None


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
