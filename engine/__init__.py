"""chronolex: policy-as-code for restrictions that change over time.

The public API. Everything a caller needs is importable from here; modules not
listed are implementation detail and may change.

>>> import chronolex
>>> bundle = chronolex.load_bundle("policies/huabei")
>>> [v.id for v in bundle.versions]
['2024.01', '2025.01', '2025.07', '2026.03', '2026.06']

Every name is imported on first use (PEP 562): ``import chronolex`` costs almost
nothing, a command pays only for the stages it runs, and the solver (z3, about half a
second) is loaded only by what reasons with it (``validate``, ``diff``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chronolex.errors import ChronolexError, Diagnostic, EvaluationError, Severity, Span
    from chronolex.instants import (Duration, format_instant, load_zone, parse_instant, parse_recorded_instant,
                                    twice_on_the_clock, wall_time_note, wall_time_problem)
    from chronolex.lang import compile_condition, CompiledExpr, ConditionError, Context, interpret, parse, render
    from chronolex.lang.values import UNKNOWN
    from chronolex.model import Bundle, Category, Derivation, EventType, Fact, Interval, Rule, Schedule, Source, Version
    from chronolex.time.versions import in_force_spans, select_version, superseding, version_table, versions_document, VersionSpan
    from chronolex.bundle.yaml_source import Limits
    from chronolex.bundle.files import DiskTree, FileTree, GitTree
    from chronolex.bundle.load import load_bundle
    from chronolex.bundle.snapshot import snapshot
    from chronolex.checks.stages import BundleReport, check_bundle
    from chronolex.checks.validate import enclosing_bundle, find_bundles, validate, ValidationResult
    from chronolex.events.event import AccountHistory, Event, EventSource, MemorySource, SkippedRecords
    from chronolex.events.catalog import CatalogProblem, CheckedSource, catalog_problems
    from chronolex.events.files import open_source, read_event_files, read_event_records, read_events
    from chronolex.events.store import EventStore
    from chronolex.log.record import DecisionRecord, NewDecision
    from chronolex.log.store import DecisionLog, is_decision_log_file, LogVerification
    from chronolex.evaluation.facts import derive_facts, FactValue
    from chronolex.evaluation.given import given_facts, read_facts
    from chronolex.evaluation.assess import Evaluator, RuleState, Verdict
    from chronolex.evaluation.decision import Decision, DecisionNote, Evidence, json_value, Lift, NextChange, Reason
    from chronolex.evaluation.decide import decide, decide_with_facts, IncompleteTimeline, timeline, TimelineInterval
    from chronolex.evaluation.hindsight import (
        KnowledgeNote,
        decide_in_hindsight,
        knowledge_differences,
        knowledge_notes,
    )
    from chronolex.evaluation.documents import timeline_document, with_input
    from chronolex.explain.locales import choose_locale, choose_template, LocaleChoice, TEMPLATE_LOCALES
    from chronolex.explain.differences import outcome_words, why_words, words_for
    from chronolex.explain.plain import action_phrase, category_words, interval_words, localized_document, missing_texts, plain_answer, PlainAnswer, PlainReason, span_words, summary_sentence
    from chronolex.batch.errors import BatchError, Untranslatable
    from chronolex.batch.output import batch_output_format, batch_string_column, BatchSummary, DecisionWriter, summarize_batch, SummaryCounter, write_batch
    from chronolex.batch.plan import BatchPlan, compile_plan
    from chronolex.batch.replay import BATCH_ENGINES, BatchReplay, BatchStream, replay_batch, run_replay, stream_replay
    from chronolex.batch.event_table import expand_event_paths, read_event_table, skipped_records
    from chronolex.diff.sides import Side
    from chronolex.diff.operands import diff_pairs, load_side
    from chronolex.diff.structural import Change, structural_diff, StructuralDiff
    from chronolex.diff.semantic import same_meaning, semantic_diff, SemanticDiff, Witness
    from chronolex.diff.policy_diff import diff_document, diff_sides, PolicyDiff
    from chronolex.diff.report import diff_markdown, diff_text
    from chronolex.diff.impact import Impact, impact
    from chronolex.diff.batch_impact import account_changes, BatchImpact, notifications
    from chronolex.batch.changes import changed_since
    from chronolex.diff.decision_log import logged_decision, LoggedDecision, LogReplay, read_decision_log, replay_log, Why
    from chronolex.checks.cases import Case, load_cases, policy_test_files
    from chronolex.service.app import create_app
    from chronolex.service.clock import Clock
    from chronolex.service.limits import ServiceLimits
    from chronolex.service.state import ServiceState
    from chronolex.service.tokens import Tokens, read_tokens
    from chronolex.testing import branch_status, CaseResult, Coverage, PolicyRun, run_cases

__version__ = "0.1.0"

#: Where each public name lives, by pipeline stage (``docs/architecture.md``).
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["ChronolexError", "Diagnostic", "EvaluationError", "Severity", "Span"], "chronolex.errors"),
    **dict.fromkeys(["Duration", "format_instant", "load_zone", "parse_instant", "parse_recorded_instant",
                    "twice_on_the_clock", "wall_time_note", "wall_time_problem"],
                   "chronolex.instants"),
    **dict.fromkeys(["compile_condition", "CompiledExpr", "ConditionError", "Context", "interpret", "parse", "render"], "chronolex.lang"),
    **dict.fromkeys(["UNKNOWN"], "chronolex.lang.values"),
    **dict.fromkeys(["Bundle", "Category", "Derivation", "EventType", "Fact", "Interval", "Rule", "Schedule", "Source", "Version"], "chronolex.model"),
    **dict.fromkeys(["in_force_spans", "select_version", "superseding", "version_table", "versions_document", "VersionSpan"], "chronolex.time.versions"),
    **dict.fromkeys(["Limits"], "chronolex.bundle.yaml_source"),
    **dict.fromkeys(["DiskTree", "FileTree", "GitTree"], "chronolex.bundle.files"),
    **dict.fromkeys(["load_bundle"], "chronolex.bundle.load"),
    **dict.fromkeys(["snapshot"], "chronolex.bundle.snapshot"),
    **dict.fromkeys(["BundleReport", "check_bundle"], "chronolex.checks.stages"),
    **dict.fromkeys(["enclosing_bundle", "find_bundles", "validate", "ValidationResult"], "chronolex.checks.validate"),
    **dict.fromkeys(["AccountHistory", "Event", "EventSource", "MemorySource", "SkippedRecords"], "chronolex.events.event"),
    **dict.fromkeys(["CatalogProblem", "CheckedSource", "catalog_problems"], "chronolex.events.catalog"),
    **dict.fromkeys(["open_source", "read_event_files", "read_event_records", "read_events"], "chronolex.events.files"),
    **dict.fromkeys(["EventStore"], "chronolex.events.store"),
    **dict.fromkeys(["DecisionRecord", "NewDecision"], "chronolex.log.record"),
    **dict.fromkeys(["DecisionLog", "is_decision_log_file", "LogVerification"], "chronolex.log.store"),
    **dict.fromkeys(["derive_facts", "FactValue"], "chronolex.evaluation.facts"),
    **dict.fromkeys(["given_facts", "read_facts"], "chronolex.evaluation.given"),
    **dict.fromkeys(["Evaluator", "RuleState", "Verdict"], "chronolex.evaluation.assess"),
    **dict.fromkeys(["Decision", "DecisionNote", "Evidence", "json_value", "Lift", "NextChange", "Reason"], "chronolex.evaluation.decision"),
    **dict.fromkeys(["decide", "decide_with_facts", "IncompleteTimeline", "timeline", "TimelineInterval"],
                   "chronolex.evaluation.decide"),
    **dict.fromkeys(["decide_in_hindsight", "knowledge_notes", "knowledge_differences", "KnowledgeNote"],
                   "chronolex.evaluation.hindsight"),
    **dict.fromkeys(["timeline_document", "with_input"], "chronolex.evaluation.documents"),
    **dict.fromkeys(["choose_locale", "choose_template", "LocaleChoice", "TEMPLATE_LOCALES"], "chronolex.explain.locales"),
    **dict.fromkeys(["outcome_words", "why_words", "words_for"], "chronolex.explain.differences"),
    **dict.fromkeys(["action_phrase", "category_words", "interval_words", "localized_document", "missing_texts", "plain_answer", "PlainAnswer", "PlainReason", "span_words", "summary_sentence"], "chronolex.explain.plain"),
    **dict.fromkeys(["BatchError", "Untranslatable"], "chronolex.batch.errors"),
    **dict.fromkeys(["batch_output_format", "batch_string_column", "BatchSummary", "DecisionWriter", "summarize_batch", "SummaryCounter", "write_batch"], "chronolex.batch.output"),
    **dict.fromkeys(["BatchPlan", "compile_plan"], "chronolex.batch.plan"),
    **dict.fromkeys(["BATCH_ENGINES", "BatchReplay", "BatchStream", "replay_batch", "run_replay", "stream_replay"], "chronolex.batch.replay"),
    **dict.fromkeys(["expand_event_paths", "read_event_table", "skipped_records"], "chronolex.batch.event_table"),
    **dict.fromkeys(["Side"], "chronolex.diff.sides"),
    **dict.fromkeys(["diff_pairs", "load_side"], "chronolex.diff.operands"),
    **dict.fromkeys(["Change", "structural_diff", "StructuralDiff"], "chronolex.diff.structural"),
    **dict.fromkeys(["same_meaning", "semantic_diff", "SemanticDiff", "Witness"], "chronolex.diff.semantic"),
    **dict.fromkeys(["diff_document", "diff_sides", "PolicyDiff"], "chronolex.diff.policy_diff"),
    **dict.fromkeys(["diff_markdown", "diff_text"], "chronolex.diff.report"),
    **dict.fromkeys(["Impact", "impact"], "chronolex.diff.impact"),
    **dict.fromkeys(["account_changes", "BatchImpact", "notifications"], "chronolex.diff.batch_impact"),
    **dict.fromkeys(["changed_since"], "chronolex.batch.changes"),
    **dict.fromkeys(["logged_decision", "LoggedDecision", "LogReplay", "read_decision_log", "replay_log", "Why"], "chronolex.diff.decision_log"),
    **dict.fromkeys(["Case", "load_cases", "policy_test_files"], "chronolex.checks.cases"),
    **dict.fromkeys(["branch_status", "CaseResult", "Coverage", "PolicyRun", "run_cases"], "chronolex.testing"),
    **dict.fromkeys(["create_app"], "chronolex.service.app"),
    **dict.fromkeys(["Clock"], "chronolex.service.clock"),
    **dict.fromkeys(["ServiceLimits"], "chronolex.service.limits"),
    **dict.fromkeys(["ServiceState"], "chronolex.service.state"),
    **dict.fromkeys(["Tokens", "read_tokens"], "chronolex.service.tokens"),
}

__all__ = [
    "account_changes",
    "AccountHistory",
    "BATCH_ENGINES",
    "BatchError",
    "BatchPlan",
    "BatchReplay",
    "BatchStream",
    "BatchSummary",
    "DecisionWriter",
    "SummaryCounter",
    "stream_replay",
    "Untranslatable",
    "batch_output_format",
    "batch_string_column",
    "compile_plan",
    "replay_batch",
    "run_replay",
    "summarize_batch",
    "write_batch",
    "action_phrase",
    "branch_status",
    "BatchImpact",
    "Bundle",
    "BundleReport",
    "Case",
    "CaseResult",
    "catalog_problems",
    "CatalogProblem",
    "Category",
    "category_words",
    "Change",
    "changed_since",
    "check_bundle",
    "CheckedSource",
    "choose_locale",
    "choose_template",
    "ChronolexError",
    "compile_condition",
    "CompiledExpr",
    "ConditionError",
    "Context",
    "Coverage",
    "decide",
    "decide_in_hindsight",
    "decide_with_facts",
    "Decision",
    "DecisionNote",
    "DecisionLog",
    "DecisionRecord",
    "Derivation",
    "derive_facts",
    "Diagnostic",
    "diff_document",
    "diff_markdown",
    "diff_pairs",
    "diff_sides",
    "diff_text",
    "DiskTree",
    "Duration",
    "enclosing_bundle",
    "expand_event_paths",
    "EvaluationError",
    "Evaluator",
    "Event",
    "EventSource",
    "EventStore",
    "EventType",
    "Evidence",
    "Fact",
    "FactValue",
    "FileTree",
    "find_bundles",
    "format_instant",
    "GitTree",
    "given_facts",
    "impact",
    "Impact",
    "in_force_spans",
    "IncompleteTimeline",
    "interpret",
    "Interval",
    "interval_words",
    "is_decision_log_file",
    "json_value",
    "knowledge_differences",
    "knowledge_notes",
    "KnowledgeNote",
    "Lift",
    "Limits",
    "load_bundle",
    "load_cases",
    "load_side",
    "load_zone",
    "LocaleChoice",
    "localized_document",
    "logged_decision",
    "LoggedDecision",
    "LogReplay",
    "outcome_words",
    "why_words",
    "Why",
    "words_for",
    "LogVerification",
    "MemorySource",
    "NewDecision",
    "missing_texts",
    "NextChange",
    "notifications",
    "open_source",
    "parse",
    "parse_instant",
    "parse_recorded_instant",
    "plain_answer",
    "PlainAnswer",
    "PlainReason",
    "policy_test_files",
    "PolicyDiff",
    "PolicyRun",
    "read_decision_log",
    "read_event_files",
    "read_event_table",
    "read_events",
    "read_facts",
    "Reason",
    "render",
    "replay_log",
    "Rule",
    "RuleState",
    "run_cases",
    "same_meaning",
    "Schedule",
    "select_version",
    "semantic_diff",
    "SemanticDiff",
    "Severity",
    "Side",
    "SkippedRecords",
    "skipped_records",
    "snapshot",
    "Source",
    "Span",
    "span_words",
    "structural_diff",
    "StructuralDiff",
    "summary_sentence",
    "superseding",
    "TEMPLATE_LOCALES",
    "timeline",
    "TimelineInterval",
    "UNKNOWN",
    "validate",
    "ValidationResult",
    "Verdict",
    "Version",
    "version_table",
    "VersionSpan",
    "twice_on_the_clock",
    "wall_time_note",
    "wall_time_problem",
    "Witness",
    "versions_document",
    "timeline_document",
    "with_input",
    "read_event_records",
    "create_app",
    "Clock",
    "ServiceLimits",
    "ServiceState",
    "Tokens",
    "read_tokens",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chronolex' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
