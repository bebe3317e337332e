"""A resolved version as plain data: what ``chronolex show`` prints.

Inherited rules are written out in full, so the snapshot is the complete rule set in
force, whatever ``extends`` chain produced it. Keys keep the order of the file format;
instants are written with their offset in the bundle timezone.
"""

from __future__ import annotations

from typing import Any

from chronolex.model import Bundle, Interval, Rule, Version
from chronolex.instants import format_instant


def snapshot(bundle: Bundle, version: Version) -> dict[str, Any]:
    """The complete, resolved rule set of ``version`` as JSON-compatible data."""
    zone = bundle.timezone
    out: dict[str, Any] = {
        "bundle": bundle.name,
        "version": version.id,
        "effective_from": format_instant(version.effective_from, zone),
        "published_at": format_instant(version.published_at, zone),
    }
    if version.summary:
        out["summary"] = version.summary
    if version.extends:
        out["resolved_from"] = {"extends": version.extends, "removed": list(version.removed)}
    out["rules"] = [_rule(rule, bundle) for rule in version.rules]
    return out


def _interval(interval: Interval, keys: tuple[str, str], bundle: Bundle) -> dict[str, str]:
    out: dict[str, str] = {}
    if interval.start is not None:
        out[keys[0]] = format_instant(interval.start, bundle.timezone)
    if interval.end is not None:
        out[keys[1]] = format_instant(interval.end, bundle.timezone)
    return out


def _text(rule: Rule, name: str, bundle: Bundle) -> str | dict[str, str] | None:
    """A text as it was written: a string when only the default locale has it, else by locale."""
    by_locale = {locale: fields[name] for locale, fields in rule.texts.items() if name in fields}
    if not by_locale:
        return None
    if list(by_locale) == [bundle.default_locale]:
        return by_locale[bundle.default_locale]
    return by_locale


def _rule(rule: Rule, bundle: Bundle) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id, "category": rule.category}
    title = _text(rule, "title", bundle) if rule.texts else rule.title
    if title:
        out["title"] = title
    out["actions"] = list(rule.actions)
    if rule.when:
        out["when"] = rule.when.text
    if rule.unless:
        out["unless"] = rule.unless.text
    if rule.on_unknown != "undetermined":
        out["on_unknown"] = rule.on_unknown
    if rule.active:
        out["active"] = _interval(rule.active, ("from", "until"), bundle)
    if rule.window:
        out["window"] = _interval(rule.window, ("start", "end"), bundle)
    if rule.schedule:
        out["schedule"] = {
            "rrule": rule.schedule.rrule,
            "duration": rule.schedule.duration.text,
            "start": format_instant(rule.schedule.start, bundle.timezone),
        }
    if rule.source:
        out["source"] = rule.source.as_dict()
    for name in ("message", "remedy", "because"):
        text = _text(rule, name, bundle) if rule.texts else getattr(rule, name, None)
        if text:
            out[name] = text
    if rule.declared_in:
        out["declared_in"] = rule.declared_in
    return out
