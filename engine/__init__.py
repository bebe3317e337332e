"""chronolex: policy-as-code for restrictions that change over time.

The public API. Everything a caller needs is importable from here; modules not
listed are implementation detail and may change.

>>> import engine
>>> bundle = engine.load_bundle("policies/huabei")  # doctest: +SKIP
>>> [v.id for v in bundle.versions]  # doctest: +SKIP
['2024.01', '2025.01', '2025.07', '2026.03', '2026.06']
"""

from __future__ import annotations

from engine.decision import Decision, Evidence, Lift, NextChange, Reason
from engine.decisionlog import LoggedDecision, LogReplay, read_decision_log, replay_log
from engine.diff import PolicyDiff, diff_sides
from engine.filetree import DiskTree, FileTree, GitTree
from engine.impact import Impact, impact
from engine.operands import diff_pairs, load_side
from engine.policytest import Case, Coverage, PolicyRun, load_cases, policy_test_files, run_cases
from engine.semantic import SemanticDiff, Witness, same_meaning, semantic_diff
from engine.sides import Side
from engine.structdiff import Change, StructuralDiff, structural_diff
from engine.derive import FactValue, derive_facts, given_facts
from engine.errors import ChronolexError, Diagnostic, EvaluationError, Severity, Span
from engine.evaluate import Evaluator
from engine.eventio import open_source, read_events
from engine.events import AccountHistory, Event, EventSource, MemorySource
from engine.explain import Interval as TimelineInterval
from engine.explain import decide, decide_with_facts, timeline
from engine.store import EventStore
from engine.lang import CompiledExpr, ConditionError, Context, compile_condition, interpret, parse, render
from engine.lang.values import UNKNOWN
from engine.loader import BundleReport, check_bundle, load_bundle
from engine.model import Bundle, Category, Derivation, Fact, Interval, Rule, Schedule, Source, Version
from engine.snapshot import snapshot
from engine.timeutil import Duration, format_instant, parse_instant
from engine.validate import ValidationResult, find_bundles, validate
from engine.versions import VersionSpan, in_force_spans, select_version, superseding
from engine.yamlsource import Limits

__version__ = "0.1.0"

__all__ = [
    "Case",
    "Coverage",
    "PolicyRun",
    "load_cases",
    "policy_test_files",
    "run_cases",
    "Change",
    "DiskTree",
    "FileTree",
    "GitTree",
    "Impact",
    "LogReplay",
    "LoggedDecision",
    "PolicyDiff",
    "SemanticDiff",
    "Side",
    "StructuralDiff",
    "Witness",
    "diff_pairs",
    "diff_sides",
    "impact",
    "load_side",
    "read_decision_log",
    "replay_log",
    "same_meaning",
    "semantic_diff",
    "structural_diff",
    "UNKNOWN",
    "AccountHistory",
    "Decision",
    "Evaluator",
    "Event",
    "EventSource",
    "EventStore",
    "Evidence",
    "FactValue",
    "Lift",
    "MemorySource",
    "NextChange",
    "Reason",
    "TimelineInterval",
    "decide",
    "decide_with_facts",
    "derive_facts",
    "given_facts",
    "open_source",
    "read_events",
    "timeline",
    "Bundle",
    "BundleReport",
    "Category",
    "ChronolexError",
    "CompiledExpr",
    "ConditionError",
    "Context",
    "Derivation",
    "Diagnostic",
    "Duration",
    "EvaluationError",
    "Fact",
    "Interval",
    "Limits",
    "Rule",
    "Schedule",
    "Severity",
    "Source",
    "Span",
    "ValidationResult",
    "Version",
    "VersionSpan",
    "__version__",
    "check_bundle",
    "compile_condition",
    "find_bundles",
    "format_instant",
    "in_force_spans",
    "interpret",
    "load_bundle",
    "parse",
    "parse_instant",
    "render",
    "select_version",
    "snapshot",
    "superseding",
    "validate",
]
