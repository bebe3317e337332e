"""The two sides of a diff: a whole bundle, or one version of a bundle.

``chronolex diff`` compares either two versions (each decided on its own, as if it were
in force) or two bundles (each decided by the version its own selection puts in force
at each instant). A :class:`Side` says which, and keeps the label the user wrote so
every report names its operands the way they were given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chronolex.model import Bundle, Version
from chronolex.time.versions import select_version


@dataclass(frozen=True, slots=True)
class Side:
    """One operand: ``bundle`` alone (the whole bundle) or ``bundle`` at ``version``."""

    label: str
    bundle: Bundle
    version: Version | None = None

    @property
    def is_version(self) -> bool:
        return self.version is not None

    def version_at(self, at: datetime) -> Version | None:
        """The version that decides at ``at``: the pinned one, or the bundle's selection
        with everything known (the latest publication wins)."""
        if self.version is not None:
            return self.version
        return select_version(self.bundle.versions, at)
