"""The semantic diff: for which fact values and instants OLD and NEW decide differently.

One concept a module, in the order the diff runs:

- :mod:`~chronolex.diff.semantic.encode` — each side's decision as solver formulas over
  fact variables both sides share;
- :mod:`~chronolex.diff.semantic.segments` — time cut where either side can change by
  time alone, and segments that look alike grouped to be solved once;
- :mod:`~chronolex.diff.semantic.search` — the search for differences, each witness
  decided again by the real evaluator (:func:`semantic_diff`, :func:`same_meaning`);
- :mod:`~chronolex.diff.semantic.regions` — for each witness, the readable region of fact
  values that gives the same finding;
- :mod:`~chronolex.diff.semantic.result` — what it finds, as data.
"""

from __future__ import annotations

from chronolex.diff.semantic.result import (
    CATEGORY_CHANGED,
    DECISION_CHANGED,
    KIND_ORDER,
    NEWLY_BLOCKED,
    UNBLOCKED,
    UNDECIDED,
    ActionDiff,
    Finding,
    Outcome,
    SemanticDiff,
    Witness,
)
from chronolex.diff.semantic.regions import spans_text
from chronolex.diff.semantic.search import compared_constants, same_meaning, semantic_diff

__all__ = [
    "CATEGORY_CHANGED",
    "DECISION_CHANGED",
    "KIND_ORDER",
    "NEWLY_BLOCKED",
    "UNBLOCKED",
    "UNDECIDED",
    "ActionDiff",
    "Finding",
    "Outcome",
    "SemanticDiff",
    "Witness",
    "compared_constants",
    "same_meaning",
    "semantic_diff",
    "spans_text",
]
