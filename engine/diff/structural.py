"""The structural diff: what changed in the text of a policy, field by field, in words.

This is the first half of ``chronolex diff`` (the semantic diff, with a solver, is the
second): versions added, removed or re-dated; rules added, removed, renamed or changed
field by field; facts added, removed or redefined; bundle-level changes. Conditions
are compared by their typed AST, so a condition written differently but parsed the
same is no change. Each :class:`Change` carries JSON-ready old and new values and one
sentence for a reviewer.

Two operand shapes (:class:`~chronolex.diff.sides.Side`): two pinned versions (their resolved
rules are compared) or two whole bundles (versions matched by id). Bundle-level and
fact changes are reported in both shapes; they are empty when the bundles agree.

A schedule with no ``start`` of its own starts when the version that declares it
takes effect. That default is not a change of the rule's text, so such a start is
compared as "the version's start"; moving the version is reported as
``version-redated``, not as a change of every schedule in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chronolex.time.describe import (
    duration_words,
    instant_words,
    interval_change_words,
    interval_words,
    rrule_parts,
    schedule_change_words,
    schedule_words,
)
from chronolex.lang import CompiledExpr
from chronolex.model import (
    Bundle,
    Category,
    Derivation,
    EventType,
    Fact,
    Interval,
    Rule,
    Schedule,
    Source,
    Version,
)
from chronolex.diff.sides import Side
from chronolex.instants import Duration, format_instant

__all__ = ["KINDS", "RULE_FIELDS", "Change", "StructuralDiff", "structural_diff"]

#: Every kind of change, in the order a report lists them.
KINDS = (
    "bundle-changed",
    "event-added",
    "event-removed",
    "event-redefined",
    "fact-added",
    "fact-removed",
    "fact-redefined",
    "version-added",
    "version-removed",
    "version-redated",
    "rule-added",
    "rule-removed",
    "rule-renamed",
    "rule-changed",
)
#: The fields of a rule compared one by one, in the order a report lists them.
RULE_FIELDS = (
    "when", "unless", "actions", "category", "source", "message", "remedy", "title", "description",
    "active", "window", "schedule", "on_unknown",
)
_FACT_FIELDS = ("type", "derive", "window", "where", "default", "expr", "title", "description")
_VERSION_FIELDS = ("effective_from", "published_at")
_FIELD_ORDER = {name: index for index, name in enumerate(dict.fromkeys(RULE_FIELDS + _FACT_FIELDS + _VERSION_FIELDS))}
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Change:
    """One change: ``kind`` of change to ``subject`` (rule id, fact name, version id or
    bundle field), in ``version`` (bundle-vs-bundle diffs only), of ``field``.

    ``old`` and ``new`` are JSON-ready renderings (condition text, an interval as
    ``{"start", "end"}``; None where there is nothing), ``text`` one sentence in words.
    """

    kind: str
    subject: str
    version: str | None
    field: str | None
    old: object
    new: object
    text: str

    @property
    def sort_key(self) -> tuple[str, int, str, int, str]:
        field = self.field or ""
        base = field.split("[")[0]  # a text in one locale ("message[zh-CN]") sorts with its field
        return (self.version or "", _KIND_ORDER[self.kind], self.subject, _FIELD_ORDER.get(base, -1),
                field)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "version": self.version,
            "field": self.field,
            "old": _copy(self.old),
            "new": _copy(self.new),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class StructuralDiff:
    """Every textual change between two sides, sorted by version, kind, subject and field."""

    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_json(self) -> list[dict[str, Any]]:
        return [change.to_json() for change in self.changes]


def _copy(value: object) -> object:
    """A fresh copy of a JSON rendering, so a caller cannot change the diff through it."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def structural_diff(old: Side, new: Side) -> StructuralDiff:
    """What changed in the text from ``old`` to ``new``: two pinned versions, or two bundles.

    Raises ValueError when one side is a version and the other a whole bundle.

    >>> from engine import load_bundle  # doctest: +SKIP
    >>> bundle = load_bundle("policies/huabei")  # doctest: +SKIP
    >>> diff = structural_diff(Side("a", bundle, bundle.version("2026.03")),
    ...                        Side("b", bundle, bundle.version("2026.06")))  # doctest: +SKIP
    >>> [c.kind for c in diff.changes]  # doctest: +SKIP
    ['rule-added', 'rule-removed']
    """
    if old.is_version != new.is_version:
        raise ValueError("compare a version with a version, or a bundle with a bundle")
    changes = list(_bundle_changes(old.bundle, new.bundle))
    changes += _event_changes(old.bundle, new.bundle)
    changes += _fact_changes(old.bundle, new.bundle)
    if old.version is not None and new.version is not None:
        changes += _rule_changes(_Scope(old.bundle, old.version), _Scope(new.bundle, new.version), None)
    else:
        changes += _version_changes(old.bundle, new.bundle)
    return StructuralDiff(tuple(sorted(changes, key=lambda change: change.sort_key)))


