"""``chronolex log verify|show|replay|export``: the service's decision log from the command line.

Parsing and rendering only: :class:`chronolex.DecisionLog` reads and verifies the log,
:func:`chronolex.replay_log` decides its records again (the same code as ``diff
--decision-log``), and this module renders what they return. Exit codes: 0 whole / nothing
differs, 1 a broken chain / something differs (like ``diff``), 2 bad input (a file that is
not a decision log, a bad instant, a missing bundle).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

import click

import chronolex
from chronolex.cli._common import (
    EXIT_FINDINGS,
    check_input_file,
    db_option,
    emit,
    events_option,
    fail,
    format_option,
    load,
    open_events,
    output_stream,
    resolve_bundle,
    write_parquet,
)

_LOG_ARGUMENT = click.argument("log_path", metavar="LOG", type=click.Path(dir_okay=False))
_LANG_OPTION = click.option(
    "--lang", "lang", metavar="LOCALE",
    help="Say the text output in this language, e.g. zh-CN, with the support console's words (default: en). "
         "JSON stays codes and values.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def log() -> None:
    """The decision log: verify its chain, show what was decided, replay it with today's knowledge, export it.

    The log is the SQLite file 'chronolex serve' appends every decision to. Exit codes:
    0 whole or nothing differs, 1 a broken chain or decisions that now differ, 2 bad input.
    """


@contextmanager
def _opened(path: str) -> Iterator[chronolex.DecisionLog]:
    check_input_file(path, "LOG")
    with chronolex.DecisionLog(path) as opened:
        yield opened


def _name(path: str) -> str:
    return click.format_filename(path)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- verify ----------------------------------------------------------------------------------


@log.command()
@_LOG_ARGUMENT
@click.option("--anchor", "anchors", multiple=True, metavar="HASH",
              help="A hash printed by an earlier verify and kept elsewhere: the chain must still hold it "
                   "(repeatable).")
def verify(log_path: str, anchors: Sequence[str]) -> None:
    """Recompute the hash chain of LOG and name the first break, if any.

    Finds a record changed, deleted, inserted or moved, and records deleted at the end.
    Prints the hash of the last record: keep it elsewhere (a ticket, another system) and
    pass it later with --anchor HASH to prove that the log was not rewritten up to there,
    which the chain alone cannot. Exit 0 when the chain is whole (and holds every
    anchor), 1 when it is broken, 2 when LOG is not a decision log.
    """
    with _opened(log_path) as opened:
        result = opened.verify()
        found = {anchor: opened.seq_of(anchor) for anchor in anchors} if result.ok else {}
    missing = [anchor for anchor, seq in found.items() if seq is None]
    if result.ok and missing:
        emit(f"{_name(log_path)}: rewritten: no record has the hash {missing[0]} kept elsewhere, though the "
             f"chain verifies ({_plural(result.records, 'record')}): records were changed or removed and every "
             "hash after them recomputed\n")
        raise SystemExit(EXIT_FINDINGS)
    if result.ok:
        held = "".join(f"; anchor {anchor.strip().lower()[:12]}… is record {seq}" for anchor, seq in found.items())
        emit(f"{_name(log_path)}: whole ({_plural(result.records, 'record')}; every hash and link verified{held}; "
             f"last hash {result.head_hash})\n")
        return
    assert result.first_break is not None
    seq, what = result.first_break
    emit(f"{_name(log_path)}: broken at record {seq}: {what} ({_plural(result.records, 'record')} before it "
         "verified)\n")
    raise SystemExit(EXIT_FINDINGS)


# -- instants --------------------------------------------------------------------------------


def _zone(tz: str | None, bundle_ref: str | None) -> tzinfo | None:
    if tz and bundle_ref:
        fail("give --tz or --bundle, not both: either names the zone of times written without an offset")
    if tz:
        try:
            return chronolex.load_zone(tz)
        except ValueError as exc:
            fail(f"--tz: {exc} (give an IANA name such as Asia/Shanghai)")
    if bundle_ref:
        return load(bundle_ref).timezone
    return None


def _instant(text: str | None, zone: tzinfo | None, option: str) -> datetime | None:
    """``text`` as an instant: wall time in ``zone`` when it has no offset, which then must exist."""
    if text is None:
        return None
    try:
        instant = chronolex.parse_instant(text, zone or timezone.utc)
        note = chronolex.wall_time_note(text, zone) if zone is not None else None
    except ValueError as exc:
        fail(f"{option}: {exc}")
    if zone is None and datetime.fromisoformat(text.strip().replace(" ", "T", 1)).tzinfo is None:
        fail(f"{option} {text}: a time without a UTC offset needs a zone: add the offset "
             "(e.g. 2026-03-16T10:00+08:00) or say which zone with --tz ZONE or --bundle BUNDLE")
    if note is not None:
        click.echo(f"note: {option} {note}", err=True)
    return instant


# -- show ------------------------------------------------------------------------------------


@log.command()
@_LOG_ARGUMENT
@click.argument("account")
@click.option("--from", "start_text", metavar="T", help="Only decisions about instants from T on (inclusive).")
@click.option("--to", "end_text", metavar="T", help="Only decisions about instants before T (exclusive).")
@click.option("--tz", metavar="ZONE", help="The IANA zone of --from/--to written without an offset.")
@click.option("--bundle", "bundle_ref", metavar="BUNDLE",
              help="Read --from/--to without an offset in this bundle's zone (instead of --tz).")
@format_option
@_LANG_OPTION
def show(log_path: str, account: str, start_text: str | None, end_text: str | None, tz: str | None,
         bundle_ref: str | None, fmt: str, lang: str | None) -> None:
    """What the platform actually decided for ACCOUNT, in log order.

    --from/--to bound the instant each decision is about ('at'), half-open [from, to).
    They need a UTC offset, or a zone for a wall time: --tz ZONE or --bundle BUNDLE (its
    timezone). Instants are shown as logged, with the offset the service wrote. A record
    whose own hash no longer matches is flagged; 'chronolex log verify' checks the chain.
    --lang zh-CN says the text in Chinese (categories by their titles with --bundle).
    """
    zone = _zone(tz, bundle_ref)
    bundle = load(bundle_ref) if bundle_ref and lang else None
    choice = _choice(lang, bundle)
    start, end = _instant(start_text, zone, "--from"), _instant(end_text, zone, "--to")
    if start is not None and end is not None and end <= start:
        fail("--to must be after --from (the range is half-open: [from, to))")
    with _opened(log_path) as opened:
        records = list(opened.records(account=account, start=start, end=end))
    changed = [r.seq for r in records if not r.intact()]
    if changed:
        click.echo(f"warning: {_plural(len(changed), 'record')} shown ({', '.join(map(str, changed[:10]))}) no "
                   "longer match their hash: they were changed after they were logged; run 'chronolex log "
                   "verify'", err=True)
    shown = zone or timezone.utc
    if fmt == "json":
        document = {
            "log": str(log_path), "account": account,
            "from": chronolex.format_instant(start, shown) if start else None,
            "to": chronolex.format_instant(end, shown) if end else None,
            "count": len(records),
            "decisions": [r.document() for r in records],
        }
        emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    ranged = start is not None or end is not None
    if choice is not None:
        emit("".join(_show_words(log_path, account, records, changed, ranged, bundle, choice)))
        return
    emit("".join(_show_text(log_path, account, records, changed, ranged)))


def _choice(lang: str | None, bundle: chronolex.Bundle | None) -> chronolex.LocaleChoice | None:
    """The language of --lang, or None for the English text the command always printed
    (no --lang, --lang en, or a bundle locale with no words but English). An unknown
    locale is an error, as for 'chronolex why --lang'."""
    if lang is None:
        return None
    choice = chronolex.choose_locale(bundle, lang) if bundle is not None else chronolex.choose_template(lang)
    if choice.note:
        click.echo(f"note: {choice.note}", err=True)
    return None if choice.words.locale == "en" else choice


def _show_text(log_path: str, account: str, records: list[chronolex.DecisionRecord],
               changed: list[int], ranged: bool) -> Iterator[str]:
    if not records:
        yield f"{_name(log_path)}: no decisions for {account}{' in this range' if ranged else ''}\n"
        return
    yield f"{_name(log_path)}: {_plural(len(records), 'decision')} for {account}\n"
    for record in records:
        entry = record.entry
        outcome = entry.decision + (f" ({', '.join(entry.blocked_by)})" if entry.blocked_by else "")
        yield (f"  record {record.seq}  {entry.at}  {entry.action}: {outcome} under "
               f"{entry.bundle}@{entry.version or '(no version)'}"
               + ("  [changed after it was logged]" if record.seq in changed else "") + "\n")
        if entry.rules:
            yield f"    rules: {', '.join(entry.rules)}\n"
        facts = "given by the caller" if entry.facts_given else "derived from the event store"
        known = f", as known at {entry.known_at}" if entry.known_at else ""
        yield f"    received {entry.received_at}{known}; facts {facts}; id {record.decision_id}\n"


def _show_words(log_path: str, account: str, records: list[chronolex.DecisionRecord], changed: list[int],
                ranged: bool, bundle: chronolex.Bundle | None, choice: chronolex.LocaleChoice) -> Iterator[str]:
    """:func:`_show_text` in the language of ``choice``: the console's words for verdicts,
    categories and facts; instants, ids, rules and versions as logged."""
    words = chronolex.words_for(choice.words.locale)
    if not records:
        yield words["log_show_none_range" if ranged else "log_show_none"].format(log=_name(log_path),
                                                                                account=account) + "\n"
        return
    yield words["log_show_header"].format(log=_name(log_path), account=account, count=len(records)) + "\n"
    for record in records:
        entry = record.entry
        outcome = chronolex.outcome_words(entry.decision, list(entry.blocked_by),
                                          bundle if bundle is not None and bundle.name == entry.bundle else None,
                                          choice)
        yield (words["log_show_record"].format(seq=record.seq, at=entry.at, action=entry.action, outcome=outcome,
                                               bundle=entry.bundle, version=entry.version or words["log_no_version"])
               + (words["log_show_changed"] if record.seq in changed else "") + "\n")
        if entry.rules:
            yield words["log_show_rules"].format(rules=words["list_sep"].join(entry.rules)) + "\n"
        known = words["log_show_known"].format(known_at=entry.known_at) if entry.known_at else ""
        yield words["log_show_received"].format(received_at=entry.received_at, known=known, id=record.decision_id,
                                                facts=words["facts_given" if entry.facts_given else
                                                            "facts_derived"]) + "\n"


# -- replay ----------------------------------------------------------------------------------


@log.command()
@_LOG_ARGUMENT
@click.argument("bundles", nargs=-1, required=True, metavar="BUNDLE...")
@events_option
@db_option
@click.option("--since", "since_text", metavar="T",
              help="Only decisions about instants from T on (no offset: the bundle's zone).")
@click.option("--since-seq", type=click.IntRange(min=1), metavar="N", help="Only records N and after.")
@format_option
@_LANG_OPTION
def replay(log_path: str, bundles: Sequence[str], event_files: Sequence[str], db_path: str | None,
           since_text: str | None, since_seq: int | None, fmt: str, lang: str | None) -> None:
    """Decide every logged request again with today's knowledge; report those that now differ.

    Today's knowledge is the bundle files as they are (BUNDLE..., one per bundle the log
    names) and every event recorded by now (--db STORE or --events FILES). A record
    decided on facts the caller gave is decided on those facts again. A record differs
    when its decision, its blocking categories or its rules do; each is reported with
    why: a retroactive version, events recorded late, changed facts, changed rules.
    Exit 0 when nothing differs, 1 when something does, 2 for bad input. --lang zh-CN
    says the reasons in Chinese, as the support console does; JSON has each reason as
    a code and its values ('why') beside the English sentence ('because').
    """
    if since_text and since_seq:
        fail("give --since or --since-seq, not both")
    loaded: dict[str, tuple[str, chronolex.Bundle]] = {}
    for reference in bundles:
        path, version = resolve_bundle(reference)
        if version:
            fail(f"{reference}: replay decides with the version in force at each decision's instant; give the "
                 "bundle, not BUNDLE@VERSION")
        bundle = chronolex.load_bundle(path)
        if bundle.name in loaded:
            fail(f"two bundles named {bundle.name!r}: {loaded[bundle.name][0]} and {reference}")
        loaded[bundle.name] = (reference, bundle)
    choices = {name: _choice(lang, bundle) for name, (_, bundle) in loaded.items()}
    since = None
    if since_text:
        zones = {str(b.timezone) for _, b in loaded.values()}
        zone = next(iter(loaded.values()))[1].timezone if len(zones) == 1 else None
        since = _instant(since_text, zone, "--since")
    with _opened(log_path) as opened:
        records = [chronolex.logged_decision(r) for r in opened.records(start=since, since_seq=since_seq)]
    by_bundle: dict[str, list[chronolex.LoggedDecision]] = {}
    skipped: dict[str, int] = {}
    for record in records:
        assert record.bundle is not None
        if record.bundle in loaded:
            by_bundle.setdefault(record.bundle, []).append(record)
        else:
            skipped[record.bundle] = skipped.get(record.bundle, 0) + 1
    for name, count in sorted(skipped.items()):
        click.echo(f"note: {_plural(count, 'record')} of bundle {name!r} not replayed (give its directory to "
                   "replay them)", err=True)
    differing: list[tuple[chronolex.Bundle, Any]] = []
    for name, group in by_bundle.items():
        label, bundle = loaded[name]
        source = _source(bundle, group, event_files, db_path)
        result = chronolex.replay_log(chronolex.Side(label, bundle), source, group)
        differing.extend((bundle, d) for d in result.differing)
    differing.sort(key=lambda pair: pair[1].record.seq)
    replayed = sum(len(group) for group in by_bundle.values())
    if fmt == "json":
        document = {
            "log": str(log_path),
            "bundles": {name: label for name, (label, _) in sorted(loaded.items())},
            "records": len(records),
            "replayed": replayed,
            "not_replayed": dict(sorted(skipped.items())),
            "differing_count": len(differing),
            "differing": [d.to_json(bundle.timezone) for bundle, d in differing],
        }
        emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif lang is not None and all(choices.values()):
        emit("".join(_replay_words(log_path, replayed, differing, choices)))
    else:
        emit("".join(_replay_text(log_path, replayed, differing)))
    if differing:
        raise SystemExit(EXIT_FINDINGS)


def _source(bundle: chronolex.Bundle, records: Iterable[chronolex.LoggedDecision], event_files: Sequence[str],
            db_path: str | None) -> chronolex.EventSource:
    """The events of --events/--db (or CHRONOLEX_DB); none are needed when every record's facts were given."""
    if event_files or db_path or any(not r.facts_given for r in records):
        return open_events(bundle, event_files, db_path)
    return chronolex.MemorySource([])


