"""``chronolex diff``: what changed between two policy versions or bundles, what it
means, and which accounts it touches. Arguments in, engine calls, rendering out."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from datetime import datetime
from typing import Any

import click


from chronolex.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    check_input_file,
    db_option,
    emit,
    events_option,
    fail,
    open_events,
    parse_time,
    write_atomically,
    writes_to_stdout,
)
from chronolex.cli.notify import notify_format, write_notifications
import chronolex
from chronolex import PolicyDiff, diff_document, diff_markdown, diff_pairs, diff_sides, diff_text


@click.command()
@click.argument("operands", nargs=-1, required=True)
@click.option("--action", "actions", multiple=True, help="Compare only this action (repeatable; default: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="markdown: a pull-request comment (summary table, then details).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file; - means standard output.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the meaning changed (or could not be decided).")
@click.option("--no-semantic", is_flag=True, help="Only the text diff; skip the solver.")
@click.option("--timeout-ms", type=click.IntRange(min=100), default=5000, show_default=True,
              help="Give up on one solver query after this long (it is then reported as undecided).")
@click.option("--accounts", is_flag=True, help="Replay every account at --at under OLD and NEW and report flips.")
@events_option
@db_option
@click.option("--at", "at_text", help="The instant of --accounts (ISO 8601; no offset: bundle timezone).")
@click.option("--list-affected", type=click.Path(dir_okay=False),
              help="With --accounts: write the ids of the affected accounts to this file, one per line "
                   "(- : standard output, with --output FILE for the report).")
@click.option("--engine", type=click.Choice(["auto", "duckdb", "python"]), default="auto", show_default=True,
              help="With --accounts: decide both sides by compiled plans in DuckDB, or account by account in "
                   "Python; auto uses DuckDB when both sides have a plan, else Python with a note.")
@click.option("--notify", type=click.Path(dir_okay=False),
              help="With --accounts: write one row per account and action whose decision flips, with the rules "
                   "responsible and their customer message and remedy (.jsonl, .csv or .parquet).")
@click.option("--lang", "lang", metavar="LOCALE",
              help="The locale of the --notify messages (default: the bundle's default locale).")
@click.option("--decision-log", type=click.Path(dir_okay=False),
              help="Replay recorded decisions (JSON Lines) under NEW and report those that would differ.")
def diff(operands: Sequence[str], actions: Sequence[str], fmt: str, output: str | None, exit_code: bool,
         no_semantic: bool, timeout_ms: int, accounts: bool, event_files: Sequence[str], db_path: str | None,
         at_text: str | None, list_affected: str | None, engine: str, notify: str | None, lang: str | None,
         decision_log: str | None) -> None:
    """Compare policy versions: the text, the meaning (proved with a solver) and the accounts.

    OPERANDS are BUNDLE@VERSION BUNDLE@VERSION (two versions), BUNDLE BUNDLE (two
    bundle directories), or REV:BUNDLE[@VERSION] for a bundle at a git revision (read
    from git, the working tree untouched). One BUNDLE compares its consecutive
    versions; one BUNDLE@VERSION compares that version with the one before it.
    Exit 0, or 1 with --exit-code when the meaning changed; 2 for bad input.
    """
    if len(operands) > 2:
        fail("give one or two operands (OLD NEW, or one bundle to compare its consecutive versions)")
    if (list_affected or at_text or notify or engine != "auto") and not accounts:
        fail("--at, --list-affected, --notify and --engine go with --accounts")
    if lang and not notify:
        fail("--lang goes with --notify")
    if notify:
        notify_format(notify)
    if accounts and not at_text:
        fail("--accounts needs --at T: the instant at which to replay every account")
    if list_affected and writes_to_stdout(list_affected) and writes_to_stdout(output):
        fail("--list-affected - and the report would both go to standard output; write the report "
             "elsewhere with --output FILE")
    pairs = diff_pairs(list(operands))
    if notify and len(pairs) != 1:
        fail("--notify needs exactly one pair of sides (OLD NEW, or BUNDLE@VERSION)")
    for old, new in pairs:
        unknown = [a for a in actions if a not in old.bundle.actions and a not in new.bundle.actions]
        if unknown:
            fail(f"unknown action {unknown[0]!r}; the bundles have: {', '.join(sorted(set(new.bundle.actions)))}")
    results: list[PolicyDiff] = []
    notifications = None
    affected: set[str] = set()
    notes: list[str] = []  # a time option moved out of a DST gap, or read in a fold
    for old, new in pairs:
        result = diff_sides(old, new, actions=list(actions) or None, semantic=not no_semantic, timeout_ms=timeout_ms)
        if accounts or decision_log:
            source: Any
            if event_files and all(p.endswith(".parquet") for p in event_files):
                if decision_log or engine == "python":
                    fail("Parquet events are read by the batch engine only: --decision-log and --engine python need "
                         "JSON Lines, CSV or a store")
                source = chronolex.read_event_table(new.bundle, list(event_files))
            else:
                source = open_events(new.bundle, event_files, db_path)
            impact = log = None
            if accounts:
                at = parse_time(str(at_text), new.bundle, "--at", notes)
                impact, changes = _impact(old, new, source, at, list(actions) or None, engine, notify, notes)
                affected.update(impact.affected)
                if notify:
                    assert changes is not None
                    locale = chronolex.choose_locale(new.bundle, lang).locale
                    notifications = chronolex.notifications(changes, locale)
            if decision_log:
                check_input_file(decision_log, "--decision-log")
                records = chronolex.read_decision_log(Path(decision_log), new.bundle.timezone)
                log = chronolex.replay_log(new, source, records)
            result = PolicyDiff(result.old, result.new, result.structural, result.semantic, impact, log)
        results.append(result)
    for note in dict.fromkeys(notes):
        click.echo(f"note: {note}", err=True)
    document = diff_document(results)
    if fmt == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    elif fmt == "markdown":
        text = diff_markdown(document)
    else:
        text = diff_text(document)
    if notify:
        write_notifications(notify, notifications)
    if list_affected:
        write_atomically(Path(list_affected), "".join(f"{account}\n" for account in sorted(affected)))
    if output:
        write_atomically(Path(output), text)
    else:
        emit(text)
    changed = any(r.meaning_changed for r in results)
    sys.exit(EXIT_FINDINGS if exit_code and changed else EXIT_OK)


def _impact(old: chronolex.Side, new: chronolex.Side, source: Any, at: datetime,
            actions: list[str] | None, engine: str, notify: str | None,
            notes: list[str]) -> tuple[chronolex.Impact, Any]:
    """The impact by the engine asked for (auto: DuckDB when both sides have a plan, else
    the per-account engine with a note), and the changed rows --notify writes."""
    batch = None
    if engine != "python":
        try:
            batch = chronolex.BatchImpact(old, new, at, actions)
        except chronolex.ChronolexError as error:
            if engine == "duckdb" or not all(d.code.startswith("batch") for d in error.diagnostics):
                raise
            notes.append(f"diff --accounts decided account by account (slower): {error.diagnostics[0].message}")
    if batch is not None:
        return batch.run(source), batch.changes
    if not hasattr(source, "history"):
        fail("Parquet events are read by the batch engine only, and this diff needs the per-account engine; "
             "give the events as JSON Lines, CSV or a store")
    result = chronolex.impact(old, new, source, at, actions=actions)
    return result, chronolex.account_changes(old, new, source, at, actions) if notify else None