# --- rendering values as JSON -----------------------------------------------------


def _plain(value: object, zone: ZoneInfo) -> object:
    """A model value as plain JSON: instants in the bundle timezone, decimals as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, datetime):
        return format_instant(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item, zone) for item in value]
    return str(value)


def _interval_json(interval: Interval | None, zone: ZoneInfo) -> dict[str, Any] | None:
    if interval is None:
        return None
    return {"start": _plain(interval.start, zone), "end": _plain(interval.end, zone)}


def _quote(text: str | None) -> str:
    return f"`{text}`"


def _words(items: Iterable[str]) -> str:
    return ", ".join(sorted(items)) or "nothing"


# --- bundle level -----------------------------------------------------------------


def _bundle_change(subject: str, field: str | None, old: object, new: object, text: str) -> Change:
    return Change("bundle-changed", subject, None, field, old, new, text)


def _bundle_changes(old: Bundle, new: Bundle) -> Iterator[Change]:
    if old.name != new.name:
        yield _bundle_change("bundle", "bundle", old.name, new.name,
                             f"The bundle is now named {new.name} instead of {old.name}.")
    for field in ("title", "description"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            yield _bundle_change(field, field, before, after, _text_sentence("The bundle", field, before, after))
    if old.timezone.key != new.timezone.key:
        yield _bundle_change(
            "timezone", "timezone", old.timezone.key, new.timezone.key,
            f"The bundle timezone is now {new.timezone.key} instead of {old.timezone.key}; "
            "dates and times written without an offset now name other instants.",
        )
    added, removed = set(new.actions) - set(old.actions), set(old.actions) - set(new.actions)
    if added or removed:
        said = [f"added {_words(added)}"] * bool(added) + [f"removed {_words(removed)}"] * bool(removed)
        yield _bundle_change("actions", "actions", sorted(old.actions), sorted(new.actions),
                             f"Bundle actions changed: {'; '.join(said)}.")
    yield from _category_changes(old.categories, new.categories)


def _category_json(category: Category) -> dict[str, Any]:
    return {"precedence": category.precedence, "title": category.title}


def _category_changes(old: Mapping[str, Category], new: Mapping[str, Category]) -> Iterator[Change]:
    for name in sorted(set(old) | set(new)):
        subject = f"categories.{name}"
        before, after = old.get(name), new.get(name)
        if before is None and after is not None:
            yield _bundle_change(subject, None, None, _category_json(after),
                                 f"Category {name} was added with precedence {after.precedence}.")
        elif after is None and before is not None:
            yield _bundle_change(subject, None, _category_json(before), None, f"Category {name} was removed.")
        elif before is not None and after is not None:
            if before.precedence != after.precedence:
                yield _bundle_change(
                    subject, "precedence", before.precedence, after.precedence,
                    f"Category {name} now has precedence {after.precedence} instead of {before.precedence}.",
                )
            if before.title != after.title:
                yield _bundle_change(subject, "title", before.title, after.title,
                                     _text_sentence(f"Category {name}", "title", before.title, after.title))


def _text_sentence(owner: str, label: str, old: str | None, new: str | None) -> str:
    """A sentence for a changed free text (title, message, remedy, description)."""
    if old is None:
        return f'{owner} now has a {label}: "{new}".'
    if new is None:
        return f'{owner} no longer has a {label} (was "{old}").'
    return f'{owner} has a new {label}: "{new}" (was "{old}").'


# --- facts ------------------------------------------------------------------------


def _duration_key(duration: Duration | None) -> tuple[int, int, int] | None:
    """What a duration means: calendar months, calendar days, elapsed seconds (P1Y is P12M)."""
    if duration is None:
        return None
    return (
        duration.years * 12 + duration.months,
        duration.weeks * 7 + duration.days,
        int(duration.elapsed.total_seconds()),
    )


def _duration_or_all(duration: Duration | None) -> str:
    return "over the whole history" if duration is None else duration_words(duration)


def _ast(expr: CompiledExpr | None) -> object:
    return None if expr is None else expr.ast


def _text(expr: CompiledExpr | None) -> str | None:
    return None if expr is None else expr.text


def _folds(derive: Derivation) -> str:
    source = derive.event_type + (f".{derive.field}" if derive.field else "")
    return f"{derive.aggregation} of {source}"


def _default_json(derive: Derivation, zone: ZoneInfo) -> object:
    return {"value": _plain(derive.default, zone)} if derive.has_default else None


def _derive_json(derive: Derivation | None, zone: ZoneInfo) -> dict[str, Any] | None:
    if derive is None:
        return None
    return {
        "aggregation": derive.aggregation,
        "of": derive.event_type + (f".{derive.field}" if derive.field else ""),
        "window": derive.window.text if derive.window else None,
        "where": _text(derive.where),
        "default": _default_json(derive, zone),
    }


def _how(fact: Fact) -> str:
    if fact.expr is not None:
        return f"computed as {_quote(fact.expr.text)}"
    if fact.derive is None:
        return "given"
    derive = fact.derive
    said = _folds(derive)
    if derive.window is not None:
        said += f" over the last {duration_words(derive.window)}"
    if derive.where is not None:
        said += f" where {_quote(derive.where.text)}"
    if derive.has_default:
        said += f", default {derive.default}"
    return said


def _fact_json(fact: Fact, zone: ZoneInfo) -> dict[str, Any]:
    return {"type": str(fact.type), "derive": _derive_json(fact.derive, zone), "expr": _text(fact.expr),
            "title": fact.title}


def _fields_json(event: EventType) -> dict[str, str]:
    return {name: str(kind) for name, kind in sorted(event.fields.items())}


def _event_changes(old: Bundle, new: Bundle) -> Iterator[Change]:
    """What changed in the event catalog: the types a bundle reads and their fields. A
    catalog added or dropped as a whole is one change each way per type."""
    before_all, after_all = old.events or {}, new.events or {}
    for name in sorted(set(before_all) | set(after_all)):
        before, after = before_all.get(name), after_all.get(name)
        if after is None and before is not None:
            yield Change("event-removed", name, None, None, _fields_json(before), None,
                         f"Event type {name} is no longer declared.")
        elif before is None and after is not None:
            fields = ", ".join(f"{f}: {t}" for f, t in _fields_json(after).items()) or "no fields"
            yield Change("event-added", name, None, None, None, _fields_json(after),
                         f"Event type {name} is now declared ({fields}).")
        elif before is not None and after is not None:
            for field_name in sorted(set(before.fields) | set(after.fields)):
                was, now = before.fields.get(field_name), after.fields.get(field_name)
                if was == now:
                    continue
                if now is None:
                    text = f"Field {name}.{field_name} ({was}) is no longer declared."
                elif was is None:
                    text = f"Field {name}.{field_name} is now declared ({now})."
                else:
                    text = f"Field {name}.{field_name} now has type {now} instead of {was}."
                yield Change("event-redefined", name, None, field_name,
                             None if was is None else str(was), None if now is None else str(now), text)


def _fact_changes(old: Bundle, new: Bundle) -> Iterator[Change]:
    for name in sorted(set(old.facts) | set(new.facts)):
        before, after = old.facts.get(name), new.facts.get(name)
        if after is None and before is not None:
            yield Change("fact-removed", name, None, None, _fact_json(before, old.timezone), None,
                         f"Fact {name} was removed (it was {before.type}, {_how(before)}).")
        elif before is None and after is not None:
            yield Change("fact-added", name, None, None, None, _fact_json(after, new.timezone),
                         f"Fact {name} was added ({after.type}, {_how(after)}).")
        elif before is not None and after is not None:
            yield from _fact_redefinitions(before, after, old.timezone, new.timezone)


def _fact_redefinitions(old: Fact, new: Fact, old_zone: ZoneInfo, new_zone: ZoneInfo) -> Iterator[Change]:
    name = old.name

    def change(field: str, before: object, after: object, text: str) -> Change:
        return Change("fact-redefined", name, None, field, before, after, f"Fact {name} {text}.")

    if old.type != new.type:
        yield change("type", str(old.type), str(new.type), f"now has type {new.type} instead of {old.type}")
    if old.derive is not None and new.derive is not None:
        yield from _derivation_changes(name, old.derive, new.derive, old_zone, new_zone)
    elif old.derive != new.derive:
        text = (f"is now derived as {_how(new)}" if old.derive is None
                else f"is no longer derived from events (it was {_how(old)})")
        yield change("derive", _derive_json(old.derive, old_zone), _derive_json(new.derive, new_zone), text)
    if _ast(old.expr) != _ast(new.expr):
        yield change("expr", _text(old.expr), _text(new.expr), _condition_phrase("expr", old.expr, new.expr))
    for field in ("title", "description"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            yield Change("fact-redefined", name, None, field, before, after,
                         _text_sentence(f"Fact {name}", field, before, after))


def _derivation_changes(
    name: str, old: Derivation, new: Derivation, old_zone: ZoneInfo, new_zone: ZoneInfo
) -> Iterator[Change]:
    def change(field: str, before: object, after: object, text: str) -> Change:
        return Change("fact-redefined", name, None, field, before, after, f"Fact {name} {text}.")

    if (old.aggregation, old.event_type, old.field) != (new.aggregation, new.event_type, new.field):
        yield change("derive", _folds(old), _folds(new), f"is now the {_folds(new)} instead of the {_folds(old)}")
    if _duration_key(old.window) != _duration_key(new.window):
        if old.window is not None and new.window is not None:
            text = (f"now looks back {duration_words(new.window)} instead of {duration_words(old.window)} "
                    f"(window {new.window.text} instead of {old.window.text})")
        elif new.window is not None:
            text = f"now looks back {duration_words(new.window)} (it used the whole history)"
        else:
            text = f"now uses the whole history (it looked back {_duration_or_all(old.window)})"
        yield change("window", old.window.text if old.window else None, new.window.text if new.window else None, text)
    if _ast(old.where) != _ast(new.where):
        yield change("where", _text(old.where), _text(new.where), _condition_phrase("where", old.where, new.where))
    if (old.has_default, old.default) != (new.has_default, new.default):
        if not new.has_default:
            text = f"no longer has a default (was {old.default})"
        elif not old.has_default:
            text = f"now defaults to {new.default} (it had no default)"
        else:
            text = f"now defaults to {new.default} instead of {old.default}"
        yield change("default", _default_json(old, old_zone), _default_json(new, new_zone), text)


# --- versions ---------------------------------------------------------------------


def _version_json(version: Version, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "effective_from": format_instant(version.effective_from, zone),
        "published_at": format_instant(version.published_at, zone),
        "summary": version.summary,
    }


def _version_changes(old: Bundle, new: Bundle) -> Iterator[Change]:
    zone = new.timezone
    old_ids = {version.id for version in old.versions}
    new_ids = {version.id for version in new.versions}
    for version_id in sorted(old_ids | new_ids):
        before, after = old.version(version_id), new.version(version_id)
        if after is None and before is not None:
            yield Change(
                "version-removed", version_id, version_id, None, _version_json(before, old.timezone), None,
                f"Version {version_id} was removed (it took effect {instant_words(before.effective_from, zone)}).",
            )
        elif before is None and after is not None:
            said = f"; {after.summary}" if after.summary else ""
            yield Change(
                "version-added", version_id, version_id, None, None, _version_json(after, new.timezone),
                f"Version {version_id} was added, in force from {instant_words(after.effective_from, zone)} "
                f"(published {instant_words(after.published_at, zone)}){said}.",
            )
        elif before is not None and after is not None:
            yield from _redatings(before, after, old.timezone, zone)
            yield from _rule_changes(_Scope(old, before), _Scope(new, after), version_id)


def _redatings(old: Version, new: Version, old_zone: ZoneInfo, zone: ZoneInfo) -> Iterator[Change]:
    said: dict[str, str] = {}
    if old.effective_from != new.effective_from:
        said["effective_from"] = (f"Version {new.id} is now in force from {instant_words(new.effective_from, zone)} "
                                  f"instead of {instant_words(old.effective_from, zone)}")
    if old.published_at != new.published_at:
        said["published_at"] = (f"Version {new.id} is now published {instant_words(new.published_at, zone)} "
                                f"instead of {instant_words(old.published_at, zone)}")
    if said and old.retroactive != new.retroactive:
        last = list(said)[-1]
        said[last] += ("; it is now retroactive (published after it takes effect)" if new.retroactive
                       else "; it is no longer retroactive")
    for field, text in said.items():
        yield Change("version-redated", new.id, new.id, field, format_instant(getattr(old, field), old_zone),
                     format_instant(getattr(new, field), zone), text + ".")


# --- rules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where a rule lives: its bundle (for the timezone and the declaring version) and version."""

    bundle: Bundle
    version: Version

    @property
    def zone(self) -> ZoneInfo:
        return self.bundle.timezone

    def schedule_start(self, rule: Rule) -> datetime | None:
        """The schedule's own start, or None when it defaults to its declaring version's start."""
        if rule.schedule is None:
            return None
        declaring = self.bundle.version(rule.declared_in) if rule.declared_in else None
        default = (declaring or self.version).effective_from
        return None if rule.schedule.start == default else rule.schedule.start