def _replay_text(log_path: str, replayed: int, differing: list[tuple[chronolex.Bundle, Any]]) -> Iterator[str]:
    yield (f"{_name(log_path)}: {_plural(replayed, 'decision')} decided again with today's knowledge, "
           f"{len(differing)} now differ{'s' if len(differing) == 1 else ''}\n")
    for bundle, difference in differing:
        record, zone = difference.record, bundle.timezone
        recorded = record.decision + (f" ({', '.join(record.blocked_by)})" if record.blocked_by else "")
        now = difference.decision + (f" ({', '.join(difference.blocked_by)})" if difference.blocked_by else "")
        yield (f"  record {record.seq}: {record.account} {record.action} at "
               f"{chronolex.format_instant(record.at, zone)}: {recorded} under {record.version or 'no version'} "
               f"→ now {now} under {difference.version or 'no version'} [{', '.join(difference.causes)}]\n")
        yield from (f"    {sentence}\n" for sentence in difference.because)


def _replay_words(log_path: str, replayed: int, differing: list[tuple[chronolex.Bundle, Any]],
                  choices: dict[str, chronolex.LocaleChoice | None]) -> Iterator[str]:
    """:func:`_replay_text` in the language of --lang: each reason worded from its code and
    values with the console's words; versions, rules and cause codes as written."""
    first = next(iter(choices.values()))
    assert first is not None
    words = chronolex.words_for(first.words.locale)
    yield words["log_replay_header"].format(log=_name(log_path), count=replayed, differing=len(differing)) + "\n"
    for bundle, difference in differing:
        choice = choices[bundle.name]
        assert choice is not None
        record = difference.record
        recorded = chronolex.outcome_words(record.decision, list(record.blocked_by or ()), bundle, choice)
        now = chronolex.outcome_words(difference.decision, list(difference.blocked_by), bundle, choice)
        yield words["log_replay_record"].format(
            seq=record.seq, account=record.account, action=record.action,
            at=choice.words.when(record.at, bundle.timezone), recorded=recorded,
            version=record.version or words["log_no_version"], now=now,
            now_version=difference.version or words["log_no_version"],
            causes=", ".join(difference.causes)) + "\n"
        yield from (f"    {chronolex.why_words(w.code, w.values, w.text, bundle, choice)}\n" for w in difference.why)


