"""Findings that are legal but probably wrong: the warnings and infos of validate.

- ``no-event-catalog`` (warning): bundle.yaml declares no ``events``, so neither the
  derivations nor the event files can be checked (a misspelt event type counts nothing);
- ``never-in-force`` (warning): a version superseded before it starts;
- ``dead-rule`` (warning): a rule whose ``active`` interval or one-off ``window`` lies
  wholly outside every span in which a version containing it is in force;
- ``overlapping-windows`` (warning): two one-off maintenance windows of one version overlap;
- ``retroactive`` (info): a version published after it took effect;
- ``offset-mismatch`` (warning): an instant written with a UTC offset that is not the
  bundle zone's offset at that instant (``+08:00`` in a New York bundle, or winter time
  written in summer): the instant is read as written, which is rarely what was meant
  (``Z`` is taken as UTC on purpose and not reported);
- ``nonexistent-wall-time`` and ``ambiguous-wall-time`` (warning): an instant written
  without an offset at a wall time the bundle zone skips (a DST gap, read an hour later
  than written) or passes twice (a DST fold, the first taken): the command line and the
  service say so of a time option, so the bundle's own instants are said too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, tzinfo

from chronolex.errors import Diagnostic, Severity
from chronolex.instants import INSTANT_PATTERN, MAX_YEAR, MIN_YEAR, offset_text, wall_time_note, wall_time_problem
from chronolex.model import Bundle, Interval, Rule
from chronolex.time.versions import VersionSpan, in_force_spans, superseding
from chronolex.bundle.yaml_source import Document


def lint_bundle(bundle: Bundle, documents: Mapping[str, Document]) -> Iterator[Diagnostic]:
    """Every time-related warning and info for ``bundle`` (``documents`` give positions by file)."""
    spans = in_force_spans(bundle.versions)
    in_force = {s.version.id: s for s in spans}
    zone = bundle.timezone

    def fmt(instant: datetime | None) -> str:
        return "(open end)" if instant is None else instant.astimezone(zone).isoformat()

    for version in bundle.versions:
        doc = documents.get(version.file or "")
        rival = superseding(bundle.versions, version) if version.id not in in_force else None
        # Never in force: superseded by a version for the same date published no later than
        # it takes effect. A correction published afterwards leaves it in force until then
        # (as known at those instants); two versions stamped alike are a version-conflict error.
        if (
            rival is not None
            and rival.published_at <= version.effective_from
            and rival.published_at != version.published_at
        ):
            yield Diagnostic(
                "never-in-force",
                Severity.WARNING,
                f"version {version.id!r} is never in force: version {rival.id!r} takes effect at the same "
                f"instant and was published before that instant, after {version.id!r}",
                version.span,
                "give it its own effective_from, or delete it",
            )
        if version.retroactive:
            late = version.published_at - version.effective_from
            span = doc.source.span(("published_at",)) if doc else version.span
            yield Diagnostic(
                "retroactive",
                Severity.INFO,
                f"version {version.id!r} is retroactive: published {fmt(version.published_at)}, "
                f"{_humanize(late.total_seconds())} after it took effect ({fmt(version.effective_from)})",
                span,
                "decisions made before publication differ from a replay with today's knowledge; "
                "use --as-known-at to see both",
            )
    if bundle.events is None:
        yield Diagnostic(
            "no-event-catalog",
            Severity.WARNING,
            "bundle.yaml declares no event catalog: a misspelt event type or field in a derivation or in "
            "an events file is not caught, and counts as an event that did not happen",
            bundle.span,
            "declare every event type the facts read under events:, with its fields and their types",
        )
    yield from _dead_rules(bundle, spans, fmt)
    yield from _overlapping_windows(bundle)
    for file, document in sorted(documents.items()):
        yield from _offset_mismatches(document, zone)


#: Where a version file writes instants: top-level keys, and keys inside each rule.
_VERSION_INSTANTS = (("effective_from",), ("published_at",))
_RULE_INSTANTS = (("active", "from"), ("active", "until"), ("window", "start"), ("window", "end"),
                  ("schedule", "start"))


def _offset_mismatches(document: Document, zone: tzinfo) -> Iterator[Diagnostic]:
    data = document.data if isinstance(document.data, dict) else {}
    paths: list[tuple[str | int, ...]] = list(_VERSION_INSTANTS)
    rules = data.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else ()):
        if isinstance(rule, dict):
            paths += [("rules", index, *inner) for inner in _RULE_INSTANTS]
    for path in paths:
        value: object = data
        for part in path:
            value = value.get(part) if isinstance(value, dict) and isinstance(part, str) else (
                value[part] if isinstance(value, list) and isinstance(part, int) and part < len(value) else None)
        if not isinstance(value, str):
            continue
        try:
            written = datetime.fromisoformat(value.strip())
        except ValueError:
            continue
        if value.strip().upper().endswith("Z"):
            continue  # UTC said on purpose
        if not MIN_YEAR <= written.year <= MAX_YEAR or not re.match(INSTANT_PATTERN, value.strip()):
            continue  # the loader reports it (invalid-date)
        name = ".".join(str(p) for p in path if isinstance(p, str) and p != "rules")
        if path[0] == "rules":
            name = f"rule {rules[path[1]].get('id', path[1])!s}: {name}"  # type: ignore[index]
        if written.tzinfo is None:
            yield from _wall_time(document, path, name, value.strip(), zone)
            continue
        local = written.astimezone(zone)
        if local.utcoffset() == written.utcoffset():
            continue
        yield Diagnostic(
            "offset-mismatch",
            Severity.WARNING,
            f"{name} {value.strip()} is written with offset {_offset(written)}, but {zone} is at "
            f"{_offset(local)} then: the instant is {local.isoformat()} in the bundle timezone",
            document.source.span(path),
            f"write the zone's offset ({_offset(local)}), or leave the offset out to mean wall time in {zone}",
        )


def _wall_time(document: Document, path: tuple[str | int, ...], name: str, text: str,
               zone: tzinfo) -> Iterator[Diagnostic]:
    """A wall time in a DST gap or fold: read as the time options are read (a gap with the
    offset before it, a fold as its first occurrence), but said, since the instant a version
    or window starts at is then not the one its text shows."""
    problem = wall_time_problem(text, zone)
    note = wall_time_note(text, zone)
    if problem is None or note is None:
        return
    code, values = problem
    if code == "gap":
        yield Diagnostic("nonexistent-wall-time", Severity.WARNING, f"{name} {note}", document.source.span(path),
                         f"write the instant meant with its offset, e.g. {values['read_as']}")
    else:
        yield Diagnostic("ambiguous-wall-time", Severity.WARNING, f"{name} {note}", document.source.span(path),
                         f"write the occurrence meant with its offset: {values['taken']} or {values['second']}")


def _offset(instant: datetime) -> str:
    """``+08:00``, or ``+08:05:43`` for a local mean time (not the last six characters)."""
    offset = instant.utcoffset()
    assert offset is not None, "an aware instant has an offset"
    return offset_text(offset)


def _dead_rules(bundle: Bundle, spans: tuple[VersionSpan, ...], fmt: object) -> Iterator[Diagnostic]:
    holders: dict[tuple[str | None, str], list[VersionSpan]] = {}
    rules: dict[tuple[str | None, str], Rule] = {}
    for span in spans:
        for rule in span.version.rules:
            key = (rule.declared_in, rule.id)
            holders.setdefault(key, []).append(span)
            rules[key] = rule
    zone = bundle.timezone
    for key, held in sorted(holders.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        rule = rules[key]
        for label, interval in (("active interval", rule.active), ("window", rule.window)):
            if interval is None:
                continue
            if any(interval.overlaps(Interval(s.start, s.end)) for s in held):
                continue
            where = ", ".join(
                f"{s.version.id} [{s.start.astimezone(zone).isoformat()}, "
                f"{s.end.astimezone(zone).isoformat() if s.end else '…'})"
                for s in held
            )
            yield Diagnostic(
                "dead-rule",
                Severity.WARNING,
                f"rule {rule.id!r} can never apply: its {label} lies wholly outside the time its version is in force "
                f"({where})",
                interval.span or rule.span,
                "move the interval into the version's span, or move the rule to the version in force then",
            )


def _overlapping_windows(bundle: Bundle) -> Iterator[Diagnostic]:
    reported: set[tuple[str | None, str, str | None, str]] = set()
    for version in bundle.versions:
        windows = sorted(
            (r for r in version.rules if r.window is not None and r.category == "maintenance"),
            key=lambda r: (r.window.start.timestamp() if r.window and r.window.start else float("-inf"), r.id),
        )
        for i, first in enumerate(windows):
            for second in windows[i + 1 :]:
                assert first.window is not None and second.window is not None
                pair = (first.declared_in, first.id, second.declared_in, second.id)
                if first.window.overlaps(second.window) and set(first.actions) & set(second.actions) and (
                    pair not in reported
                ):
                    reported.add(pair)
                    yield Diagnostic(
                        "overlapping-windows",
                        Severity.WARNING,
                        f"maintenance windows {first.id!r} and {second.id!r} overlap in version {version.id!r}",
                        second.window.span or second.span,
                        "merge them into one window, or correct the times",
                        related=tuple(s for s in (first.window.span,) if s is not None),
                    )


def _humanize(seconds: float) -> str:
    days = seconds / 86400
    if days >= 1:
        return f"{days:.0f} days" if days >= 2 else "1 day"
    hours = seconds / 3600
    return f"{hours:.0f} hours" if hours >= 1 else f"{seconds / 60:.0f} minutes"
