"""How much one request may ask of the service: body size, batch size, events per call.

A request over a limit is refused whole (413) before any of it is decided or stored, so
one caller cannot hold the service (or its log) with a giant body.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceLimits:
    """The bounds the service enforces; ``chronolex serve`` takes them from its options.

    >>> ServiceLimits().max_batch
    1000
    """

    #: The largest request body read, in bytes (the body is read up to this, then refused).
    max_body_bytes: int = 1_048_576
    #: The most decisions one ``POST /v1/decide`` may ask for.
    max_batch: int = 1000
    #: The most events one ``POST /v1/events`` may append.
    max_events: int = 10_000

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_batch", "max_events"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
