"""What the service computes once per loaded bundle and keeps between requests.

An :class:`~chronolex.evaluation.assess.Evaluator` caches a bundle's compiled rules and
facts, and a diff runs the solver: both are worth keeping for the API and the console
alike. Everything is kept by the bundle object itself, which a reload replaces, so an
answer computed on an old bundle is never given for the new one; each entry holds its
bundle, so the object's id is not reused while the entry lives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from chronolex.diff.policy_diff import PolicyDiff, diff_sides
from chronolex.diff.sides import Side
from chronolex.evaluation.assess import Evaluator
from chronolex.model import Bundle

#: How many diffs are kept.
DIFFS = 32
#: The solver's time for one query of a diff, in milliseconds (as ``diff --timeout-ms``).
DIFF_TIMEOUT_MS = 5000


class Kept:
    """The evaluator of each loaded bundle and the last :data:`DIFFS` diffs; thread-safe."""

    def __init__(self, diffs: int = DIFFS) -> None:
        self._size = diffs
        self._lock = threading.Lock()
        self._evaluators: dict[str, tuple[Bundle, Evaluator]] = {}
        self._diffs: OrderedDict[tuple[object, ...], tuple[Side, Side, PolicyDiff]] = OrderedDict()

    def evaluator(self, bundle: Bundle) -> Evaluator:
        """The evaluator of ``bundle``, kept while that bundle is the one loaded."""
        with self._lock:
            kept = self._evaluators.get(bundle.name)
            if kept is not None and kept[0] is bundle:
                return kept[1]
        evaluator = Evaluator(bundle)
        with self._lock:
            self._evaluators[bundle.name] = (bundle, evaluator)
        return evaluator

    def diff(self, old: Side, new: Side) -> PolicyDiff:
        """The diff of ``old`` and ``new`` (as ``chronolex diff`` computes it), kept."""
        key = (old.label, new.label, id(old.bundle), id(new.bundle))
        with self._lock:
            kept = self._diffs.get(key)
            if kept is not None:
                self._diffs.move_to_end(key)
                return kept[2]
        result = diff_sides(old, new, timeout_ms=DIFF_TIMEOUT_MS)
        with self._lock:
            self._diffs[key] = (old, new, result)
            while len(self._diffs) > self._size:
                self._diffs.popitem(last=False)
        return result
