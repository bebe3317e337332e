"""What a semantic diff finds: witnesses, the outcome on each side, findings per action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime




NEWLY_BLOCKED, UNBLOCKED, CATEGORY_CHANGED, DECISION_CHANGED, UNDECIDED = (
    "newly-blocked", "unblocked", "category-changed", "decision-changed", "undecided",
)
KIND_ORDER = (NEWLY_BLOCKED, UNBLOCKED, CATEGORY_CHANGED, DECISION_CHANGED, UNDECIDED)


@dataclass(frozen=True, slots=True)
class Witness:
    """Fact values (None: unknown) and an instant at which the two sides differ.

    ``facts`` holds every value the evaluator decided the example with; ``matters`` (when
    worked out) names those that matter to the finding: no values of the others change
    how the finding's rules stand on either side."""

    at: datetime
    facts: Mapping[str, object]
    matters: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one side decided a witness, by the real evaluator."""

    decision: str
    version: str | None
    blocked_by: tuple[str, ...] = ()
    restricting: tuple[str, ...] = ()
    undetermined: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One kind of difference for one action, the rules behind it, and a witness."""

    action: str
    kind: str
    rules: tuple[str, ...] = ()
    witness: Witness | None = None
    old: Outcome | None = None
    new: Outcome | None = None
    region: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    spans: tuple[tuple[datetime, datetime | None], ...] = ()
    always: bool = False
    reason: str | None = None
    #: The responsible rule recurs on a schedule: the difference holds while it runs.
    scheduled: bool = False

    @property
    def sort_key(self) -> tuple[object, ...]:
        # an open end (None) sorts after every instant; None and datetime do not compare
        first = tuple((start, end is None, end or start) for start, end in self.spans[:1])
        return (KIND_ORDER.index(self.kind), self.rules, first, self.reason or "")


@dataclass(frozen=True, slots=True)
class ActionDiff:
    action: str
    findings: tuple[Finding, ...] = ()

    @property
    def status(self) -> str:
        if any(f.kind != UNDECIDED for f in self.findings):
            return "changed"
        return "undecided" if self.findings else "unchanged"


@dataclass(frozen=True, slots=True)
class SemanticDiff:
    actions: tuple[ActionDiff, ...]
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return any(a.status == "changed" for a in self.actions)

    @property
    def undecided(self) -> bool:
        return any(f.kind == UNDECIDED for a in self.actions for f in a.findings)