def _schedule_key(schedule: Schedule | None, start: datetime | None) -> object:
    if schedule is None:
        return None
    return (tuple(sorted(rrule_parts(schedule.rrule).items())), _duration_key(schedule.duration), start)


def _field_key(rule: Rule, field: str, scope: _Scope) -> object:
    """What a field means for comparison: ASTs for conditions, sets for actions."""
    if field in ("when", "unless"):
        return _ast(getattr(rule, field))
    if field == "actions":
        return frozenset(rule.actions)
    if field == "schedule":
        return _schedule_key(rule.schedule, scope.schedule_start(rule))
    return getattr(rule, field)


def _content_key(rule: Rule, scope: _Scope) -> tuple[object, ...]:
    """Everything but the id: two rules with equal keys differ only in name."""
    return tuple(_field_key(rule, field, scope) for field in RULE_FIELDS)


def _field_json(rule: Rule, field: str, scope: _Scope) -> object:
    value = getattr(rule, field)
    if field in ("when", "unless"):
        return _text(value)
    if field == "actions":
        return sorted(rule.actions)
    if field == "source":
        return None if value is None else value.as_dict()
    if field in ("active", "window"):
        return _interval_json(value, scope.zone)
    if field == "schedule":
        if rule.schedule is None:
            return None
        start = scope.schedule_start(rule)
        return {"rrule": rule.schedule.rrule, "duration": rule.schedule.duration.text,
                "start": None if start is None else format_instant(start, scope.zone)}
    return value


