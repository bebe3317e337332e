"""``chronolex diff`` as one call: what changed in the text, in meaning, and for whom.

:func:`diff_sides` runs the structural diff, the semantic diff and, when asked, the
impact replay over accounts and the replay of a decision log, and :class:`PolicyDiff`
holds the answers with one JSON form (``schemas/diff.schema.json``) that every
renderer reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from chronolex.evaluation.decision import json_value
from chronolex.diff.semantic import ActionDiff, Finding, Outcome, SemanticDiff, semantic_diff
from chronolex.diff.sides import Side
from chronolex.diff.structural import StructuralDiff, structural_diff
from chronolex.instants import format_instant

if TYPE_CHECKING:
    from chronolex.diff.decision_log import LogReplay
    from chronolex.diff.impact import Impact

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """Everything ``diff`` found between OLD and NEW."""

    old: Side
    new: Side
    structural: StructuralDiff
    semantic: SemanticDiff | None
    impact: Impact | None = None
    log: LogReplay | None = None

    @property
    def meaning_changed(self) -> bool:
        """True when some decision changes, or the solver could not prove that none does."""
        return self.semantic is not None and (self.semantic.changed or self.semantic.undecided)

    def to_json(self) -> dict[str, Any]:
        zone = self.new.bundle.timezone
        out: dict[str, Any] = {
            "old": _side_json(self.old),
            "new": _side_json(self.new),
            "meaning_changed": self.meaning_changed,
            "structural": self.structural.to_json(),
            "semantic": _semantic_json(self.semantic, zone) if self.semantic is not None else None,
        }
        if self.impact is not None:
            out["impact"] = self.impact.to_json()
        if self.log is not None:
            out["decision_log"] = self.log.to_json()
        return out


def diff_sides(old: Side, new: Side, *, actions: Sequence[str] | None = None, semantic: bool = True,
               timeout_ms: int = 5000) -> PolicyDiff:
    """The structural and (unless ``semantic`` is False) semantic diff of two sides."""
    return PolicyDiff(
        old, new, structural_diff(old, new),
        semantic_diff(old, new, actions=actions, timeout_ms=timeout_ms) if semantic else None,
    )


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "label": side.label,
        "bundle": side.bundle.name,
        "version": side.version.id if side.version is not None else None,
    }


def _semantic_json(diff: SemanticDiff, zone: tzinfo) -> dict[str, Any]:
    return {
        "changed": diff.changed,
        "undecided": diff.undecided,
        "notes": list(diff.notes),
        "actions": [_action_json(a, zone) for a in diff.actions],
    }


def _action_json(action: ActionDiff, zone: tzinfo) -> dict[str, Any]:
    return {
        "action": action.action,
        "status": action.status,
        "findings": [finding_json(f, zone) for f in action.findings],
    }


def finding_json(finding: Finding, zone: tzinfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": finding.kind,
        "rules": list(finding.rules),
        "region": list(finding.region),
        "context": list(finding.context),
        "always": finding.always,
        "scheduled": finding.scheduled,
        "spans": [{"start": _instant(s, zone), "end": _instant(e, zone)} for s, e in finding.spans],
        "witness": None,
        "old": _outcome_json(finding.old),
        "new": _outcome_json(finding.new),
    }
    if finding.witness is not None:
        out["witness"] = {
            "at": format_instant(finding.witness.at, zone),
            "facts": {k: json_value(v, zone) if v is not None else None
                      for k, v in sorted(finding.witness.facts.items())},
        }
        if finding.witness.matters is not None:
            out["witness"]["matters"] = list(finding.witness.matters)
    if finding.reason is not None:
        out["reason"] = finding.reason
    return out


def _outcome_json(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "decision": outcome.decision,
        "version": outcome.version,
        "blocked_by": list(outcome.blocked_by),
        "rules": list(outcome.restricting),
        "undetermined": list(outcome.undetermined),
    }


def _instant(value: datetime | None, zone: tzinfo) -> str | None:
    return format_instant(value, zone) if value is not None else None


def diff_document(results: Sequence[PolicyDiff]) -> dict[str, Any]:
    """What ``chronolex diff --format json`` prints: the format version and every diff."""
    return {"diff_format": SCHEMA_VERSION, "diffs": [result.to_json() for result in results]}