# -- export ----------------------------------------------------------------------------------

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


@log.command()
@_LOG_ARGUMENT
@click.argument("out", metavar="OUT", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]),
              help="The output format (default: by OUT's extension, .jsonl or .parquet).")
def export(log_path: str, out: str, fmt: str | None) -> None:
    """Write every record of LOG to OUT as JSON Lines or Parquet, in log order.

    Each record is what 'log show --format json' gives: the decision, its facts and its
    place in the chain (seq, prev_hash, hash), so the chain can be checked again from the
    export. Parquet keeps instants as the logged text and facts as canonical JSON text.
    OUT is written under a temporary name and renamed at the end; '-' is standard output
    (JSON Lines). The same log gives the same bytes.
    """
    if fmt is None:
        fmt = "jsonl" if out == "-" else _FORMATS.get(Path(out).suffix.lower())
        if fmt is None:
            fail(f"{out}: cannot tell the format from the extension; use .jsonl or .parquet, or give --format")
    if fmt == "parquet" and out == "-":
        fail("Parquet cannot go to standard output; give a file name")
    with _opened(log_path) as opened:
        records = list(opened.records())
    if fmt == "parquet":
        write_parquet(out, _table(records))
    else:
        with output_stream(out) as handle:
            for record in records:
                handle.write(json.dumps(record.document(), ensure_ascii=False) + "\n")
    if out != "-":
        emit(f"{out}: {_plural(len(records), 'record')} exported\n")


def _table(records: list[chronolex.DecisionRecord]) -> Any:
    import pyarrow as pa

    text, strings = pa.string(), pa.list_(pa.string())
    schema = pa.schema([("decision_id", text), ("seq", pa.int64()), ("at", text), ("received_at", text),
                        ("known_at", text), ("account", text), ("action", text), ("bundle", text),
                        ("version", text), ("facts", text), ("facts_given", pa.bool_()), ("decision", text),
                        ("blocked_by", strings), ("rules", strings), ("prev_hash", text), ("hash", text)])
    documents = [r.document() for r in records]
    columns = {name: [d[name] for d in documents] for name in schema.names}
    columns["facts"] = [json.dumps(d["facts"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                        for d in documents]
    return pa.table(columns, schema=schema)