def _rule_json(rule: Rule, scope: _Scope) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id}
    for field in RULE_FIELDS:
        out[field] = _field_json(rule, field, scope)
    return out


def _rule_summary(rule: Rule, zone: ZoneInfo) -> str:
    """What a rule does, in one clause: ``platform; restricts open; when `...```."""
    said = [rule.category, f"restricts {_words(rule.actions)}"]
    if rule.when is not None:
        said.append(f"when {_quote(rule.when.text)}")
    if rule.unless is not None:
        said.append(f"unless {_quote(rule.unless.text)}")
    if rule.active is not None:
        said.append(f"active {interval_words(rule.active, zone)}")
    if rule.window is not None:
        said.append(f"window {interval_words(rule.window, zone)}")
    if rule.schedule is not None:
        said.append(schedule_words(rule.schedule, zone).full)
    return "; ".join(said)


def _rule_changes(old: _Scope, new: _Scope, version: str | None) -> Iterator[Change]:
    old_rules = {rule.id: rule for rule in old.version.rules}
    new_rules = {rule.id: rule for rule in new.version.rules}
    removed = sorted(set(old_rules) - set(new_rules))
    added = sorted(set(new_rules) - set(old_rules))
    for old_id, new_id in _renames(removed, added, old_rules, new_rules, old, new):
        removed.remove(old_id)
        added.remove(new_id)
        yield Change("rule-renamed", new_id, version, "id", old_id, new_id,
                     f"Rule {old_id} was renamed to {new_id}; nothing else changed.")
    for rule_id in removed:
        rule = old_rules[rule_id]
        yield Change("rule-removed", rule_id, version, None, _rule_json(rule, old), None,
                     f"Rule {rule_id} was removed ({_rule_summary(rule, old.zone)}).")
    for rule_id in added:
        rule = new_rules[rule_id]
        yield Change("rule-added", rule_id, version, None, None, _rule_json(rule, new),
                     f"Rule {rule_id} was added ({_rule_summary(rule, new.zone)}).")
    for rule_id in sorted(set(old_rules) & set(new_rules)):
        yield from _field_changes(old_rules[rule_id], new_rules[rule_id], old, new, version)


