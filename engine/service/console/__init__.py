"""The support console: read-only pages over the service's state (placeholder).

The console's routes are mounted by :func:`chronolex.service.app.create_app`; until the
console lands this module offers none.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from chronolex.service.state import ServiceState


def console_routes(state: ServiceState) -> list[BaseRoute]:
    """The console's routes over ``state``: none yet."""
    return []
