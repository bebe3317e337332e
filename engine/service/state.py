"""What the running service holds: bundles in force, the event store, the decision log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chronolex.events.store import EventStore
from chronolex.log.store import DecisionLog
from chronolex.model import Bundle
from chronolex.service.clock import Clock
from chronolex.service.kept import Kept


@dataclass
class ServiceState:
    """Shared by the API and the console routes; bundles are replaced whole on reload.

    ``bundles`` maps a bundle's name to the loaded bundle; ``sources`` its directory.
    ``reload_errors`` holds, by bundle name, why the last reload was refused (the old
    bundle keeps serving).
    """

    clock: Clock
    bundles: Mapping[str, Bundle]
    sources: Mapping[str, Path]
    store: EventStore | None = None
    log: DecisionLog | None = None
    reload_errors: dict[str, str] = field(default_factory=dict)
    #: Evaluators and diffs computed on the loaded bundles, for the API and the console.
    kept: Kept = field(default_factory=Kept)

    def bundle(self, name: str | None = None) -> Bundle:
        """The bundle called ``name``; the only one when ``name`` is None and one is loaded.

        Raises ``KeyError`` with the known names when there is no such bundle (the API
        turns it into a 404 problem document).
        """
        if name is None and len(self.bundles) == 1:
            return next(iter(self.bundles.values()))
        if name is None or name not in self.bundles:
            raise KeyError(f"no bundle {name!r}; loaded: {', '.join(sorted(self.bundles))}")
        return self.bundles[name]