def _renames(
    removed: list[str], added: list[str], old_rules: Mapping[str, Rule], new_rules: Mapping[str, Rule],
    old: _Scope, new: _Scope,
) -> list[tuple[str, str]]:
    """Pairs (old id, new id) of a removed and an added rule equal in all but the id.

    When several rules share one content, they pair in id order on both sides, so the
    diff in the other direction pairs them the same way round.
    """
    waiting: dict[tuple[object, ...], list[str]] = {}
    for rule_id in added:
        waiting.setdefault(_content_key(new_rules[rule_id], new), []).append(rule_id)
    pairs = []
    for rule_id in removed:
        candidates = waiting.get(_content_key(old_rules[rule_id], old))
        if candidates:
            pairs.append((rule_id, candidates.pop(0)))
    return pairs


def _field_changes(old_rule: Rule, new_rule: Rule, old: _Scope, new: _Scope, version: str | None) -> Iterator[Change]:
    changed = False
    for field in RULE_FIELDS:
        if _field_key(old_rule, field, old) == _field_key(new_rule, field, new):
            continue
        changed = True
        text = _SENTENCES[field](old_rule, new_rule, old, new)
        yield Change("rule-changed", new_rule.id, version, field, _field_json(old_rule, field, old),
                     _field_json(new_rule, field, new), text)
    yield from _translation_changes(old_rule, new_rule, new.bundle.default_locale, changed, version)


