"""The commands that answer "why was this account blocked, and when can it open?":
``why``, ``timeline``, ``evaluate`` and ``replay``. Arguments in, engine calls, rendering
out."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click

import chronolex
from chronolex.cli._common import (
    bundle_option,
    check_input_file,
    db_option,
    emit,
    events_option,
    fail,
    format_option,
    load,
    open_events,
    skipped_input,
    report_skipped,
    skip_bad_requested,
    skipped_notes,
    output_stream,
    parse_time,
    writes_to_stdout,
)
from chronolex.cli.changes import replay_changed_since
from chronolex.cli.render.decision import render_decision, render_plain, render_plain_timeline, render_timeline
from chronolex import Evaluator, decide, decide_with_facts, timeline



allow_unknown_option = click.option(
    "--allow-unknown-account", "allow_unknown", is_flag=True,
    help="Decide for an account that has no events, on the defaults of an empty history "
         "(without it, such an account is bad input: usually a typing mistake).")


def _history(source: chronolex.EventSource, account: str, allow_unknown: bool,
             event_files: Sequence[str], db_path: str | None) -> chronolex.AccountHistory:
    """ACCOUNT's history; an account with no events is refused (exit 2) with the closest
    known ids, unless ``--allow-unknown-account``: a mistyped id must not get a confident
    answer computed from an empty history."""
    history = source.history(account)
    if history.events or allow_unknown:
        return history
    where = ", ".join(event_files) if event_files else f"the store {db_path or os.environ.get('CHRONOLEX_DB')}"
    known = list(source.accounts())
    if not known:
        fail(f"account {account!r}: {where} holds no accounts at all "
             "(pass --allow-unknown-account to decide on an empty history)")
    close = difflib.get_close_matches(account, known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    fail(f"account {account!r} has no events in {where}{hint} "
         "(pass --allow-unknown-account to decide on an empty history)")


def _account(bundle: chronolex.Bundle, account: str, event_files: Sequence[str], db_path: str | None,
             allow_unknown: bool, notes: list[str]) -> tuple[chronolex.EventSource, chronolex.AccountHistory]:
    """The event source and ACCOUNT's history, adding to ``notes`` what the answer must say
    about its input: an account decided on an empty history, bad records skipped."""
    source = open_events(bundle, event_files, db_path)
    history = _history(source, account, allow_unknown, event_files, db_path)
    if not history.events:
        notes.append(f"account {account!r} has no events: this answer is decided on the defaults of an empty "
                     "history (--allow-unknown-account)")
    notes.extend(skipped_notes(source))
    return source, history


lang_option = click.option("--lang", "lang", metavar="LOCALE",
                           help="The customer's language, e.g. en or zh-CN (default: the bundle's default_locale, "
                                "else en). A locale the bundle's texts are not written in is an error.")
details_option = click.option("--details", "-v", "details", is_flag=True,
                              help="Show rule ids, conditions, evidence and exact instants (the engineer's view).")


def _actions(bundle: chronolex.Bundle, action: str | None) -> tuple[str, ...]:
    if action is None:
        return bundle.actions
    if action not in bundle.actions:
        fail(f"unknown action {action!r} (actions: {', '.join(bundle.actions)})")
    return (action,)


@click.command()
@click.argument("account")
@click.option("--at", "at_text", required=True, help="The instant (ISO 8601; no offset: bundle timezone).")
@click.option("--action", help="One action (default: every action of the bundle).")
@click.option("--as-known-at", "known_text", help="Answer with only what was known at this instant.")
@events_option
@db_option
@bundle_option
@format_option
@lang_option
@details_option
@allow_unknown_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when an action is blocked.")
def why(account: str, at_text: str, action: str | None, known_text: str | None, event_files: Sequence[str],
        db_path: str | None, bundle_ref: str | None, fmt: str, lang: str | None, details: bool,
        allow_unknown: bool, exit_code: bool) -> None:
    """Why ACCOUNT is (or is not) blocked at an instant, with evidence, and when it lifts.

    The text opens with one sentence a support agent can read to the customer (what is
    blocked, by which kind of rule, and when the block as a whole lifts), then each
    reason's message and remedy, in the customer's language (--lang). --details shows
    rule ids, conditions, evidence and exact instants; JSON has both."""
    bundle = load(bundle_ref)
    choice = chronolex.choose_locale(bundle, lang)
    notes: list[str] = []
    at = parse_time(at_text, bundle, "--at", notes)
    known_at = parse_time(known_text, bundle, "--as-known-at", notes) if known_text else None
    source, history = _account(bundle, account, event_files, db_path, allow_unknown, notes)
    evaluator = Evaluator(bundle)
    decisions = []
    for name in _actions(bundle, action):
        decision = chronolex.decide_in_hindsight(bundle, history, name, at, known_at, evaluator=evaluator)
        decisions.append(dataclasses.replace(decision, notes=(*notes, *decision.notes)) if notes else decision)
    if fmt == "json":
        documents = [_with_input(chronolex.localized_document(d, choice), history, source) for d in decisions]
        emit(json.dumps(documents[0] if action else documents, indent=2, ensure_ascii=False) + "\n")
    else:
        emit("\n".join(render_decision(d) if details else render_plain(d, choice) for d in decisions))
    if exit_code and any(d.decision == "blocked" for d in decisions):
        sys.exit(1)


@click.command("timeline")
@click.argument("account")
@click.option("--from", "from_text", required=True, help="Start of the range (inclusive).")
@click.option("--to", "to_text", required=True, help="End of the range (exclusive).")
@click.option("--action", help="One action (default: every action of the bundle).")
@click.option("--as-known-at", "known_text", help="Replay with only what was known at this instant.")
@events_option
@db_option
@bundle_option
@format_option
@lang_option
@details_option
@allow_unknown_option
@click.option("--allow-partial", is_flag=True,
              help="When the range needs more change points than the walk takes (100,000), print the part computed "
                   "and say where it stops, instead of failing.")
def timeline_command(account: str, from_text: str, to_text: str, action: str | None, known_text: str | None,
                     event_files: Sequence[str], db_path: str | None, bundle_ref: str | None, fmt: str,
                     lang: str | None, details: bool, allow_unknown: bool, allow_partial: bool) -> None:
    """The exact intervals in which ACCOUNT's decision and its reasons are constant.

    The text lists each interval in plain words, in the customer's language (--lang);
    --details adds versions and rule ids with ISO instants."""
    bundle = load(bundle_ref)
    choice = chronolex.choose_locale(bundle, lang)
    notes: list[str] = []
    start, end = parse_time(from_text, bundle, "--from", notes), parse_time(to_text, bundle, "--to", notes)
    if end <= start:
        fail("--to must be after --from")
    known_at = parse_time(known_text, bundle, "--as-known-at", notes) if known_text else None
    source, history = _account(bundle, account, event_files, db_path, allow_unknown, notes)
    evaluator = Evaluator(bundle)
    results: dict[str, tuple[chronolex.TimelineInterval, ...]] = {}
    incomplete: dict[str, datetime] = {}
    for name in _actions(bundle, action):
        try:
            results[name] = timeline(bundle, history, name, start, end, known_at, evaluator=evaluator)
        except chronolex.IncompleteTimeline as stopped:
            if not allow_partial:
                raise
            results[name], incomplete[name] = stopped.intervals, stopped.stopped_at
            notes.append(f"{name}: the timeline stops at {chronolex.format_instant(stopped.stopped_at, bundle.timezone)}"
                         f" (the walk's step limit); [{chronolex.format_instant(stopped.stopped_at, bundle.timezone)}, "
                         f"{chronolex.format_instant(end, bundle.timezone)}) was not examined (--allow-partial)")
    if fmt == "json":
        document = chronolex.timeline_document(bundle, account, start, end, known_at, results,
                                               incomplete=incomplete, notes=notes)
        emit(json.dumps(_with_input(document, history, source), indent=2, ensure_ascii=False) + "\n")
    else:
        if choice.note and not details:  # the words of each interval are the template's, not the locale's
            notes.append(choice.note)
        emit("\n".join(render_timeline(intervals, bundle, account, name) if details
                        else render_plain_timeline(intervals, bundle, account, name, choice)
                        for name, intervals in results.items())
             + "".join(f"note: {note}\n" for note in notes))


def _with_input(document: dict[str, Any], history: chronolex.AccountHistory,
                source: chronolex.EventSource) -> dict[str, Any]:
    """The document, recording under ``input`` that the account had no events (it was
    decided on defaults because --allow-unknown-account asked for it) and how many bad
    event records were skipped (--skip-bad-events)."""
    return chronolex.with_input(document, history, getattr(source, "skipped", None))


@click.command()
@click.option("--facts", "facts_file", required=True, type=click.Path(dir_okay=False, exists=True),
              help="A JSON or YAML mapping of fact name to value (null: unknown).")
@click.option("--at", "at_text", required=True, help="The instant.")
@click.option("--action", required=True, help="The action.")
@bundle_option
@format_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when blocked.")
def evaluate(facts_file: str, at_text: str, action: str, bundle_ref: str | None, fmt: str, exit_code: bool) -> None:
    """Evaluate given fact values directly, without events."""
    bundle = load(bundle_ref)
    notes: list[str] = []
    at = parse_time(at_text, bundle, "--at", notes)
    _actions(bundle, action)
    check_input_file(facts_file, "--facts")
    facts = chronolex.read_facts(facts_file, bundle, at)
    decision = decide_with_facts(bundle, facts, action, at)
    if notes:
        decision = dataclasses.replace(decision, notes=(*notes, *decision.notes))
    if fmt == "json":
        emit(json.dumps(decision.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        emit(render_decision(decision))
    if exit_code and decision.decision == "blocked":
        sys.exit(1)


@click.command()
@click.option("--at", "at_text", required=True, help="The instant.")
@click.option("--action", help="One action (default: every action of the bundle).")
@click.option("--as-known-at", "known_text", help="Replay with only what was known at this instant.")
@events_option
@db_option
@bundle_option
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the decisions here: .parquet, .jsonl or .csv by extension (- or none: JSON Lines on "
                   "standard output).")
@click.option("--engine", type=click.Choice(chronolex.BATCH_ENGINES), default="auto", show_default=True,
              help="duckdb: one compiled query on this machine; spark: the same query on Apache Spark; python: "
                   "the per-account engine; auto: duckdb when the bundle compiles, else python with a note.")
@click.option("--memory-limit", metavar="SIZE",
              help="DuckDB's memory bound, e.g. 4GB (default: 80% of the memory); beyond it DuckDB spills to disk.")
@click.option("--spark-master", metavar="URL",
              help="Where Spark runs (--engine spark): local[*] (default), spark://host:7077, yarn, or "
                   "sc://host:15002 for Spark Connect.")
@click.option("--explain", "explain", metavar="WHICH",
              help="Add each selected row's full explanation (evidence, lifts, next change) from the per-account "
                   "engine: 'blocked', 'all', or a comma-separated list of accounts.")
@click.option("--show-plan", is_flag=True, help="Print the compiled query for the engine and stop.")
@click.option("--lang", "lang", metavar="LOCALE",
              help="The language of the explanations (--explain) and of the category names in the summary.")
@click.option("--changed-since", "changed_since", metavar="VERSION",
              help="List only the accounts and actions that VERSION decides otherwise than the version in force "
                   "(batch plans in DuckDB).")
def replay(at_text: str, action: str | None, known_text: str | None, event_files: Sequence[str],
           db_path: str | None, bundle_ref: str | None, output: str | None, engine: str, memory_limit: str | None,
           spark_master: str | None, explain: str | None, show_plan: bool, lang: str | None,
           changed_since: str | None) -> None:
    """Decide for every account at an instant: one row per account and action, then a summary
    of accounts blocked per category and per rule.

    A row holds account, action, at, known_at, decision, blocked_by, rules, undetermined and
    version: the values 'chronolex why' gives. By default the version in force is compiled
    into one query that DuckDB runs over all accounts at once (docs/batch.md)."""
    bundle = load(bundle_ref)
    choice = chronolex.choose_locale(bundle, lang) if lang else None
    notes: list[str] = []
    at = parse_time(at_text, bundle, "--at", notes)
    known_at = parse_time(known_text, bundle, "--as-known-at", notes) if known_text else None
    actions = _actions(bundle, action)
    fmt = chronolex.batch_output_format(output) if output and not writes_to_stdout(output) else "jsonl"
    if show_plan:
        plan = chronolex.compile_plan(bundle, at, known_at, actions)
        emit(plan.sql("spark" if engine == "spark" else "duckdb") + "\n")
        return
    if changed_since is not None:
        if lang:
            fail("--lang does not go with --changed-since")
        events_read: Any = chronolex.read_event_table(bundle, list(event_files)) \
            if event_files and all(p.endswith(".parquet") for p in event_files) else \
            open_events(bundle, event_files, db_path)
        return replay_changed_since(bundle, changed_since, events_read, at, known_at, actions, output, notes)
    if engine == "auto":
        try:
            chronolex.compile_plan(bundle, at, known_at, actions)
        except (chronolex.Untranslatable, chronolex.BatchError) as exc:
            notes.append(f"deciding with the per-account engine (slower): {exc}")
            engine = "python"
    events, annotation = _event_input(bundle, event_files, db_path, per_account=engine == "python" or bool(explain),
                                      notes=notes)
    with _progress_bar() as progress:
        if explain:
            result = chronolex.run_replay(bundle, events, at, known_at, actions=actions, engine=engine,
                                          memory_limit=memory_limit, spark_master=spark_master, progress=progress)
            notes.extend(result.notes)
            summary = chronolex.summarize_batch(result.table)
            explained = _explanations(bundle, result.table, events, explain, at, known_at, choice)
            _write_explained(result.table, explained, annotation, output, fmt)
        else:
            stream = chronolex.stream_replay(bundle, events, at, known_at, actions=actions, engine=engine,
                                             memory_limit=memory_limit, spark_master=spark_master, progress=progress)
            notes.extend(stream.notes)
            summary = _write_stream(stream, annotation, output, fmt)
    names = {c: chronolex.category_words(bundle, (c,), choice.words, choice.locale) for c in bundle.categories} \
        if choice else {}
    text = _summary(summary.accounts, actions, Counter(summary.outcomes), Counter(summary.categories),
                    Counter(summary.rules), names)
    text += "".join(f"note: {note}\n" for note in notes)
    click.echo(text, err=writes_to_stdout(output), nl=False)


def _write_stream(stream: chronolex.BatchStream, annotation: dict[str, Any], output: str | None,
                  fmt: str) -> chronolex.BatchSummary:
    """The rows written as they come (a population's answer is never held at once), counted
    on the way for the summary."""
    counter = chronolex.SummaryCounter()
    with output_stream(output) as out:
        out.flush()
        writer = chronolex.DecisionWriter(out.buffer, fmt, stream.schema, annotation)
        for batch in stream.batches:
            counter.add(batch)
            writer.write(batch)
        writer.close()
    return counter.summary()


def _write_explained(table: Any, explained: list[dict[str, Any] | None], annotation: dict[str, Any],
                     output: str | None, fmt: str) -> None:
    """The rows with the explanations --explain selected (the table is in memory: the
    per-account engine explains each selected row)."""
    with output_stream(output) as out:
        if fmt == "jsonl":
            extras = [{**annotation, **(e or {})} for e in explained]
            for line in _json_lines(table, extras):
                out.write(line)
        else:
            if explained:
                column = [json.dumps(e["explanation"], ensure_ascii=False) if e else None for e in explained]
                table = table.append_column("explanation", chronolex.batch_string_column(column))
            out.flush()
            chronolex.write_batch(table, out.buffer, fmt)


def _on_terminal() -> bool:
    """Whether a person watches standard error (a progress bar is drawn only then)."""
    return sys.stderr.isatty()


@contextmanager
def _progress_bar() -> Iterator[Callable[[float], None] | None]:
    """A progress callback drawing a bar on standard error, when it is a terminal; None
    (no bar, nothing written) when it is a file or a pipe. The engine may call it from
    a thread of its own."""
    if not _on_terminal():
        yield None
        return
    steps = 1000
    with click.progressbar(length=steps, label="replaying", file=sys.stderr) as bar:
        lock = threading.Lock()
        shown = 0

        def advance(fraction: float) -> None:
            nonlocal shown
            with lock:
                step = int(fraction * steps) - shown
                if step > 0:
                    shown += step
                    bar.update(step)

        yield advance


def _event_input(bundle: chronolex.Bundle, event_files: Sequence[str], db_path: str | None, *, per_account: bool,
                 notes: list[str]) -> tuple[Any, dict[str, Any]]:
    """What the engine reads: the histories as the per-account engine reads them (for
    --engine python and --explain), Parquet paths (DuckDB and Spark read them as they go),
    or the columnar event table of JSON Lines, CSV or the store; and what the rows record
    about skipped input."""
    if per_account:
        source = open_events(bundle, event_files, db_path)
        notes.extend(skipped_notes(source))
        return source, skipped_input(source)
    db_path = db_path or (os.environ.get("CHRONOLEX_DB") if not event_files else None)
    if event_files and db_path:
        fail("give --events or --db, not both")
    if not event_files and not db_path:
        fail("no events: give --events FILE or --db PATH (or set CHRONOLEX_DB)")
    for path in event_files:
        if not any(c in path for c in "*?["):
            check_input_file(path, "--events")
    if db_path:
        check_input_file(db_path, "--db")
    paths = [str(p) for p in chronolex.expand_event_paths(event_files)] if event_files else []
    if paths and all(p.endswith(".parquet") for p in paths):
        return paths, {}
    table = chronolex.read_event_table(bundle, paths, db_path, skip_bad=skip_bad_requested())
    skipped = chronolex.skipped_records(table)
    if skipped is None:
        return table, {}
    report_skipped(skipped)
    notes.extend(skipped_notes(skipped))
    return table, {"input": {"skipped": skipped.count}}


def _json_lines(table: Any, extras: list[dict[str, Any]] | None) -> Iterator[str]:
    for index, row in enumerate(table.to_pylist()):
        if extras is not None:
            row.update(extras[index])
        yield json.dumps(row, ensure_ascii=False) + "\n"


def _explanations(bundle: chronolex.Bundle, table: Any, events: Any, which: str, at: datetime,
                  known_at: datetime | None, choice: Any) -> list[dict[str, Any] | None]:
    """For each row selected by --explain, the full decision document from the per-account
    engine (the slow path, only where a person will read it)."""
    if not hasattr(events, "history"):  # pragma: no cover - --explain is given histories
        fail("--explain reads the accounts' histories: give JSON Lines, CSV or a store, not Parquet")
    wanted = None if which in ("all", "blocked") else {a.strip() for a in which.split(",") if a.strip()}
    accounts = set(table.column("account").to_pylist())
    if wanted is not None and wanted - accounts:
        fail(f"--explain: no account {sorted(wanted - accounts)[0]!r} in the events")
    evaluator = Evaluator(bundle)
    result: list[dict[str, Any] | None] = []
    for row in table.select(["account", "action", "decision"]).to_pylist():
        selected = (which == "all" or (which == "blocked" and row["decision"] == "blocked")
                    or (wanted is not None and row["account"] in wanted))
        if not selected:
            result.append(None)
            continue
        decision = decide(bundle, events.history(row["account"]), row["action"], at, known_at, evaluator=evaluator)
        document = chronolex.localized_document(decision, choice) if choice else decision.to_json()
        result.append({"explanation": document})
    return result


def _summary(total: int, actions: Sequence[str], outcomes: Counter[tuple[str, str]],
             per_category: Counter[tuple[str, str]], per_rule: Counter[tuple[str, str]],
             names: dict[str, str]) -> str:
    lines = [f"{total} accounts"]
    for name in actions:
        counts = ", ".join(f"{d} {outcomes[(name, d)]}" for d in ("allowed", "blocked", "undetermined", "no_policy")
                           if outcomes[(name, d)])
        lines.append(f"{name}: {counts or 'no decisions'}")
        rows = sorted(((c, n) for (a, c), n in per_category.items() if a == name), key=lambda r: (-r[1], r[0]))
        for category, count in rows:
            words = f"  {names[category]}" if category in names else ""
            lines.append(f"  blocked by {category:<14} {count:>8}  {100 * count / max(total, 1):5.1f}%{words}")
        rules = sorted(((r, n) for (a, r), n in per_rule.items() if a == name), key=lambda r: (-r[1], r[0]))
        for rule, count in rules:
            lines.append(f"    {rule:<30} {count:>8}  {100 * count / max(total, 1):5.1f}%")
    return "\n".join(lines) + "\n"


__all__ = ["evaluate", "replay", "timeline_command", "why"]