def _translation_changes(old_rule: Rule, new_rule: Rule, default_locale: str, changed: bool,
                         version: str | None) -> Iterator[Change]:
    """Text changes the fields above do not show, as ``message[zh-CN]``: a translation
    changed while the default-locale text stayed, and a ``because`` clause changed in a
    rule nothing else of which changed (alongside a new condition it follows from it)."""
    for field in ("title", "message", "remedy", "because"):
        if field == "because" and changed:
            continue
        if field != "because" and getattr(old_rule, field) != getattr(new_rule, field):
            continue  # the default-locale change is reported; its translations go with it
        for locale in sorted(set(old_rule.texts) | set(new_rule.texts)):
            if field != "because" and locale == default_locale:
                continue
            before = old_rule.texts.get(locale, {}).get(field)
            after = new_rule.texts.get(locale, {}).get(field)
            if before != after:
                yield Change("rule-changed", new_rule.id, version, f"{field}[{locale}]", before, after,
                             _text_sentence(f"Rule {new_rule.id}", f"{field} in {locale}", before, after))


_Sentence = Callable[[Rule, Rule, _Scope, _Scope], str]


#: How a change of a rule's ``when`` or ``unless`` reads: (now, none before, gone, instead).
_CONDITION_WORDS = {
    "when": ("now applies only when {new} (it had no condition)",
             "no longer has a condition (it applied when {old})",
             "now applies when {new} instead of {old}"),
    "unless": ("now exempts accounts where {new} (it had no exemption)",
               "no longer exempts any account (it exempted those where {old})",
               "now exempts accounts where {new} instead of {old}"),
    "expr": ("is now computed as {new}",
             "is no longer computed by an expression (it was {old})",
             "is now computed as {new} instead of {old}"),
    "where": ("now counts only events where {new}",
              "now counts every event (it counted only those where {old})",
              "now counts events where {new} instead of {old}"),
}


def _condition_phrase(which: str, old: CompiledExpr | None, new: CompiledExpr | None) -> str:
    """How a changed condition (``when``, ``unless``, an ``expr``, a ``where``) reads."""
    added, removed, changed = _CONDITION_WORDS[which]
    if old is None:
        return added.format(new=_quote(_text(new)))
    if new is None:
        return removed.format(old=_quote(old.text))
    return changed.format(new=_quote(new.text), old=_quote(old.text))


def _condition_sentence(which: str, rule_id: str, old: CompiledExpr | None, new: CompiledExpr | None) -> str:
    return f"Rule {rule_id} {_condition_phrase(which, old, new)}."


def _when_sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
    return _condition_sentence("when", new.id, old.when, new.when)


def _unless_sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
    return _condition_sentence("unless", new.id, old.unless, new.unless)


def _actions_sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
    added, dropped = set(new.actions) - set(old.actions), set(old.actions) - set(new.actions)
    detail = [f"adds {_words(added)}"] * bool(added) + [f"drops {_words(dropped)}"] * bool(dropped)
    return (f"Rule {new.id} now restricts {_words(new.actions)} instead of {_words(old.actions)} "
            f"({'; '.join(detail)}).")


def _category_sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
    return f"Rule {new.id} is now a {new.category} rule instead of {old.category}."


def _cite(source: Source) -> str:
    return ", ".join(str(part) for part in source.as_dict().values())


def _source_sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
    if old.source is not None and new.source is not None:
        return f"Rule {new.id} now cites {_cite(new.source)} instead of {_cite(old.source)}."
    if new.source is not None:
        return f"Rule {new.id} now cites {_cite(new.source)} (it cited nothing)."
    return f"Rule {new.id} no longer cites a source (it cited {_cite(old.source) if old.source else 'nothing'})."


def _free_text(field: str) -> _Sentence:
    def sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
        return _text_sentence(f"Rule {new.id}", field, getattr(old, field), getattr(new, field))

    return sentence


#: How a change of a rule's ``active`` or ``window`` interval reads: (noun, added, removed).
_INTERVAL_WORDS = {
    "active": ("restriction", "is now active only {new} (it was always active)",
               "is now always active (it was active only {old})"),
    "window": ("window", "now applies only in the window {new} (it had no window)",
               "no longer has a window (it applied {old})"),
}


def _interval_sentence(which: str, rule_id: str, old: Interval | None, new: Interval | None, zone: ZoneInfo) -> str:
    noun, added, removed = _INTERVAL_WORDS[which]
    if old is not None and new is not None:
        return f"Rule {rule_id}: the {interval_change_words(old, new, zone, noun)}."
    if new is not None:
        return f"Rule {rule_id} " + added.format(new=interval_words(new, zone)) + "."
    return f"Rule {rule_id} " + removed.format(old=_interval_or_none(old, zone)) + "."


def _active_sentence(old: Rule, new: Rule, _o: _Scope, scope: _Scope) -> str:
    return _interval_sentence("active", new.id, old.active, new.active, scope.zone)


def _window_sentence(old: Rule, new: Rule, _o: _Scope, scope: _Scope) -> str:
    return _interval_sentence("window", new.id, old.window, new.window, scope.zone)


def _interval_or_none(interval: Interval | None, zone: ZoneInfo) -> str:
    return "at all times" if interval is None else interval_words(interval, zone)


def _schedule_sentence(old: Rule, new: Rule, old_scope: _Scope, scope: _Scope) -> str:
    zone = scope.zone
    if old.schedule is None or new.schedule is None:
        if new.schedule is not None:
            return f"Rule {new.id} now applies only in a recurring window, {schedule_words(new.schedule, zone).full}."
        was = "none" if old.schedule is None else schedule_words(old.schedule, zone).full
        return f"Rule {new.id} no longer has a recurring window (it was {was})."
    said = []
    if _schedule_key(old.schedule, None) != _schedule_key(new.schedule, None):
        said.append(f"the {schedule_change_words(old.schedule, new.schedule, zone)}")
    old_start, new_start = old_scope.schedule_start(old), scope.schedule_start(new)
    if old_start != new_start:
        before = "the version's start" if old_start is None else instant_words(old_start, zone)
        after = "the version's start" if new_start is None else instant_words(new_start, zone)
        said.append(f"the recurrence now counts from {after} instead of {before}")
    return f"Rule {new.id}: {' and '.join(said)}."


_UNKNOWN_NOW = {"block": "blocks", "allow": "allows", "undetermined": "reports itself undetermined"}
_UNKNOWN_WAS = {"block": "blocked", "allow": "allowed", "undetermined": "reported itself undetermined"}


def _on_unknown_sentence(old: Rule, new: Rule, _o: _Scope, _n: _Scope) -> str:
    now = _UNKNOWN_NOW.get(new.on_unknown, new.on_unknown)
    was = _UNKNOWN_WAS.get(old.on_unknown, old.on_unknown)
    return f"Rule {new.id} now {now} when a fact it needs is unknown (it {was})."


_SENTENCES: Mapping[str, _Sentence] = {
    "when": _when_sentence,
    "unless": _unless_sentence,
    "actions": _actions_sentence,
    "category": _category_sentence,
    "source": _source_sentence,
    "message": _free_text("message"),
    "remedy": _free_text("remedy"),
    "title": _free_text("title"),
    "description": _free_text("description"),
    "active": _active_sentence,
    "window": _window_sentence,
    "schedule": _schedule_sentence,
    "on_unknown": _on_unknown_sentence,
}
